import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import Database from "better-sqlite3";
import type { FlowRecord } from "../src/model/flow-record.js";
import { FlowChunkError, chunkHasAny, chunkHosts, decodeFlowChunk, encodeFlowChunk, encodeWithHosts, flowChunkColumns, flowChunkRaw, hostFilter, hostKey } from "../src/store/flow-chunk.js";
import { MIGRATIONS } from "../src/store/migrations.js";
import { Store } from "../src/store/store.js";
import { tmpDir } from "./helpers.js";

function flow(i: number, partial: Partial<FlowRecord> = {}): FlowRecord {
  return {
    site: "default", source: "/captures/ward 3/überwachung.pcap", vlan: i % 4096, proto: i % 3 ? 6 : 17,
    srcMac: `02:00:00:00:${(i >> 8 & 255).toString(16).padStart(2, "0")}:${(i & 255).toString(16).padStart(2, "0")}`,
    srcIp: `10.1.${i >> 8 & 255}.${i & 255}`, srcPort: 1024 + (i % 60000),
    dstMac: "00:1c:7f:53:d0:28", dstIp: "2001:db8::1", dstPort: 443, initiatorKnown: i % 5 !== 0,
    packetsSrcToDst: i, bytesSrcToDst: i * 1500 + 2 ** 40, packetsDstToSrc: i * 2, bytesDstToSrc: i * 60,
    firstUs: 1_733_400_000_000_000 + i * 1000, lastUs: 1_733_400_000_500_000 + i * 1000,
    tcpFlagsSrc: 0x1ff, tcpFlagsDst: i & 0xff, appProtocol: "tls", appConfidence: "dpi", appService: "amazon-alexa", endReason: "idle",
    ...partial,
  };
}

function bare(i: number): FlowRecord {
  const f = flow(i, { endReason: "flush" });
  delete f.srcMac;
  delete f.dstMac;
  delete f.appProtocol;
  delete f.appConfidence;
  delete f.appService;
  return f;
}

