import { dhcp, dnsMessage, ipv4Bytes, tlsClientHello } from "./craft.js";
import { Conversations, type Host } from "./conversation.js";
import * as P from "./payloads.js";

/** Ground truth of a lab device, in the shape of the corpus labels.json entries. */
export interface Label {
  vendor: string;
  model: string;
  category: string;
}

export interface Device extends Host {
  persona: Persona;
  index: number;
  hostname: string;
  /** Seconds between the persona's activities, and this device's offset within the period. */
  phase: number;
}

/** What a persona's activity can reach: the site's infrastructure and its other devices. */
export interface SiteView {
  gateway: Host;
  infra: Host;
  conv: Conversations;
  /** Devices of a persona, for those that talk to their peers (an NVR to its cameras). */
  peers(persona: string): Device[];
  rand(): number;
  /** A stable public address for a cloud name, as the lab's DNS answers it. */
  cloud(name: string): Host;
}

export interface Persona {
  name: string;
  label: Label;
  oui: string;
  /** Share of the site's devices. */
  weight: number;
  period: number;
  hostname(i: number): string;
  dhcpParams: number[];
  vendorClass?: string;
  act(t: number, self: Device, site: SiteView): void;
}

function lookup(t: number, self: Device, site: SiteView, name: string): Host {
  const target = site.cloud(name);
  const id = Math.floor(site.rand() * 65535);
  site.conv.udp(t, self, site.infra, 30000 + (id % 30000), 53, dnsMessage(id, false, [{ name, type: 1 }]),
    dnsMessage(id, true, [{ name, type: 1 }], [{ name, type: 1, data: ipv4Bytes(target.ip) }]));
  return target;
}

/** Resolve a cloud name and open a TLS session to it. */
function callHome(t: number, self: Device, site: SiteView, name: string): void {
  const server = lookup(t, self, site, name);
  site.conv.tcp(t + 5000, self, server, 40000 + Math.floor(site.rand() * 20000), 443, [{ c: tlsClientHello(name), s: Buffer.alloc(600, 0x17) }, { c: Buffer.alloc(300, 0x17) }]);
}

function ntpQuery(t: number, self: Device, site: SiteView): void {
  const req = Buffer.alloc(48);
  req[0] = 0x23;
  const res = Buffer.alloc(48);
  res[0] = 0x24;
  res[1] = 2;
  site.conv.udp(t, self, site.infra, 123, 123, req, res);
}

/** The source port of each device's open cloud session, for devices that stay connected. */
const sessions = new WeakMap<Device, number>();

/**
 * A mains-powered device's persistent cloud session: resolved and opened once, then one
 * heartbeat exchange each period.
 */
function stayConnected(t: number, self: Device, site: SiteView, name: string, port: number, heartbeat: number): void {
  const server = site.cloud(name);
  let sport = sessions.get(self);
  if (sport === undefined) {
    lookup(t, self, site, name);
    sport = 40000 + Math.floor(site.rand() * 20000);
    sessions.set(self, sport);
    site.conv.open(t + 5000, self, server, sport, port);
    site.conv.segment(t + 7000, self, server, sport, port, tlsClientHello(name), Buffer.alloc(1400, 0x16));
  }
  site.conv.segment(t + 8000, self, server, sport, port, Buffer.alloc(heartbeat, 0x17), Buffer.alloc(heartbeat, 0x17));
}

/** A Tuya-platform device's LAN discovery beacon, broadcast. */
function tuyaBeacon(t: number, self: Device, site: SiteView, productKey: string, sport = 49152 + (self.index % 16000)): void {
  const id = `bf${self.mac.replace(/:/g, "")}${productKey.slice(0, 8)}`;
  site.conv.broadcast(t, self, "ff:ff:ff:ff:ff:ff", "255.255.255.255", sport, 6667, P.tuyaBeacon(self.ip, id, productKey));
}

/** Battery devices that have resolved their cloud name (they keep the answer across sleeps). */
const resolved = new WeakMap<Device, Host>();

