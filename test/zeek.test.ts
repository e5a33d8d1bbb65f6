import assert from "node:assert/strict";
import { appendFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import type { FlowRecord } from "../src/model/flow-record.js";
import type { Observation } from "../src/model/observation.js";
import { createPipeline } from "../src/pipeline.js";
import { ErrorCounts } from "../src/net/error-counts.js";
import { ZeekLineParser } from "../src/sources/zeek/format.js";
import { startZeekReader } from "../src/sources/zeek/reader.js";
import { tmpDir } from "./helpers.js";

/** Zeek's ASCII writer format: the header lines, then one tab-separated line per record. */
function tsv(path: string, fields: [string, string][], rows: string[][], close = true): string {
  const lines = [
    "#separator \\x09", "#set_separator\t,", "#empty_field\t(empty)", "#unset_field\t-", `#path\t${path}`, "#open\t2026-11-22-10-00-00",
    `#fields\t${fields.map((f) => f[0]).join("\t")}`, `#types\t${fields.map((f) => f[1]).join("\t")}`,
    ...rows.map((r) => r.join("\t")),
  ];
  if (close) lines.push("#close\t2026-11-22-11-00-00");
  return `${lines.join("\n")}\n`;
}

const CONN_FIELDS: [string, string][] = [
  ["ts", "time"], ["uid", "string"], ["id.orig_h", "addr"], ["id.orig_p", "port"], ["id.resp_h", "addr"], ["id.resp_p", "port"],
  ["proto", "enum"], ["service", "string"], ["duration", "interval"], ["orig_bytes", "count"], ["resp_bytes", "count"],
  ["conn_state", "string"], ["local_orig", "bool"], ["local_resp", "bool"], ["missed_bytes", "count"], ["history", "string"],
  ["orig_pkts", "count"], ["orig_ip_bytes", "count"], ["resp_pkts", "count"], ["resp_ip_bytes", "count"],
  ["tunnel_parents", "set[string]"], ["orig_l2_addr", "string"], ["resp_l2_addr", "string"],
];
const DNS_FIELDS: [string, string][] = [
  ["ts", "time"], ["uid", "string"], ["id.orig_h", "addr"], ["id.orig_p", "port"], ["id.resp_h", "addr"], ["id.resp_p", "port"],
  ["proto", "enum"], ["trans_id", "count"], ["query", "string"], ["qtype_name", "string"], ["rcode_name", "string"],
  ["answers", "vector[string]"], ["TTLs", "vector[interval]"],
];
const DHCP_FIELDS: [string, string][] = [
  ["ts", "time"], ["uids", "set[string]"], ["client_addr", "addr"], ["server_addr", "addr"], ["mac", "string"], ["host_name", "string"],
  ["client_fqdn", "string"], ["domain", "string"], ["requested_addr", "addr"], ["assigned_addr", "addr"], ["lease_time", "interval"],
  ["msg_types", "vector[string]"], ["duration", "interval"],
];
const SOFTWARE_FIELDS: [string, string][] = [
  ["ts", "time"], ["host", "addr"], ["host_p", "port"], ["software_type", "enum"], ["name", "string"], ["version.major", "count"],
  ["unparsed_version", "string"],
];
const SERVICES_FIELDS: [string, string][] = [["ts", "time"], ["host", "addr"], ["port_num", "port"], ["port_proto", "enum"], ["service", "set[string]"]];

function sinkOf(): { flows: FlowRecord[]; facts: Observation[]; sink: { pushFlow(r: FlowRecord): void; observe(o: Observation): void } } {
  const flows: FlowRecord[] = [];
  const facts: Observation[] = [];
  return { flows, facts, sink: { pushFlow: (r) => flows.push(r), observe: (o) => facts.push(o) } };
}

describe("Zeek log formats", () => {
  it("reads TSV with escapes, sets, unset and empty fields", () => {
    const p = new ZeekLineParser();
    for (const line of tsv("dns", DNS_FIELDS, []).trim().split("\n")) assert.ok("header" in p.parse(line));
    const r = p.parse(["1763805600.250000", "C1", "10.0.0.5", "5353", "10.0.0.1", "53", "udp", "7", "cam\\x09era.example", "A", "NOERROR", "1.2.3.4,cdn.example", "60.000000,30.000000"].join("\t"));
    assert.ok("record" in r);
    assert.equal(r.record.get("query"), "cam\tera.example");
    assert.deepEqual(r.record.get("answers"), ["1.2.3.4", "cdn.example"]);
    const unset = p.parse(["1763805600.250000", "C1", "10.0.0.5", "5353", "10.0.0.1", "53", "udp", "7", "-", "-", "-", "(empty)", "(empty)"].join("\t"));
    assert.ok("record" in unset);
    assert.equal(unset.record.has("query"), false);
    assert.deepEqual(unset.record.get("answers"), []);
    assert.deepEqual(p.parse("1763805600.1\tonly-two"), { error: "zeek.field-count" });
    assert.deepEqual(new ZeekLineParser().parse("1763805600.1\tno header yet"), { error: "zeek.no-header" });
    assert.deepEqual(p.parse("{\"ts\": 1763805600.5, broken"), { error: "zeek.bad-json" });
  });

  it("reads every log kind, TSV and JSON alike, into flows and facts; broken lines are counted and skipped", async () => {
    for (const form of ["tsv", "json"] as const) {
      const dir = tmpDir("cordon-zeek-");
      const conn = [["1763805600.123456", "C1", "10.0.0.5", "40000", "10.0.0.9", "502", "tcp", "modbus", "1.500000", "100", "200", "SF", "T", "T", "0", "ShADadFf", "10", "620", "8", "520", "(empty)", "00:40:8c:11:22:33", "00:1b:1b:23:eb:3b"],
        ["1763805601.000000", "C2", "10.0.0.5", "40001", "93.184.216.34", "443", "tcp", "ssl", "-", "-", "-", "S0", "T", "F", "0", "S", "1", "60", "0", "0", "(empty)", "-", "-"]];
      const dnsRows = [["1763805600.250000", "C3", "10.0.0.5", "5353", "10.0.0.1", "53", "udp", "7", "Firmware.Axis.com", "A", "NOERROR", "1.2.3.4,cdn.axis.com", "60.0,30.0"]];
      const dhcpRows = [["1763805599.000000", "C4,C5", "10.0.0.5", "10.0.0.1", "00:40:8c:11:22:33", "axis-accc8e", "-", "lan", "10.0.0.5", "10.0.0.5", "86400.0", "REQUEST,ACK", "0.01"]];
      const swRows = [["1763805602.000000", "10.0.0.9", "80", "HTTP::SERVER", "Boa", "0", "Boa/0.94.14rc21"], ["1763805602.000000", "10.0.0.5", "-", "HTTP::BROWSER", "curl", "7", "curl/7.68.0"]];
      const svcRows = [["1763805603.000000", "10.0.0.9", "502", "tcp", "MODBUS"]];
      const files: [string, [string, string][], string[][]][] = [["conn", CONN_FIELDS, conn], ["dns", DNS_FIELDS, dnsRows], ["dhcp", DHCP_FIELDS, dhcpRows], ["software", SOFTWARE_FIELDS, swRows], ["known_services", SERVICES_FIELDS, svcRows]];
      for (const [name, fields, rows] of files) {
        if (form === "tsv") {
          writeFileSync(join(dir, `${name}.log`), tsv(name, fields, rows).replace("#close", "garbage\tline\n#close"));
        } else {
          const json = rows.map((r) => {
            const o: Record<string, unknown> = {};
            fields.forEach(([f, t], i) => {
              if (r[i] === "-") return;
              if (t.startsWith("set[") || t.startsWith("vector[")) o[f] = r[i] === "(empty)" ? [] : r[i].split(",");
              else if (t === "time" || t === "count" || t === "port" || t === "interval") o[f] = Number(r[i]);
              else o[f] = r[i];
            });
            return JSON.stringify(o);
          });
          writeFileSync(join(dir, `${name}.log`), `${[...json, "{not json"].join("\n")}\n`);
        }
      }
      const { flows, facts, sink } = sinkOf();
      const errors = new ErrorCounts();
      const reader = startZeekReader({ dir, site: "s", source: "zeek", follow: false }, sink, errors);
      await reader.done;
      assert.equal(reader.records(), 7, form);
      assert.equal(errors.total(), 5, `${form}: one broken line per file: ${JSON.stringify(errors.toJSON())}`);
      assert.deepEqual(flows.map((f) => [f.srcMac, f.srcIp, f.srcPort, f.dstMac, f.dstIp, f.dstPort, f.proto, f.appProtocol, f.packetsSrcToDst, f.bytesSrcToDst, f.packetsDstToSrc, f.bytesDstToSrc, f.firstUs, f.lastUs, f.initiatorKnown]), [
        ["00:40:8c:11:22:33", "10.0.0.5", 40000, "00:1b:1b:23:eb:3b", "10.0.0.9", 502, 6, "modbus", 10, 620, 8, 520, 1763805600123456, 1763805601623456, true],
        [undefined, "10.0.0.5", 40001, undefined, "93.184.216.34", 443, 6, "tls", 1, 60, 0, 0, 1763805601000000, 1763805601000000, true],
      ], form);
      const f = facts.map((x) => `${x.mac ?? x.ip} ${x.kind}=${x.value}`).sort();
      assert.deepEqual(f, [
        "00:40:8c:11:22:33 dhcp.assigned_ip=10.0.0.5", "00:40:8c:11:22:33 dhcp.hostname=axis-accc8e", "00:40:8c:11:22:33 dhcp.requested_ip=10.0.0.5",
        "10.0.0.5 dns.answer=firmware.axis.com A 1.2.3.4", "10.0.0.5 dns.answer=firmware.axis.com CNAME cdn.axis.com", "10.0.0.5 dns.query=firmware.axis.com",
        "10.0.0.5 http.user_agent=curl/7.68.0", "10.0.0.9 http.server=Boa/0.94.14rc21", "10.0.0.9 service.name=tcp/502 modbus", "10.0.0.9 service.served=tcp/502",
      ], form);
    }
  });

  it("follows logs as Zeek appends and rotates them, and resumes where it stopped", async () => {
    const dir = tmpDir("cordon-zeekf-");
    const row = (i: number): string[] => [`${1763805600 + i}.000000`, `C${i}`, "10.0.0.5", String(40000 + i), "10.0.0.9", "502", "tcp", "-", "0.1", "1", "1", "SF", "T", "T", "0", "Dd", "1", "41", "1", "41", "(empty)", "-", "-"];
    writeFileSync(join(dir, "conn.log"), tsv("conn", CONN_FIELDS, [row(1), row(2)], false));
    const { flows, sink } = sinkOf();
    const errors = new ErrorCounts();
    const reader = startZeekReader({ dir, site: "s", source: "zeek", follow: true, pollMs: 20 }, sink, errors);
    const until = async (n: number): Promise<void> => {
      for (let i = 0; i < 200 && flows.length < n; i++) await new Promise((r) => setTimeout(r, 20));
    };
    await until(2);
    // Half a line, then its end: nothing is read until the line is whole.
    const third = `${row(3).join("\t")}\n`;
    appendFileSync(join(dir, "conn.log"), third.slice(0, 20));
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(flows.length, 2);
    appendFileSync(join(dir, "conn.log"), third.slice(20));
    await until(3);
    // Zeek rotates: the last lines land in the old file just before the rename.
    appendFileSync(join(dir, "conn.log"), `${row(4).join("\t")}\n#close\t2026-11-22-11-00-00\n`);
    renameSync(join(dir, "conn.log"), join(dir, "conn.2026-11-22-10-00-00.log"));
    writeFileSync(join(dir, "conn.log"), tsv("conn", CONN_FIELDS, [row(5)], false));
    await until(5);
    await reader.stop();
    assert.deepEqual(flows.map((f) => f.srcPort), [40001, 40002, 40003, 40004, 40005]);
    const positions = reader.positions();
    appendFileSync(join(dir, "conn.log"), `${row(6).join("\t")}\n`);
    const again = sinkOf();
    const resumed = startZeekReader({ dir, site: "s", source: "zeek", follow: true, pollMs: 20,
      resumeAt: (p) => positions.find((x) => x.path === p) }, again.sink, errors);
    for (let i = 0; i < 100 && again.flows.length < 1; i++) await new Promise((r) => setTimeout(r, 20));
    await resumed.stop();
    assert.deepEqual(again.flows.map((f) => f.srcPort), [40006], "only the line written while stopped");
    assert.deepEqual(errors.toJSON(), {});
  });

  it("builds the inventory: MACs from conn and dhcp, addresses bound by the DHCP lease", async () => {
    const dir = tmpDir("cordon-zeeki-");
    writeFileSync(join(dir, "dhcp.log"), tsv("dhcp", DHCP_FIELDS, [["1763805599.000000", "C4", "10.0.0.5", "10.0.0.1", "00:40:8c:11:22:33", "axis-accc8e", "-", "lan", "-", "10.0.0.5", "86400.0", "REQUEST,ACK", "0.01"]]));
    writeFileSync(join(dir, "dns.log"), tsv("dns", DNS_FIELDS, [["1763805600.250000", "C3", "10.0.0.5", "5353", "10.0.0.1", "53", "udp", "7", "firmware.axis.com", "A", "NOERROR", "1.2.3.4", "60.0"]]));
    const p = createPipeline({ flows: () => undefined });
    const reader = startZeekReader({ dir, site: "default", source: "zeek", follow: false }, p, new ErrorCounts());
    await reader.done;
    const axis = [...p.inventory.devices.values()].find((d) => d.mac === "00:40:8c:11:22:33")!;
    assert.ok(axis, "the DHCP client is a device by MAC");
    assert.deepEqual(axis.factValues("dhcp.hostname"), ["axis-accc8e"]);
    assert.deepEqual(axis.factValues("dns.query"), ["firmware.axis.com"], "the DNS query by IP lands on the device the lease bound");
  });
});
