import assert from "node:assert/strict";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { describe, it } from "node:test";
import { decodeFrame } from "../src/dissect/decode.js";
import { newPacket } from "../src/dissect/packet.js";
import { createPipeline } from "../src/pipeline.js";
import type { Frame } from "../src/model/frame.js";
import { readCapture } from "../src/sources/capture.js";
import type { FlowRecord } from "../src/model/flow-record.js";
import { HAVE_CORPUS, NO_CORPUS, corpus } from "./helpers.js";
import { endpoint, parseNdpiResult } from "./ndpi-results.js";

const DIR = "ntop-nDPI-tests/tests/cfgs/default";

/**
 * nDPI writes a flag 'd' for every ClientHello, even one without the SNI extension (the
 * emotet capture's TLS to bare IPs, for one); the JA4 specification says 'i' then, and Cordon
 * follows the specification. The flag (4th character) is therefore compared separately.
 */
function withoutSniFlag(ja4: string): string {
  return `${ja4.slice(0, 3)}_${ja4.slice(4)}`;
}

describe("JA4 client fingerprints equal nDPI's", { skip: NO_CORPUS }, () => {
  const results = HAVE_CORPUS ? readdirSync(corpus(`${DIR}/result`)).filter((f) => f.endsWith(".out")) : [];
  const cases = results.map((out) => ({
    out,
    pcap: corpus(`${DIR}/pcap/${out.replace(/\.out$/, "")}`),
    expected: new Set([...readFileSync(corpus(`${DIR}/result/${out}`), "utf8").matchAll(/\[JA4: (t[^\]]+)\]/g)].map((m) => m[1])),
  })).filter((c) => c.expected.size > 0 && existsSync(c.pcap));

  it("finds captures with JA4 results", () => {
    assert.ok(cases.length >= 3, `${cases.length} nDPI results carry TCP JA4 values`);
  });

  for (const c of cases) {
    it(c.out, async () => {
      const p = createPipeline({ flows: () => undefined });
      p.beginSource(c.pcap, "default");
      await readCapture(c.pcap, p.push);
      p.flush();
      const got = new Set<string>();
      for (const d of p.inventory.devices.values()) for (const v of d.factValues("tls.ja4")) got.add(v);
      assert.deepEqual([...got].map(withoutSniFlag).sort(), [...c.expected].map(withoutSniFlag).sort());
    });
  }
});