export const PERSONAS: Persona[] = [
  {
    name: "camera", label: { vendor: "Axis Communications", model: "M3045-V", category: "camera" }, oui: "00408c", weight: 6, period: 300,
    hostname: (i) => `axis-00408c${(0x100000 + i).toString(16).slice(-6)}`, dhcpParams: [1, 3, 6, 12, 15, 28, 42, 119],
    vendorClass: "AXIS,Network Camera,M3045-V,10.12.182",
    act: (t, self, site) => {
      callHome(t, self, site, "dispatcher.axis.com");
      ntpQuery(t + 200_000, self, site);
    },
  },
  {
    name: "nvr", label: { vendor: "Hikvision", model: "DS-7608NI", category: "nvr" }, oui: "188025", weight: 1, period: 60,
    hostname: (i) => `nvr-${i}`, dhcpParams: [1, 3, 6, 15],
    act: (t, self, site) => {
      let at = t;
      for (const cam of site.peers("camera").slice(0, 16)) {
        site.conv.tcp(at, self, cam, 50000 + Math.floor(site.rand() * 10000), 554, [
          { c: P.rtspDescribe(`rtsp://${cam.ip}/axis-media/media.amp`, "Hikvision NVR"), s: P.rtspOk("AXIS Media Server") },
        ]);
        at += 20_000;
      }
    },
  },
  {
    name: "bacnet-controller", label: { vendor: "Johnson Controls", model: "FX-PCG", category: "building-controller" }, oui: "00108d", weight: 3, period: 600,
    hostname: (i) => `fx-${i}`, dhcpParams: [1, 3, 6],
    act: (t, self, site) => site.conv.broadcast(t, self, "ff:ff:ff:ff:ff:ff", "255.255.255.255", 47808, 47808, P.bacnetIAm(10_000 + self.index, 5)),
  },
  {
    name: "bms-server", label: { vendor: "Dell", model: "PowerEdge", category: "server" }, oui: "106530", weight: 1, period: 120,
    hostname: (i) => `bms-${i}`, dhcpParams: [1, 3, 6, 15, 31, 33, 43, 44, 46, 47, 119, 121, 249, 252], vendorClass: "MSFT 5.0",
    act: (t, self, site) => {
      site.conv.broadcast(t, self, "ff:ff:ff:ff:ff:ff", "255.255.255.255", 47808, 47808, P.bacnetWhoIs());
      let at = t + 100_000;
      for (const c of site.peers("bacnet-controller").slice(0, 20)) {
        const invoke = Math.floor(site.rand() * 255);
        site.conv.udp(at, self, c, 47808, 47808, P.bacnetReadObjectName(invoke, 10_000 + c.index), P.bacnetObjectNameAnswer(invoke, 10_000 + c.index, `AHU-${c.index}`));
        at += 10_000;
      }
    },
  },
  {
    name: "modbus-plc", label: { vendor: "Schneider Electric", model: "BMX P34 2020", category: "plc" }, oui: "000054", weight: 2, period: 3600,
    hostname: (i) => `m340-${i}`, dhcpParams: [1, 3],
    act: () => undefined,
  },
  {
    name: "hmi", label: { vendor: "Dell", model: "OptiPlex", category: "hmi" }, oui: "106530", weight: 1, period: 10,
    hostname: (i) => `HMI-${i}`, dhcpParams: [1, 3, 6, 15, 31, 33, 43, 44, 46, 47, 119, 121, 249, 252], vendorClass: "MSFT 5.0",
    act: (t, self, site) => {
      let at = t;
      for (const plc of site.peers("modbus-plc").slice(0, 8)) {
        const tid = Math.floor(site.rand() * 65535);
        const exchange = [{ c: P.modbusReadHolding(tid, 1, 0, 10), s: P.modbusReadHoldingAnswer(tid, 1, 10) }];
        if (site.rand() < 0.05) exchange.push({ c: P.modbusWriteSingle(tid + 1, 1, 40, 7), s: P.modbusWriteSingle(tid + 1, 1, 40, 7) });
        if (site.rand() < 0.02) exchange.push({ c: P.modbusRequest(tid + 2, 1, 43, Buffer.from([0x0e, 1, 0])), s: P.modbusDeviceIdAnswer(tid + 2, 1, "Schneider Electric", "BMX P34 2020", "v3.10") });
        site.conv.tcp(at, self, plc, 49000 + Math.floor(site.rand() * 10000), 502, exchange);
        at += 30_000;
      }
    },
  },
  {
    name: "s7-plc", label: { vendor: "Siemens", model: "6ES7 315-2EH14-0AB0", category: "plc" }, oui: "208756", weight: 1, period: 3600,
    hostname: (i) => `s7-300-${i}`, dhcpParams: [1, 3],
    act: () => undefined,
  },
  {
    name: "engineering-workstation", label: { vendor: "Dell", model: "Precision", category: "engineering-workstation" }, oui: "106530", weight: 1, period: 1800,
    hostname: (i) => `EWS-${i}`, dhcpParams: [1, 3, 6, 15, 31, 33, 43, 44, 46, 47, 119, 121, 249, 252], vendorClass: "MSFT 5.0",
    act: (t, self, site) => {
      for (const plc of site.peers("s7-plc").slice(0, 4)) {
        site.conv.tcp(t, self, plc, 49500 + (self.index % 400), 102, [
          { c: P.cotpConnect(), s: P.cotpConnect() },
          { c: P.s7Setup(1), s: P.s7Setup(1) },
          { s: P.s7SzlModuleAnswer(2, "6ES7 315-2EH14-0AB0", [3, 3, 12]) },
          { c: P.s7RequestDownload(3) },
        ]);
      }
    },
  },
  {
    name: "infusion-pump", label: { vendor: "Baxter", model: "Sigma Spectrum", category: "medical-device" }, oui: "5842e4", weight: 3, period: 120,
    hostname: (i) => `pump-${i}`, dhcpParams: [1, 3, 6, 15],
    act: (t, self, site) => {
      const servers = site.peers("pump-server");
      if (servers.length === 0) return;
      site.conv.tcp(t, self, servers[0], 40000 + Math.floor(site.rand() * 20000), 443, [{ c: tlsClientHello("pumps.hospital.example"), s: Buffer.alloc(400, 0x17) }]);
    },
  },
  {
    name: "pump-server", label: { vendor: "Dell", model: "PowerEdge", category: "server" }, oui: "106530", weight: 1, period: 600,
    hostname: (i) => `pumpsrv-${i}`, dhcpParams: [1, 28, 2, 3, 15, 6, 119, 12, 44, 47, 26, 121, 42],
    act: (t, self, site) => ntpQuery(t, self, site),
  },
  {
    name: "printer", label: { vendor: "Brother", model: "HL-L8360CDW", category: "printer" }, oui: "3c2af4", weight: 2, period: 600,
    hostname: (i) => `BRW3C2AF4${(0x100000 + i).toString(16).slice(-6).toUpperCase()}`, dhcpParams: [1, 3, 6, 12, 15, 44],
    act: (t, self, site) => site.conv.broadcast(t, self, "01:00:5e:00:00:fb", "224.0.0.251", 5353, 5353,
      P.mdnsService(`Brother HL-L8360CDW ${self.index}`, "_ipp._tcp.local", self.hostname, self.ip)),
  },
  {
    name: "voip-phone", label: { vendor: "Yealink", model: "SIP-T46U", category: "voip-phone" }, oui: "249ad8", weight: 4, period: 300,
    hostname: (i) => `SIP-T46U-${i}`, dhcpParams: [1, 3, 6, 7, 12, 15, 28, 42, 43, 66, 120, 125],
    vendorClass: "yealink",
    act: (t, self, site) => {
      const pbx = site.peers("pbx")[0];
      if (pbx) site.conv.udp(t, self, pbx, 5060, 5060, P.sipRegister(`${1000 + self.index}`, "pbx.example", "Yealink SIP-T46U 108.86.0.20"), P.sipOk("Asterisk PBX 18.10.0"));
    },
  },
  {
    name: "pbx", label: { vendor: "Dell", model: "PowerEdge", category: "server" }, oui: "106530", weight: 1, period: 600,
    hostname: (i) => `pbx-${i}`, dhcpParams: [1, 3, 6, 15, 28],
    act: (t, self, site) => ntpQuery(t, self, site),
  },
  {
    name: "workstation", label: { vendor: "Dell", model: "OptiPlex", category: "workstation" }, oui: "106530", weight: 8, period: 60,
    hostname: (i) => `WS-${String(i).padStart(4, "0")}`, dhcpParams: [1, 3, 6, 15, 31, 33, 43, 44, 46, 47, 119, 121, 249, 252], vendorClass: "MSFT 5.0",
    act: (t, self, site) => {
      callHome(t, self, site, site.rand() < 0.5 ? "login.microsoftonline.com" : "www.example.org");
      if (site.rand() < 0.05) {
        const printer = site.peers("printer")[0];
        if (printer) site.conv.udp(t + 300_000, self, printer, 50000 + self.index % 1000, 161, P.snmpGetSysDescr("public"), P.snmpSysDescr("public", "Brother NC-8300w, Firmware Ver.1.30"));
      }
    },
  },
  {
    name: "smart-plug", label: { vendor: "TP-Link", model: "HS110", category: "smart-plug" }, oui: "147590", weight: 2, period: 300,
    hostname: () => "HS110", dhcpParams: [1, 3, 6, 12, 15, 28, 42],
    act: (t, self, site) => stayConnected(t, self, site, "n-devs.tplinkcloud.com", 443, 120),
  },
  {
    name: "tuya-plug", label: { vendor: "Tuya", model: "Wi-Fi smart plug", category: "smart-plug" }, oui: "1869d8", weight: 2, period: 60,
    hostname: () => "wlan0", dhcpParams: [1, 3, 28, 6, 15, 44, 46, 47, 31, 33, 121, 43],
    act: (t, self, site) => {
      tuyaBeacon(t, self, site, "lab7plug3k2m9q4x");
      stayConnected(t, self, site, "m1.tuyaeu.com", 8886, 90);
    },
  },
  {
    name: "tuya-bulb", label: { vendor: "Tuya", model: "Wi-Fi LED bulb", category: "smart-light" }, oui: "105a17", weight: 2, period: 60,
    hostname: () => "wlan0", dhcpParams: [1, 3, 28, 6, 15, 44, 46, 47, 31, 33, 121, 43],
    act: (t, self, site) => {
      tuyaBeacon(t, self, site, "lab4bulb8w2n5r7c");
      stayConnected(t, self, site, "m1.tuyaeu.com", 8886, 90);
    },
  },
  {
    // Battery powered: asleep between reports (and between door events); awake, it beacons,
    // reports over a TLS session that it holds for a few seconds to minutes, and sleeps again.
    name: "door-sensor", label: { vendor: "Tuya", model: "Wi-Fi door sensor", category: "sensor" }, oui: "508a06", weight: 2, period: 900,
    hostname: () => "wlan0", dhcpParams: [1, 3, 28, 6, 15, 44, 46, 47, 31, 33, 121, 43],
    act: (t, self, site) => {
      const beaconPort = 49152 + Math.floor(site.rand() * 16000);
      tuyaBeacon(t, self, site, "lab2door6h3t8v1k", beaconPort);
      let server = resolved.get(self);
      if (!server) {
        server = lookup(t + 1_000_000, self, site, "m1.tuyaeu.com");
        resolved.set(self, server);
      }
      const holdUs = 3_000_000 + Math.floor(site.rand() * 200_000_000);
      site.conv.tcp(t + 2_000_000, self, server, 40000 + Math.floor(site.rand() * 20000), 8886,
        [{ c: tlsClientHello("m1.tuyaeu.com"), s: Buffer.alloc(1400, 0x16) }, { c: Buffer.alloc(150, 0x17), s: Buffer.alloc(120, 0x17) },
          { c: Buffer.alloc(90, 0x17), s: Buffer.alloc(60, 0x17) }], Math.floor(holdUs / 12));
      tuyaBeacon(t + 5_000_000, self, site, "lab2door6h3t8v1k", beaconPort);
    },
  },
  {
    name: "thermostat", label: { vendor: "ecobee", model: "SmartThermostat", category: "thermostat" }, oui: "446132", weight: 2, period: 300,
    hostname: (i) => `ecobee-${i}`, dhcpParams: [1, 3, 6, 12, 15, 28],
    act: (t, self, site) => callHome(t, self, site, "home.ecobee.com"),
  },
  {
    name: "smart-tv", label: { vendor: "Samsung", model: "QN65", category: "smart-tv" }, oui: "103047", weight: 1, period: 600,
    hostname: () => "Samsung-TV", dhcpParams: [1, 3, 6, 12, 15, 28, 42, 121],
    act: (t, self, site) => {
      site.conv.broadcast(t, self, "01:00:5e:7f:ff:fa", "239.255.255.250", 1900, 1900, P.ssdpNotify("SHP, UPnP/1.0, Samsung UPnP SDK/1.0", `uuid:${self.mac}::upnp:rootdevice`, `http://${self.ip}:9197/dmr`));
      callHome(t + 400_000, self, site, "samsungcloudsolution.com");
    },
  },
];

export function dhcpRequest(self: Device): Buffer {
  const opts: [number, Buffer][] = [[12, Buffer.from(self.hostname)], [55, Buffer.from(self.persona.dhcpParams)]];
  if (self.persona.vendorClass) opts.push([60, Buffer.from(self.persona.vendorClass)]);
  return dhcp({ op: 1, messageType: 3, mac: self.mac, options: opts });
}