describe("flow chunks", () => {
  it("decode gives back every field of every flow, absent optional fields staying absent", () => {
    const flows = [flow(0), flow(1), bare(2), flow(70_000, { appConfidence: "port", appProtocol: "http", initiatorKnown: false }), flow(3, { source: "" })];
    const back = decodeFlowChunk(encodeFlowChunk(flows));
    assert.deepEqual(back, flows);
    assert.equal("srcMac" in back[2], false);
    assert.equal("appConfidence" in back[2], false);
    assert.equal("appService" in back[2], false);
    assert.deepEqual(decodeFlowChunk(encodeFlowChunk([])), []);
    assert.deepEqual(decodeFlowChunk(encodeFlowChunk([flow(5, { source: "" })])), [flow(5, { source: "" })]);
  });

  it("a text is stored once however many flows name it", () => {
    const one = encodeFlowChunk([flow(1)]).length;
    const many = encodeFlowChunk(Array.from({ length: 100 }, () => flow(1))).length;
    const perFlow = (many - one) / 99;
    assert.ok(perFlow === 6 * 8 + 12 * 4 + 6 * 2 + 1, `each further copy adds only its numbers and references (${perFlow} bytes)`);
  });

  it("keeps IPv4 addresses as numbers and gives back the very text, IPv6 and odd spellings as texts", () => {
    const odd = ["010.1.2.3", "1.2.3.04", "1.2.3", "1.2.3.4.5", "256.1.1.1", " 1.2.3.4", "1.2.3.4 ", "::ffff:1.2.3.4", "fe80::1%eth0"];
    const flows = [
      flow(1, { srcIp: "0.0.0.0", dstIp: "255.255.255.255" }),
      flow(2, { srcIp: "192.168.100.200", dstIp: "8.8.8.8" }),
      ...odd.map((ip, i) => flow(10 + i, { srcIp: ip, dstIp: `10.0.0.${i}` })),
    ];
    assert.deepEqual(decodeFlowChunk(encodeFlowChunk(flows)), flows);
    const distinct = (n: number, ip: (i: number) => string): number => encodeFlowChunk(Array.from({ length: n }, (_, i) => flow(1, { srcIp: ip(i) }))).length;
    const v4 = distinct(1000, (i) => `10.9.${i >> 8}.${i & 255}`) - distinct(1, () => "10.9.0.0");
    const v6 = distinct(1000, (i) => `fd00::${i.toString(16)}`) - distinct(1, () => "fd00::0");
    assert.ok(v4 < v6, `1,000 distinct IPv4 addresses add no texts (${v4} bytes against ${v6} for IPv6)`);
  });

  it("writes a flow by flow chunk (version 3) when a small number does not fit 16 bits, and reads both versions", () => {
    for (const odd of [{ vlan: 70_000 }, { dstPort: -1 }, { tcpFlagsSrc: 1.5 }, { proto: 2 ** 20 }]) {
      const flows = [flow(1), flow(2, odd), bare(3)];
      const blob = encodeFlowChunk(flows);
      assert.equal(blob[0], 3, JSON.stringify(odd));
      assert.deepEqual(decodeFlowChunk(blob), flows);
    }
    assert.equal(encodeFlowChunk([flow(1), bare(2)])[0], 4);
  });

  it("reads chunks written before flows named their service (versions 1 and 2, nine texts a flow)", () => {
    // One Modbus flow as the previous release wrote it, in columns (2) and, with VLAN 70000, in rows (1).
    const old: FlowRecord = {
      site: "default", source: "old.pcap", vlan: 7, proto: 6, srcMac: "02:00:00:00:00:01", srcIp: "10.0.0.1", srcPort: 40000,
      dstMac: "02:00:00:00:00:02", dstIp: "10.0.0.2", dstPort: 502, initiatorKnown: true, packetsSrcToDst: 3, bytesSrcToDst: 180,
      packetsDstToSrc: 2, bytesDstToSrc: 120, firstUs: 1000, lastUs: 2000, tcpFlagsSrc: 0x1b, tcpFlagsDst: 0x1b,
      appProtocol: "modbus", appConfidence: "dpi", endReason: "closed",
    };
    const columns = "AgAAAAEAAABGAAAAAAAAAAAAAAAAAAhAAAAAAACAZkAAAAAAAAAAQAAAAAAAAF5AAAAAAABAj0AAAAAAAECfQAEAAAoCAAAKAQAAAAIAAAADAAAAAAAAAAQAAAAAAAAABQAAAAYAAAAHAAAABwAGAECc9gEbABsAAWRlZmF1bHQAb2xkLnBjYXAAMDI6MDA6MDA6MDA6MDA6MDEAMDI6MDA6MDA6MDA6MDA6MDIAbW9kYnVzAGRwaQBjbG9zZWQ=";
    const rows = "AQAAAAEAAABYAAAAAAAAAAAAAAAAF/FAAAAAAAAAGEAAAAAAAIjjQAAAAAAAYH9AAAAAAAAA8D8AAAAAAAAIQAAAAAAAgGZAAAAAAAAAAEAAAAAAAABeQAAAAAAAQI9AAAAAAABAn0AAAAAAAAA7QAAAAAAAADtAAQAAAAIAAAADAAAABAAAAAUAAAAGAAAABwAAAAgAAAAJAAAAZGVmYXVsdABvbGQucGNhcAAwMjowMDowMDowMDowMDowMQAxMC4wLjAuMQAwMjowMDowMDowMDowMDowMgAxMC4wLjAuMgBtb2RidXMAZHBpAGNsb3NlZA==";
    assert.deepEqual(decodeFlowChunk(Buffer.from(columns, "base64")), [old]);
    assert.deepEqual(decodeFlowChunk(Buffer.from(rows, "base64")), [{ ...old, vlan: 70000 }]);
  });

  it("columns give what decoding gives, in every version: IPv4 addresses written canonically as numbers, the rest as text", () => {
    const flows = [
      flow(1), bare(2), flow(3, { srcIp: "010.1.0.4" }), flow(4, { srcIp: "fd00::6", srcMac: undefined }), flow(5, { dstIp: "10.1.0.1", dstMac: undefined }),
      flow(6, { source: "" }), flow(7, { srcIp: "2001:db8::1", dstIp: "192.168.200.250" }), flow(8, { proto: 1, dstPort: 0 }),
    ];
    for (const f of flows) if (f.dstMac === undefined) delete f.dstMac;
    for (const f of flows) if (f.srcMac === undefined) delete f.srcMac;
    const old = Buffer.from("AgAAAAEAAABGAAAAAAAAAAAAAAAAAAhAAAAAAACAZkAAAAAAAAAAQAAAAAAAAF5AAAAAAABAj0AAAAAAAECfQAEAAAoCAAAKAQAAAAIAAAADAAAAAAAAAAQAAAAAAAAABQAAAAYAAAAHAAAABwAGAECc9gEbABsAAWRlZmF1bHQAb2xkLnBjYXAAMDI6MDA6MDA6MDA6MDA6MDEAMDI6MDA6MDA6MDA6MDA6MDIAbW9kYnVzAGRwaQBjbG9zZWQ=", "base64");
    const oldRows = Buffer.from("AQAAAAEAAABYAAAAAAAAAAAAAAAAF/FAAAAAAAAAGEAAAAAAAIjjQAAAAAAAYH9AAAAAAAAA8D8AAAAAAAAIQAAAAAAAgGZAAAAAAAAAAEAAAAAAAABeQAAAAAAAQI9AAAAAAABAn0AAAAAAAAA7QAAAAAAAADtAAQAAAAIAAAADAAAABAAAAAUAAAAGAAAABwAAAAgAAAAJAAAAZGVmYXVsdABvbGQucGNhcAAwMjowMDowMDowMDowMDowMQAxMC4wLjAuMQAwMjowMDowMDowMDowMDowMgAxMC4wLjAuMgBtb2RidXMAZHBpAGNsb3NlZA==", "base64");
    const blobs = [encodeFlowChunk(flows), encodeFlowChunk([...flows, flow(9, { vlan: 70_000 })]), old, oldRows];
    assert.deepEqual(blobs.map((b) => b[0]), [4, 3, 2, 1]);
    const number = (ip: string): number | string => (/^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/.test(ip) ? ip.split(".").reduce((a, o) => a * 256 + Number(o), 0) : ip);
    for (const blob of blobs) {
      const records = decodeFlowChunk(blob);
      const c = flowChunkColumns(blob);
      assert.equal(c.count, records.length);
      records.forEach((f, k) => {
        assert.deepEqual(
          [c.srcIp[k], c.dstIp[k], c.srcMac[k], c.dstMac[k], c.proto[k], c.dstPort[k], c.bytesSrcToDst[k], c.bytesDstToSrc[k], c.firstUs[k], c.lastUs[k]],
          [number(f.srcIp), number(f.dstIp), f.srcMac, f.dstMac, f.proto, f.dstPort, f.bytesSrcToDst, f.bytesDstToSrc, f.firstUs, f.lastUs],
          `version ${blob[0]}, flow ${k}`,
        );
      });
    }
    assert.equal(flowChunkColumns(blobs[0]).srcIp[2], "010.1.0.4", "an address not written canonically stays text, as decoding gives it");
    const cut = blobs[0].subarray(0, blobs[0].length - 3);
    assert.throws(() => flowChunkColumns(cut), FlowChunkError);
    assert.throws(() => decodeFlowChunk(cut), FlowChunkError);
    assert.throws(() => flowChunkColumns(blobs[0].subarray(0, 5)), FlowChunkError);
  });

  it("raw columns hold what decoding gives, in every version, and refuse references a chunk does not hold", () => {
    const flows = [flow(1), bare(2), flow(3, { srcIp: "010.1.0.4" }), flow(4, { srcIp: "fd00::6", srcMac: undefined, appService: "tuya" }), flow(5, { dstIp: "10.1.0.1", dstMac: undefined })];
    for (const f of flows) for (const k of ["srcMac", "dstMac", "appService"] as const) if (f[k] === undefined) delete f[k];
    const old = Buffer.from("AgAAAAEAAABGAAAAAAAAAAAAAAAAAAhAAAAAAACAZkAAAAAAAAAAQAAAAAAAAF5AAAAAAABAj0AAAAAAAECfQAEAAAoCAAAKAQAAAAIAAAADAAAAAAAAAAQAAAAAAAAABQAAAAYAAAAHAAAABwAGAECc9gEbABsAAWRlZmF1bHQAb2xkLnBjYXAAMDI6MDA6MDA6MDA6MDA6MDEAMDI6MDA6MDA6MDA6MDA6MDIAbW9kYnVzAGRwaQBjbG9zZWQ=", "base64");
    const blobs = [encodeFlowChunk(flows), encodeFlowChunk([...flows, flow(9, { vlan: 70_000 })]), old];
    assert.deepEqual(blobs.map((b) => b[0]), [4, 3, 2]);
    for (const blob of blobs) {
      const c = flowChunkRaw(blob);
      const text = (r: number): string | undefined => (r === 0 ? undefined : c.table[r - 1]);
      const ip = (v4: number, r: number): string => (r === 0 ? [24, 16, 8, 0].map((b) => (v4 >>> b) & 255).join(".") : text(r)!);
      const rebuilt = Array.from({ length: c.count }, (_, k) => {
        const [w, u, h] = [k * 6, k * 12, k * 6];
        const f: FlowRecord = {
          site: text(c.words[u + 2])!, source: text(c.words[u + 3])!, vlan: c.small[h], proto: c.small[h + 1], srcIp: ip(c.words[u], c.words[u + 5]), srcPort: c.small[h + 2],
          dstIp: ip(c.words[u + 1], c.words[u + 7]), dstPort: c.small[h + 3], initiatorKnown: c.initiator[k] === 1,
          packetsSrcToDst: c.wide[w], bytesSrcToDst: c.wide[w + 1], packetsDstToSrc: c.wide[w + 2], bytesDstToSrc: c.wide[w + 3], firstUs: c.wide[w + 4], lastUs: c.wide[w + 5],
          tcpFlagsSrc: c.small[h + 4], tcpFlagsDst: c.small[h + 5], endReason: text(c.words[u + 10])!,
        };
        const optional = { srcMac: text(c.words[u + 4]), dstMac: text(c.words[u + 6]), appProtocol: text(c.words[u + 8]), appConfidence: text(c.words[u + 9]) as FlowRecord["appConfidence"], appService: text(c.words[u + 11]) };
        for (const [key, v] of Object.entries(optional)) if (v !== undefined) Object.assign(f, { [key]: v });
        return f;
      });
      assert.deepEqual(rebuilt, decodeFlowChunk(blob), `version ${blob[0]}`);
    }
    assert.equal(flowChunkRaw(blobs[1]).small[6 * 5], 70_000, "rows keep a number past 16 bits as it is");
    // A reference past the table, or a flow without its site: refused as decoding refuses them.
    const bad = Buffer.from(blobs[0]);
    const wordsAt = 16 + flows.length * 6 * 8;
    bad.writeUInt32LE(999, wordsAt + 4 * 4);
    assert.throws(() => flowChunkRaw(bad), /refers to text 999/);
    bad.writeUInt32LE(0, wordsAt + 4 * 4);
    bad.writeUInt32LE(0, wordsAt + 2 * 4);
    assert.throws(() => flowChunkRaw(bad), FlowChunkError);
    assert.throws(() => flowChunkRaw(blobs[0].subarray(0, blobs[0].length - 3)), FlowChunkError);
  });

  it("a host filter returns exactly the flows with one of its hosts at either end (MAC or address), in every version, decoding only those", () => {
    const flows = [
      flow(1), flow(2), bare(3), flow(4, { srcIp: "010.1.0.4" }), flow(5, { dstIp: "10.1.0.1", dstMac: undefined }), flow(6, { srcIp: "fd00::6", srcMac: undefined }),
      flow(7, { source: "" }), flow(8, { srcMac: "02:00:00:00:00:01", srcIp: "10.9.9.9" }), flow(9, { srcIp: "2001:db8::1", dstIp: "10.1.0.2" }),
    ];
    for (const f of flows) if (f.dstMac === undefined) delete f.dstMac;
    for (const f of flows) if (f.srcMac === undefined) delete f.srcMac;
    const touches = (hosts: string[]) => (f: FlowRecord): boolean => [f.srcIp, f.dstIp, f.srcMac, f.dstMac].some((h) => h !== undefined && hosts.includes(h));
    const columns = encodeFlowChunk(flows);
    const rows = encodeFlowChunk([...flows, flow(10, { vlan: 70_000 })]);
    const old = Buffer.from("AgAAAAEAAABGAAAAAAAAAAAAAAAAAAhAAAAAAACAZkAAAAAAAAAAQAAAAAAAAF5AAAAAAABAj0AAAAAAAECfQAEAAAoCAAAKAQAAAAIAAAADAAAAAAAAAAQAAAAAAAAABQAAAAYAAAAHAAAABwAGAECc9gEbABsAAWRlZmF1bHQAb2xkLnBjYXAAMDI6MDA6MDA6MDA6MDA6MDEAMDI6MDA6MDA6MDA6MDA6MDIAbW9kYnVzAGRwaQBjbG9zZWQ=", "base64");
    assert.deepEqual([columns[0], rows[0], old[0]], [4, 3, 2]);
    for (const blob of [columns, rows, old]) {
      const all = decodeFlowChunk(blob);
      for (const hosts of [["10.1.0.1"], ["02:00:00:00:00:01"], ["fd00::6"], ["010.1.0.4"], ["00:1c:7f:53:d0:28"], ["2001:db8::1", "10.1.0.2"], ["10.0.0.2"], ["10.1.0"], ["1.0.1"], ["nowhere"], []]) {
        const got = decodeFlowChunk(blob, hostFilter(hosts));
        const want = all.map((f, k) => [f, k] as const).filter(([f]) => touches(hosts)(f));
        assert.deepEqual(got.flows, want.map(([f]) => f), `version ${blob[0]}: ${hosts.join(",")}`);
        assert.deepEqual(got.positions, want.map(([, k]) => k));
      }
    }
    assert.deepEqual(decodeFlowChunk(encodeFlowChunk([]), hostFilter(["10.0.0.1"])), { flows: [], positions: [] });
  });

  it("a chunk's hosts: every address and MAC of its flows as sorted distinct keys, found by binary search", () => {
    const flows = [flow(1), flow(2), bare(3), flow(4, { srcIp: "010.1.0.4", dstIp: "fd00::1" }), flow(5, { srcIp: "10.1.0.1" })];
    const hosts = chunkHosts(flows);
    const keys = Array.from({ length: hosts.length / 4 }, (_, i) => hosts.readUInt32LE(i * 4));
    assert.deepEqual(keys, [...new Set(keys)].sort((a, b) => a - b), "sorted and distinct");
    const present = [...new Set(flows.flatMap((f) => [f.srcIp, f.dstIp, f.srcMac, f.dstMac].filter((h): h is string => h !== undefined)))];
    assert.equal(keys.length, new Set(present.map(hostKey)).size);
    for (const h of present) assert.equal(chunkHasAny(hosts, [hostKey(h)]), true, h);
    assert.equal(hostKey("10.1.0.1"), (10 << 24 | 1 << 16 | 1) >>> 0, "an IPv4 address is its number");
    for (const h of ["10.1.0.9", "02:00:00:00:00:09", "fd00::2", "10.1.0.04"]) assert.equal(chunkHasAny(hosts, [hostKey(h)]), keys.includes(hostKey(h)), h);
    assert.equal(chunkHasAny(hosts, [hostKey("10.1.0.9"), hostKey("fd00::1")]), true, "any of several");
    assert.equal(chunkHasAny(chunkHosts([]), [hostKey("10.1.0.1")]), false);
    // Collected while a chunk is written, in either version, they are the same keys.
    for (const batch of [flows, [...flows, flow(6, { vlan: 70_000 })]]) {
      const both = encodeWithHosts(batch);
      assert.deepEqual(both.hosts, chunkHosts(batch));
      assert.deepEqual(both.data, encodeFlowChunk(batch));
    }
  });

  it("decodes from a Buffer at any byte offset, as SQLite may hand it over", () => {
    const blob = encodeFlowChunk([flow(1), bare(2)]);
    const shifted = Buffer.alloc(blob.length + 3);
    blob.copy(shifted, 3);
    assert.deepEqual(decodeFlowChunk(shifted.subarray(3)), [flow(1), bare(2)]);
  });

  for (const version of [4, 3]) it(`a damaged version ${version} chunk is refused with a FlowChunkError, never another exception`, () => {
    const blob = encodeFlowChunk([flow(1), bare(2), flow(3, version === 3 ? { vlan: 1e6 } : {})]);
    assert.equal(blob[0], version);
    assert.throws(() => decodeFlowChunk(blob.subarray(0, 10)), /shorter than its header/);
    assert.throws(() => decodeFlowChunk(blob.subarray(0, blob.length - 1)), /does not hold 3 flows/);
    const unknown = Buffer.from(blob);
    unknown[0] = 9;
    assert.throws(() => decodeFlowChunk(unknown), /version 9/);
    assert.throws(() => encodeFlowChunk([flow(1, { source: "a\0b" })]), FlowChunkError);
    let seed = 7;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    let refused = 0;
    for (let k = 0; k < 3000; k++) {
      const b = Buffer.from(blob);
      for (let m = 1 + rand(4); m > 0; m--) b[rand(b.length)] = rand(256);
      for (const read of [() => decodeFlowChunk(b), () => decodeFlowChunk(b, hostFilter(["10.1.0.1", "02:00:00:00:00:02", "2001:db8::1"])), () => flowChunkColumns(b), () => flowChunkRaw(b)]) {
        try {
          read();
        } catch (e) {
          assert.ok(e instanceof FlowChunkError, `mutation ${k}: ${(e as Error).stack}`);
          refused++;
        }
      }
    }
    assert.ok(refused > 0, "some mutations hit the header, the references or the texts");
  });
});