/** nDPI's protocol names (master or application part) and the names Cordon gives the same protocols. */
const NDPI_NAMES: Record<string, string> = {
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
const NDPI_SERVICES: Record<string, string> = {
  Amazon: "amazon", AmazonAWS: "amazon-aws", AmazonAlexa: "amazon-alexa", Google: "google",
  GoogleServices: "google-services", PlayStore: "play-store",
};

/** The part of nDPI's label that names the protocol: "DCERPC.PROFINET_IO" is PROFINET IO over DCE/RPC. */
function ndpiProtocol(label: string): string | undefined {
  const [master, app] = label.split(".");
  return (app && NDPI_NAMES[app] && !NDPI_SERVICES[app] ? NDPI_NAMES[app] : undefined) ?? NDPI_NAMES[master];
}

/**
 * Flows where Cordon and nDPI are known to differ, with the reason: "capture|transport a <-> b"
 * as nDPI prints the flow. None at present.
 */
const KNOWN_DISAGREEMENTS: Record<string, string> = {};

const TRANSPORT: Record<number, string> = { 1: "ICMP", 2: "IGMP", 6: "TCP", 17: "UDP", 58: "ICMPV6" };

/**
 * The flows of a capture by their ends, as nDPI keys them. With `replyFirst`, each TCP or UDP
 * conversation is read from its first answer on, as when a capture starts mid-conversation:
 * the packets its first sender sent before the other side spoke are left out.
 */
async function flowsOf(pcap: string, replyFirst: boolean): Promise<Map<string, FlowRecord>> {
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

describe("flows nDPI identified by payload: Cordon names the same protocol and service", { skip: NO_CORPUS }, () => {
  const results = HAVE_CORPUS ? readdirSync(corpus(`${DIR}/result`)).filter((f) => f.endsWith(".out")) : [];
  /** Per nDPI label: flows compared and flows agreed, over every capture. */
  const perLabel = new Map<string, { compared: number; agreed: number }>();
  /** Flows named right from the start, read again from their first answer on. */
  const replyFirst = { compared: 0, agreed: 0, misses: [] as string[] };
  for (const out of results) {
    const pcap = corpus(`${DIR}/pcap/${out.replace(/\.out$/, "")}`);
    if (!existsSync(pcap)) continue;
    it(out, async () => {
      const mine = await flowsOf(pcap, false);
      const fromReply = await flowsOf(pcap, true);
      const unexplained: string[] = [];
      for (const n of parseNdpiResult(corpus(`${DIR}/result/${out}`))) {
        if (n.confidence !== "DPI") continue;
        const wantProtocol = ndpiProtocol(n.protocol);
        const wantService = NDPI_SERVICES[n.protocol.split(".")[1] ?? ""];
        const key = `${n.transport} ${[endpoint(n.a), endpoint(n.b)].sort().join(" ")}`;
        const got = mine.get(key);
        const agreed = got !== undefined && got.appProtocol === wantProtocol && (wantService === undefined || got.appService === wantService);
        const tally = perLabel.get(n.protocol) ?? { compared: 0, agreed: 0 };
        tally.compared++;
        if (agreed) tally.agreed++;
        perLabel.set(n.protocol, tally);
        if (!agreed && !KNOWN_DISAGREEMENTS[`${out}|${n.transport} ${n.a} <-> ${n.b}`]) {
          unexplained.push(`${n.protocol} vs ${got ? `${got.appProtocol ?? "-"}${got.appService ? `.${got.appService}` : ""}` : "(no flow)"}: ${n.transport} ${n.a} ${n.b}`);
        }
        // The same flow seen from its first answer on, when there was one.
        const late = fromReply.get(key);
        if (late !== undefined && late.packetsSrcToDst + late.packetsDstToSrc > 0 && wantProtocol !== undefined && got?.appProtocol === wantProtocol) {
          replyFirst.compared++;
          if (late.appProtocol === wantProtocol) replyFirst.agreed++;
          else replyFirst.misses.push(`${out}: ${n.protocol} as ${late.appProtocol ?? "-"} from the reply on: ${n.transport} ${n.a} ${n.b}`);
        }
      }
      assert.deepEqual(unexplained, [], "every disagreement has a listed reason");
    });
  }

  it("agrees on at least 95% of them, reported per protocol", (t) => {
    let compared = 0;
    let agreed = 0;
    for (const [label, n] of [...perLabel].sort((x, y) => y[1].compared - x[1].compared)) {
      compared += n.compared;
      agreed += n.agreed;
      t.diagnostic(`${label}: ${n.agreed}/${n.compared}`);
    }
    t.diagnostic(`all: ${agreed}/${compared} flows, ${[...perLabel.values()].filter((n) => n.agreed === n.compared).length}/${perLabel.size} labels wholly`);
    assert.ok(compared >= 900, `${compared} flows identified by payload in nDPI's results`);
    assert.ok(agreed / compared >= 0.95, `${agreed}/${compared} flows agree`);
  });

  it("names them as well when the capture starts with the answer", (t) => {
    t.diagnostic(`from the reply on: ${replyFirst.agreed}/${replyFirst.compared}`);
    for (const m of replyFirst.misses) t.diagnostic(m);
    assert.ok(replyFirst.compared >= 100, `${replyFirst.compared} flows had an answer`);
    assert.ok(replyFirst.agreed / replyFirst.compared >= 0.95, `${replyFirst.agreed}/${replyFirst.compared} flows named from the reply on`);
  });
});

describe("HART-IP answered from another port than 5094", { skip: NO_CORPUS }, () => {
  // The server answers a session opened to 5094 from 5095; tshark names both conversations HART_IP.
  const pcap = corpus("EmreEkin-ICS-Pcaps/HART_IP/hart_ip.pcap");
  it("is named in full and from the reply on", { skip: !existsSync(pcap) && "EmreEkin-ICS-Pcaps/HART_IP/hart_ip.pcap is absent" }, async () => {
    for (const replyFirst of [false, true]) {
      const hart = [...(await flowsOf(pcap, replyFirst)).values()].filter((f) => [5094, 5095].includes(f.srcPort) || [5094, 5095].includes(f.dstPort));
      assert.ok(hart.length >= (replyFirst ? 1 : 2), `${hart.length} conversations with 5094 or 5095`);
      assert.deepEqual(hart.map((f) => f.appProtocol), hart.map(() => "hart-ip"), replyFirst ? "from the reply on" : "in full");
    }
  });
});
