import { ACK, PSH, SYN, arp, dhcp, dnsMessage, ethernet, ipv4, ipv4Bytes, lldp, tcp, tlsClientHello, udp } from "./craft.js";
import { type WrittenFrame, writePcap } from "./capture-writer.js";

const BROADCAST = "ff:ff:ff:ff:ff:ff";
const GATEWAY = { mac: "24:5a:4c:12:34:56", ip: "192.168.10.1" };
const CAMERA = { mac: "00:40:8c:a1:b2:c3", ip: "192.168.10.21", hostname: "AXIS-00408CA1B2C3" };
const PRINTER = { mac: "3c:2a:f4:55:66:77", ip: "192.168.10.40", hostname: "BRW3C2AF4556677" };
const SWITCH = { mac: "00:1b:54:aa:bb:cc" };
const CLOUD = "52.18.7.44";

/**
 * A small capture built in code for the quick start: a gateway, an IP camera that takes a
 * DHCP lease, resolves and calls its vendor cloud over TLS, a printer, and a switch that
 * announces itself over LLDP.
 */
export function demoCapture(startUs = Date.UTC(2026, 0, 5, 8, 0, 0) * 1000): Buffer {
  const frames: WrittenFrame[] = [];
  let t = startUs;
  const at = (data: Buffer, stepUs = 50_000): void => {
    t += stepUs;
    frames.push({ tsUs: t, data });
  };
  const params = Buffer.from([1, 3, 6, 15, 28, 42]);
  at(ethernet("01:80:c2:00:00:0e", SWITCH.mac, 0x88cc,
    lldp(SWITCH.mac, "gi1/0/7", "core-sw-01", "Cisco IOS Software, C2960X Software, Version 15.2(7)E4")));
  at(ethernet(BROADCAST, CAMERA.mac, 0x0800, ipv4({ src: "0.0.0.0", dst: "255.255.255.255", proto: 17 },
    udp(68, 67, dhcp({ op: 1, messageType: 1, mac: CAMERA.mac, options: [[12, Buffer.from(CAMERA.hostname)], [55, params], [60, Buffer.from("AXIS,Network Camera,M3045-V,10.12.182")]] })))));
  at(ethernet(CAMERA.mac, GATEWAY.mac, 0x0800, ipv4({ src: GATEWAY.ip, dst: CAMERA.ip, proto: 17 },
    udp(67, 68, dhcp({ op: 2, messageType: 5, mac: CAMERA.mac, yiaddr: CAMERA.ip, options: [[54, ipv4Bytes(GATEWAY.ip)]] })))));
  at(ethernet(BROADCAST, GATEWAY.mac, 0x0806, arp(1, GATEWAY.mac, GATEWAY.ip, "00:00:00:00:00:00", CAMERA.ip)));
  at(ethernet(GATEWAY.mac, CAMERA.mac, 0x0806, arp(2, CAMERA.mac, CAMERA.ip, GATEWAY.mac, GATEWAY.ip)));
  const name = "dispatcher.axis.com";
  at(ethernet(GATEWAY.mac, CAMERA.mac, 0x0800, ipv4({ src: CAMERA.ip, dst: GATEWAY.ip, proto: 17 },
    udp(40001, 53, dnsMessage(0x1234, false, [{ name, type: 1 }])))));
  at(ethernet(CAMERA.mac, GATEWAY.mac, 0x0800, ipv4({ src: GATEWAY.ip, dst: CAMERA.ip, proto: 17 },
    udp(53, 40001, dnsMessage(0x1234, true, [{ name, type: 1 }], [{ name, type: 1, data: ipv4Bytes(CLOUD) }])))));
  const c2s = (flags: number, seq: number, payload?: Buffer): Buffer => ethernet(GATEWAY.mac, CAMERA.mac, 0x0800,
    ipv4({ src: CAMERA.ip, dst: CLOUD, proto: 6 }, tcp(51000, 443, flags, seq, payload)));
  const s2c = (flags: number, seq: number): Buffer => ethernet(CAMERA.mac, GATEWAY.mac, 0x0800,
    ipv4({ src: CLOUD, dst: CAMERA.ip, proto: 6, ttl: 52 }, tcp(443, 51000, flags, seq)));
  at(c2s(SYN, 1000));
  at(s2c(SYN | ACK, 5000));
  at(c2s(ACK, 1001));
  at(c2s(ACK | PSH, 1001, tlsClientHello(name)));
  at(s2c(ACK, 5001));
  const mdnsAnnounce = dnsMessage(0, true, [], [
    { name: "_ipp._tcp.local", type: 12, data: Buffer.concat([Buffer.from([7]), Buffer.from("Brother"), Buffer.from([4]), Buffer.from("_ipp"), Buffer.from([4]), Buffer.from("_tcp"), Buffer.from([5]), Buffer.from("local"), Buffer.from([0])]) },
    { name: `${PRINTER.hostname}.local`, type: 1, data: ipv4Bytes(PRINTER.ip) },
  ]);
  at(ethernet("01:00:5e:00:00:fb", PRINTER.mac, 0x0800, ipv4({ src: PRINTER.ip, dst: "224.0.0.251", proto: 17, ttl: 255 },
    udp(5353, 5353, mdnsAnnounce))));
  for (let i = 0; i < 3; i++) {
    at(ethernet(GATEWAY.mac, PRINTER.mac, 0x0800, ipv4({ src: PRINTER.ip, dst: GATEWAY.ip, proto: 17 },
      udp(123, 123, Buffer.concat([Buffer.from([0x23]), Buffer.alloc(47)])))), 60_000_000);
  }
  return writePcap(frames);
}