describe("flows in the store", () => {
  it("numbers flows on across batches (a batch's sites one after another), and lists them by first seen", () => {
    const store = new Store(":memory:");
    const a = [flow(3), flow(1, { site: "plant" }), flow(2)];
    const b = [flow(0, { site: "plant" }), bare(4)];
    store.saveFlows(a);
    store.saveFlows([]);
    store.saveFlows(b);
    const stored = store.flows();
    assert.deepEqual(stored.map((f) => [f.id, f.site, f.firstUs]), [
      [4, "plant", flow(0).firstUs], [3, "plant", flow(1).firstUs], [2, "default", flow(2).firstUs], [1, "default", flow(3).firstUs], [5, "default", flow(4).firstUs],
    ]);
    assert.deepEqual(store.flows(2).map((f) => f.id), [4, 3]);
    assert.deepEqual(stored.find((f) => f.id === 5), { ...bare(4), id: 5 });
  });

  it("a damaged chunk is skipped with a warning and counted; the other chunks are read", async () => {
    const store = new Store(":memory:");
    store.saveFlows([flow(1), flow(2)]);
    store.saveFlows([flow(3)]);
    store.saveFlows([flow(4, { site: "plant" })]);
    store.sql.run(`UPDATE flow_chunks SET data = substr(data, 1, 20) WHERE first_id = 3`);
    store.sql.run(`UPDATE flow_chunks SET data = 'text' WHERE first_id = 4`);
    const warnings: string[] = [];
    const onWarning = (w: Error): void => void warnings.push(w.message);
    process.on("warning", onWarning);
    try {
      assert.deepEqual(store.flows().map((f) => f.id), [1, 2]);
      assert.equal(store.flowGroups("default").reduce((n, g) => n + g.count, 0), 2);
      await new Promise((r) => setImmediate(r));
    } finally {
      process.off("warning", onWarning);
    }
    assert.equal(store.damagedFlowChunks, 3, "both by flows(), the default site's again by flowGroups()");
    assert.ok(warnings.some((w) => /flow chunk \d+ skipped: .*does not hold 1 flows/.test(w)), warnings.join("\n"));
    assert.ok(warnings.some((w) => /not a BLOB/.test(w)), warnings.join("\n"));
  });

  it("groups a site's flows per hour by ends, protocol, VLAN and destination port", () => {
    const store = new Store(":memory:");
    const h = 3_600_000_000;
    const base = flow(1, { vlan: 0, firstUs: 10 * h + 5, lastUs: 10 * h + 99 });
    store.saveFlows([
      base,
      { ...base, srcPort: 50_000, packetsSrcToDst: 4, firstUs: 10 * h + 1, lastUs: 11 * h + 7, initiatorKnown: false },
      { ...base, firstUs: 11 * h },
      { ...base, dstPort: 80 },
      { ...base, site: "plant" },
    ]);
    const groups = store.flowGroups("default");
    assert.equal(groups.length, 3);
    const first = groups.find((g) => g.firstUs === 10 * h + 1 && g.dstPort === 443)!;
    assert.equal(first.count, 2);
    assert.equal(first.packetsSrcToDst, base.packetsSrcToDst + 4);
    assert.equal(first.lastUs, 11 * h + 7);
    assert.equal(first.initiatorKnown, true);
    assert.equal(first.srcPort, 0);
    assert.equal(store.flowGroups("plant").length, 1);
    assert.deepEqual(store.flowGroups("nowhere"), []);
  });

  it("moves the flow rows of an older database into chunks, with their ids", () => {
    const path = join(tmpDir("flow-migration"), "old.db");
    const old = new Database(path);
    MIGRATIONS.slice(0, 5).forEach((m, v) => {
      assert.equal(typeof m, "string");
      old.exec(m as string);
      old.pragma(`user_version = ${v + 1}`);
    });
    const insert = old.prepare(`INSERT INTO flows (site, source, vlan, proto, src_mac, src_ip, src_port, dst_mac, dst_ip, dst_port, initiator_known,
      packets_src, bytes_src, packets_dst, bytes_dst, first_us, last_us, tcp_flags_src, tcp_flags_dst, app_protocol, app_confidence, end_reason)
      VALUES (@site, @source, @vlan, @proto, @srcMac, @srcIp, @srcPort, @dstMac, @dstIp, @dstPort, @ik, @packetsSrcToDst, @bytesSrcToDst,
      @packetsDstToSrc, @bytesDstToSrc, @firstUs, @lastUs, @tcpFlagsSrc, @tcpFlagsDst, @appProtocol, @appConfidence, @endReason)`);
    // Two sites interleaved, as serve writes them, and more rows than one chunk holds; rows of
    // that schema had no app service.
    const rows = Array.from({ length: 12_003 }, (_, i) => (i % 7 === 3 ? bare(i) : flow(i, { site: i % 3 === 0 ? "plant" : "default" })))
      .map(({ appService: _, ...f }) => f as FlowRecord);
    old.transaction(() => {
      for (const f of rows) insert.run({ srcMac: null, dstMac: null, appProtocol: null, appConfidence: null, ...f, ik: f.initiatorKnown ? 1 : 0 });
    })();
    old.close();
    const store = new Store(path);
    const tables = store.sql.column(`SELECT name FROM sqlite_master WHERE type = 'table'`);
    assert.ok(!tables.includes("flows") && tables.includes("flow_chunks"));
    assert.deepEqual(store.flows(), rows.map((f, i) => ({ ...f, id: i + 1 })));
    store.saveFlows([flow(99_999)]);
    assert.equal(store.flows().at(-1)!.id, rows.length + 1, "new flows are numbered after the moved ones");
  });
});
