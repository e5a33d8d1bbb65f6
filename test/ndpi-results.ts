import { readFileSync } from "node:fs";
import { decodeFrame } from "../src/dissect/decode.js";
import { newPacket } from "../src/dissect/packet.js";
import type { FlowRecord } from "../src/model/flow-record.js";
import type { Frame } from "../src/model/frame.js";
import { createPipeline } from "../src/pipeline.js";
import { readCapture } from "../src/sources/capture.js";

/** One flow line of an nDPI test result (`ndpiReader` output in tests/cfgs/default/result). */
export interface NdpiFlow {
  transport: string;
  a: string;
  b: string;
  /** nDPI's protocol name, master and application, such as "TLS.Amazon". */
  protocol: string;
  /** How nDPI decided: "DPI" (the payload), "Match by port", "Unknown" ... */
  confidence: string;
}

/**
 * Flow lines look like `\t1\tTCP 10.0.0.1:2074 <-> 10.0.0.2:502 [proto: 44/Modbus][...][Confidence: DPI]`;
 * a flow that never had an answer is written with `->`.
 */
export function parseNdpiResult(path: string): NdpiFlow[] {
  return parseNdpiFlows(readFileSync(path, "utf8"));
}

/** The flow lines of `ndpiReader -v 2` output, as in parseNdpiResult. */
export function parseNdpiFlows(text: string): NdpiFlow[] {
  const out: NdpiFlow[] = [];
  for (const line of text.split("\n")) {
    const m = /^\t\d+\t(\w+) (\S+) <?-> (\S+) .*?\[proto: [\d.]+\/([^\]]+)\](?:.*?\[Confidence: ([^\]]+)\])?/.exec(line);
    if (m) out.push({ transport: m[1], a: m[2], b: m[3], protocol: m[4], confidence: m[5] ?? "" });
  }
  return out;
}

/** "ip:port" or "[ipv6]:port" to a comparable endpoint string. */
export function endpoint(s: string): string {
  const v6 = /^\[(.+)\]:(\d+)$/.exec(s);
  if (v6) return `${v6[1]}|${v6[2]}`;
  const i = s.lastIndexOf(":");
  return i < 0 ? `${s}|0` : `${s.slice(0, i)}|${s.slice(i + 1)}`;
}

/** nDPI's protocol names (master or application part) and the names Cordon gives the same protocols. */
export const NDPI_NAMES: Record<string, string> = {
  DNS: "dns", MDNS: "mdns", LLMNR: "llmnr", DHCP: "dhcp", DHCPV6: "dhcpv6", SSDP: "ssdp", NTP: "ntp",
  HTTP: "http", HTTP_Proxy: "http", TLS: "tls", Modbus: "modbus", S7Comm: "s7comm", CIP: "enip",
  EthernetIP: "enip", BACnet: "bacnet", DNP3: "dnp3", IEC60870: "iec104", MQTT: "mqtt", SNMP: "snmp",
  RTSP: "rtsp", SIP: "sip", COAP: "coap", "OPC-UA": "opcua", "ISO9506-1-MMS": "mms", TuyaLP: "tuya-lp",
  Telnet: "telnet", FTP_CONTROL: "ftp", Mining: "mining", Service_Location_Protocol: "slp", Syslog: "syslog",
  NetBIOS: "netbios", NestLogSink: "nest-log-sink", UBNTAC2: "ubnt-discovery", TPLINK_SHP: "tplink-shp",
  TFTP: "tftp", RMCP: "rmcp", "NAT-PMP": "nat-pmp", ICMP: "icmp", ICMPV6: "icmpv6", IGMP: "igmp",
  Dropbox: "dropbox-lan-sync", PTPv2: "ptp", WSD: "ws-discovery", VNC: "vnc", LDAP: "ldap", SMTP: "smtp",
  "IEEE-C37118": "c37.118", IEC62056: "dlms", ANSI_C1222: "c12.22", TiVoConnect: "tivo-connect", QUIC: "quic",
  EthernetGlobalData: "egd", PROFINET_IO: "profinet-io", BeckhoffADS: "ads",
};

/** nDPI's service names (the application part after a protocol, "TLS.Amazon") and Cordon's. */
export const NDPI_SERVICES: Record<string, string> = {
  Amazon: "amazon", AmazonAWS: "amazon-aws", AmazonAlexa: "amazon-alexa", Google: "google",
  GoogleServices: "google-services", PlayStore: "play-store",
};

/** The part of nDPI's label that names the protocol: "DCERPC.PROFINET_IO" is PROFINET IO over DCE/RPC. */
export function ndpiProtocol(label: string): string | undefined {
  const [master, app] = label.split(".");
  return (app && NDPI_NAMES[app] && !NDPI_SERVICES[app] ? NDPI_NAMES[app] : undefined) ?? NDPI_NAMES[master];
}


const TRANSPORT: Record<number, string> = { 1: "ICMP", 2: "IGMP", 6: "TCP", 17: "UDP", 58: "ICMPV6" };

/**
 * The flows of a capture by their ends, as nDPI keys them. With `replyFirst`, each TCP or UDP
 * conversation is read from its first answer on, as when a capture starts mid-conversation:
 * the packets its first sender sent before the other side spoke are left out.
 */
export async function flowsOf(pcap: string, replyFirst: boolean): Promise<Map<string, FlowRecord>> {
  const flows: FlowRecord[] = [];
  // nDPI does not split flows on timeouts within these short captures.
  const p = createPipeline({ flows: (b) => flows.push(...b) }, { flows: { idleTimeoutUs: 1e15, activeTimeoutUs: 1e15 } });
  p.beginSource(pcap, "default");
  const pkt = newPacket();
  const firstSender = new Map<string, string>();
  const answered = new Set<string>();
  await readCapture(pcap, (frame: Frame) => {
    if (replyFirst && decodeFrame(frame, pkt) === undefined && (pkt.proto === 6 || pkt.proto === 17) && pkt.ipVersion !== 0 && !pkt.fragment) {
      const from = pkt.ipVersion === 4 ? `${pkt.src4}:${pkt.srcPort}` : `${pkt.buf.toString("hex", pkt.src6Off, pkt.src6Off + 16)}:${pkt.srcPort}`;
      const to = pkt.ipVersion === 4 ? `${pkt.dst4}:${pkt.dstPort}` : `${pkt.buf.toString("hex", pkt.dst6Off, pkt.dst6Off + 16)}:${pkt.dstPort}`;
      const key = `${pkt.proto} ${pkt.vlan} ${[from, to].sort().join(" ")}`;
      if (!answered.has(key)) {
        if (!firstSender.has(key)) firstSender.set(key, from);
        if (firstSender.get(key) === from) return;
        answered.add(key);
      }
    }
    p.push(frame);
  });
  p.flush();
  const mine = new Map<string, FlowRecord>();
  for (const f of flows) {
    const key = `${TRANSPORT[f.proto] ?? f.proto} ${[`${f.srcIp}|${f.srcPort}`, `${f.dstIp}|${f.dstPort}`].sort().join(" ")}`;
    if (f.appProtocol || !mine.has(key)) mine.set(key, f);
  }
  return mine;
}
