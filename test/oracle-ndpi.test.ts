import assert from "node:assert/strict";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { describe, it } from "node:test";
import { createPipeline } from "../src/pipeline.js";
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

/** nDPI's protocol names (master or application part) for the protocols Cordon names. */
const NDPI_NAMES: Record<string, string> = {
  DNS: "dns", MDNS: "mdns", LLMNR: "llmnr", DHCP: "dhcp", DHCPV6: "dhcpv6", SSDP: "ssdp", NTP: "ntp",
  HTTP: "http", HTTP_Proxy: "http", TLS: "tls", Modbus: "modbus", S7Comm: "s7comm", CIP: "enip",
  EthernetIP: "enip", BACnet: "bacnet", DNP3: "dnp3", IEC60870: "iec104", MQTT: "mqtt", SNMP: "snmp",
  RTSP: "rtsp", SIP: "sip", COAP: "coap", "OPC-UA": "opcua", "ISO9506-1-MMS": "mms", TuyaLP: "tuya-lp",
  Telnet: "telnet", FTP_CONTROL: "ftp", Mining: "mining",
};

/**
 * Flows where Cordon and nDPI are known to differ, with the reason. Each entry is
 * "capture|transport a b" as nDPI prints the flow.
 */
const KNOWN_DISAGREEMENTS: Record<string, string> = {};

describe("application protocol per flow agrees with nDPI", { skip: NO_CORPUS }, () => {
  const results = HAVE_CORPUS ? readdirSync(corpus(`${DIR}/result`)).filter((f) => f.endsWith(".out")) : [];
  for (const out of results) {
    const pcap = corpus(`${DIR}/pcap/${out.replace(/\.out$/, "")}`);
    if (!existsSync(pcap)) continue;
    it(out, async () => {
      const flows: FlowRecord[] = [];
      // nDPI does not split flows on timeouts within these short captures.
      const p = createPipeline({ flows: (b) => flows.push(...b) }, { flows: { idleTimeoutUs: 1e15, activeTimeoutUs: 1e15 } });
      p.beginSource(pcap, "default");
      await readCapture(pcap, p.push);
      p.flush();
      const mine = new Map<string, string>();
      for (const f of flows) {
        const t = f.proto === 6 ? "TCP" : f.proto === 17 ? "UDP" : String(f.proto);
        const key = `${t} ${[`${f.srcIp}|${f.srcPort}`, `${f.dstIp}|${f.dstPort}`].sort().join(" ")}`;
        if (f.appProtocol || !mine.has(key)) mine.set(key, f.appProtocol ?? "-");
      }
      let compared = 0;
      let agreed = 0;
      const unexplained: string[] = [];
      for (const n of parseNdpiResult(corpus(`${DIR}/result/${out}`))) {
        const [master, app] = n.protocol.split(".");
        const want = NDPI_NAMES[master] ?? (app ? NDPI_NAMES[app] : undefined);
        const got = mine.get(`${n.transport} ${[endpoint(n.a), endpoint(n.b)].sort().join(" ")}`) ?? "(no flow)";
        if (want === undefined && got === "-") continue; // neither names a protocol Cordon supports
        compared++;
        if (want === got) agreed++;
        else if (!KNOWN_DISAGREEMENTS[`${out}|${n.transport} ${n.a} ${n.b}`]) unexplained.push(`${n.protocol} vs ${got}: ${n.transport} ${n.a} ${n.b}`);
      }
      if (compared === 0) return;
      assert.deepEqual(unexplained, [], "every disagreement has a listed reason");
      assert.ok(agreed / compared >= 0.95, `${agreed}/${compared} flows agree`);
    });
  }
});
