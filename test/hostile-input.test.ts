import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { csv } from "../src/cli/output.js";
import { AlertBook, MAX_OPEN_EPISODES } from "../src/detect/alert.js";
import { arpSpoofDetector } from "../src/detect/arp-spoof.js";
import { MAX_DEVICES, behaviourDetector } from "../src/detect/behaviour.js";
import type { PacketEvent } from "../src/detect/event.js";
import { scanDetector } from "../src/detect/scan.js";
import { DEFAULT_LAB, generateLab } from "../src/lab/generate.js";
import type { Alert } from "../src/model/alert.js";
import type { FlowRecord } from "../src/model/flow-record.js";
import { FieldError, canonicalIp, csvCell, intValue, macValue, prefixValue, printable, textValue } from "../src/model/values.js";
import { createPipeline } from "../src/pipeline.js";
import { compileQuarantineNftables } from "../src/policy/compile/nftables-quarantine.js";
import { cef } from "../src/respond/notify/cef.js";
import { readCapture } from "../src/sources/capture.js";
import { Store } from "../src/store/store.js";
import type { Frame } from "../src/model/frame.js";
import { ErrorCounts } from "../src/net/error-counts.js";
import { startZeekReader } from "../src/sources/zeek/reader.js";
import { haveTool, tmpDir } from "./helpers.js";
import { saveInventory } from "../src/app/site-run.js";

/** Hostile values at each edge: parsed into canonical ones or refused, never passed on raw. */

const YEAR_2100_US = Date.UTC(2100, 0, 1) * 1000;

describe("values at the edge", () => {
  it("parses MACs, addresses, prefixes, numbers and text into one spelling, or names the field", () => {
    for (const m of ["AA:BB:CC:00:00:41", "aa-bb-cc-00-00-41", "aabb.cc00.0041", "AABBCC000041", "aabbcc-000041"]) assert.equal(macValue(m, "mac"), "aa:bb:cc:00:00:41");
    for (const bad of ["aa:bb:cc:00:00:56\n}\nflush ruleset", "aa:bb:cc:00:00", "", 12, null, "gg:bb:cc:00:00:41", "aa:bb:cc:00:00:41 "]) {
      if (bad === "aa:bb:cc:00:00:41 ") continue; // trailing blanks are what switches send: trimmed
      assert.throws(() => macValue(bad, "mac"), (e: unknown) => e instanceof FieldError && e.field === "mac", String(bad));
    }
    assert.equal(canonicalIp("010.000.000.001"), undefined, "leading zeros are not read as octal or decimal guesses");
    assert.equal(canonicalIp("10.0.0.1"), "10.0.0.1");
    assert.equal(canonicalIp("FD00:0:0::0001"), "fd00::1");
    assert.equal(canonicalIp("fe80::1%eth0"), undefined);
    assert.equal(canonicalIp("10.0.0.1 }"), undefined);
    assert.equal(prefixValue("10.0.0.0/08", "p"), "10.0.0.0/8");
    assert.throws(() => prefixValue("10.0.0.0/33", "p"), /p: not an address or prefix/);
    assert.throws(() => prefixValue("fd00::/129", "p"));
    assert.equal(intValue("25", "limit", 1, 100), 25);
    for (const bad of ["abc", "-1", "0", "1.5", "1e3", " 5", 101]) assert.throws(() => intValue(bad, "limit", 1, 100), /limit: a whole number from 1 to 100/);
    assert.equal(textValue("  beaconing  ", "reason"), "beaconing");
    for (const bad of ["", "   ", "a\nb", "a\u202eb", "x".repeat(501), 5]) assert.throws(() => textValue(bad, "reason"), /reason:/);
    assert.equal(printable("evil\u001b[2J\u202ename\u0085"), "evil [2J name ");
  });

  it("escapes CSV cells a spreadsheet would run as formulas, and strips controls from CEF", () => {
    assert.equal(csvCell("=cmd|' /C calc'!A0"), "'=cmd|' /C calc'!A0");
    for (const c of ["+1", "-2+3", "@SUM(A1)", "\tx", "\rx"]) assert.ok(csvCell(c).replace(/^"/, "").startsWith("'"), c);
    assert.equal(csvCell("camera-1"), "camera-1");
    assert.equal(csv(["hostname", "n"], [["=HYPERLINK(\"http://x\")", 3]]), "hostname,n\n\"'=HYPERLINK(\"\"http://x\"\")\",3");
    const alert: Alert = {
      id: "0123456789abcdef", detector: "signals", class: "cleartext-credentials", severity: "high", technique: "T1552", site: "default", source: "10.0.0.5",
      title: "credentials from host \u202eexe.txt\u001b[31m", firstUs: 1, lastUs: 2, count: 1, evidence: { packets: [], flows: [], observations: [] }, status: "open",
    };
    const line = cef(alert);
    assert.doesNotMatch(line, /[\u0000-\u001f\u007f-\u009f\u202a-\u202e]/);
    assert.match(line, /credentials from host {2}exe\.txt \[31m/);
  });
});

describe("the nftables quarantine writes only parsed values", () => {
  it("drops an address that is not one and keeps the script one table", () => {
    const script = compileQuarantineNftables([
      { mac: "aa:bb:cc:00:00:56\n}\nflush ruleset", v4: ["10.0.0.5", "10.0.0.6 }\nflush ruleset\ntable inet x {", "fd00::9"], v6: ["fd00::1", "10.0.0.7"] },
    ], ["10.0.99.5", "bogus }"]);
    assert.doesNotMatch(script, /flush ruleset/);
    assert.match(script, /elements = \{ 10\.0\.0\.5 \}/);
    assert.match(script, /elements = \{ fd00::1 \}/);
    assert.match(script, /# \(not a MAC\): 10\.0\.0\.5, fd00::1/);
    if (haveTool("nft") && process.getuid?.() === 0) {
      const r = spawnSync("nft", ["-c", "-f", "-"], { input: script, encoding: "utf8" });
      assert.equal(r.status, 0, r.stderr);
    }
  });
});

describe("Zeek logs: addresses parsed where they enter", () => {
  it("drops and counts conn records whose addresses or MACs are not addresses", async () => {
    const dir = tmpDir("cordon-zeek-hostile-");
    const rows = [
      { ts: 1763805600.1, "id.orig_h": "10.0.0.5", "id.orig_p": 40000, "id.resp_h": "10.0.0.9", "id.resp_p": 502, proto: "tcp" },
      { ts: 1763805600.2, "id.orig_h": "10.0.0.5\n}\nflush ruleset", "id.orig_p": 40001, "id.resp_h": "10.0.0.9", "id.resp_p": 502, proto: "tcp" },
      { ts: 1763805600.3, "id.orig_h": "10.0.0.6", "id.orig_p": 40002, "id.resp_h": "not-an-ip", "id.resp_p": 80, proto: "tcp" },
      { ts: 1763805600.4, "id.orig_h": "10.0.0.6", "id.orig_p": 40003, "id.resp_h": "FD00::0009", "id.resp_p": 80, proto: "tcp", orig_l2_addr: "AA-BB-CC-00-00-06" },
      { ts: 1763805600.5, "id.orig_h": "10.0.0.7", "id.orig_p": 40004, "id.resp_h": "10.0.0.9", "id.resp_p": 80, proto: "tcp", orig_l2_addr: "aa:bb:cc:00:00:07;drop" },
    ];
    writeFileSync(join(dir, "conn.log"), `${rows.map((r) => JSON.stringify(r)).join("\n")}\n`);
    const flows: FlowRecord[] = [];
    const errors = new ErrorCounts();
    const reader = startZeekReader({ dir, site: "s", source: "zeek", follow: false }, { pushFlow: (r) => void flows.push(r), observe: () => undefined }, errors);
    await reader.done;
    assert.deepEqual(flows.map((f) => [f.srcIp, f.dstIp, f.srcMac]), [["10.0.0.5", "10.0.0.9", undefined], ["10.0.0.6", "fd00::9", "aa:bb:cc:00:00:06"]]);
    assert.equal(errors.toJSON()["zeek.bad-address"], 3);
  });
});

describe("record time that cannot be poisoned", () => {
  it("a year-2100 flow record neither moves the packet clock nor changes the flows of a following capture", async () => {
    const dir = tmpDir("cordon-clock-");
    const lab = generateLab(dir, { ...DEFAULT_LAB, devices: 20, durationS: 600, seed: 4, scenarios: [] });
    const run = async (poison: boolean): Promise<{ flows: number; clamped: number; now: number }> => {
      const p = createPipeline({ flows: () => undefined }, { futureSkewUs: 300_000_000 });
      if (poison) {
        p.pushFlow({
          site: "default", source: "netflow:192.0.2.9", vlan: 0, proto: 6, srcIp: "10.0.0.5", srcPort: 1, dstIp: "10.0.0.9", dstPort: 2, initiatorKnown: false,
          packetsSrcToDst: 1, bytesSrcToDst: 40, packetsDstToSrc: 0, bytesDstToSrc: 0, firstUs: YEAR_2100_US, lastUs: YEAR_2100_US, tcpFlagsSrc: 2, tcpFlagsDst: 0, endReason: "netflow",
        });
      }
      const nowAfterRecord = p.now();
      p.beginSource(lab.pcap, "default");
      await readCapture(lab.pcap, p.push);
      p.flush();
      return { flows: p.stats.flows - (poison ? 1 : 0), clamped: p.stats.errors.toJSON()["time.future-clamped"] ?? 0, now: nowAfterRecord };
    };
    const clean = await run(false);
    const poisoned = await run(true);
    assert.equal(poisoned.now, 0, "a flow record does not move the packet clock");
    assert.equal(poisoned.clamped, 1);
    assert.equal(poisoned.flows, clean.flows);
    // analyze keeps record time: the same capture without the wall-clock rule gives the same flows.
    const p = createPipeline({ flows: () => undefined });
    p.beginSource(lab.pcap, "default");
    await readCapture(lab.pcap, p.push);
    p.flush();
    assert.equal(p.stats.flows, clean.flows);
  });

  it("a live frame stamped in 2100 is clamped to the wall clock: the packets after it keep their flows", async () => {
    const dir = tmpDir("cordon-clock-live-");
    const lab = generateLab(dir, { ...DEFAULT_LAB, devices: 10, durationS: 60, seed: 6, scenarios: [] });
    const frames: Frame[] = [];
    await readCapture(lab.pcap, (f) => void frames.push({ ...f, buf: Buffer.from(f.buf.subarray(f.offset, f.offset + f.caplen)), offset: 0 }));
    // As if captured live: the capture ends now.
    const shift = Date.now() * 1000 - 1_000_000 - frames[frames.length - 1].tsUs;
    const live = (): Frame[] => frames.map((f) => ({ ...f, tsUs: f.tsUs + shift }));
    const run = (poison: boolean): { flows: number; clamped: number } => {
      const p = createPipeline({ flows: () => undefined }, { futureSkewUs: 300_000_000 });
      p.beginSource("capture:eth1", "default");
      const list = live();
      if (poison) list.unshift({ ...list[0], tsUs: YEAR_2100_US });
      for (const f of list) p.push(f);
      p.flush();
      return { flows: p.stats.flows, clamped: p.stats.errors.toJSON()["time.future-clamped"] ?? 0 };
    };
    const clean = run(false);
    const poisoned = run(true);
    assert.equal(poisoned.clamped, 1);
    assert.ok(poisoned.flows <= clean.flows + 1, `${poisoned.flows} flows against ${clean.flows}: the frames after the poisoned one are not each a flow`);
    assert.equal(clean.clamped, 0);
  });
});

describe("nft accepts what the quarantine compiler writes", { skip: !haveTool("nft") || process.getuid?.() !== 0 ? "needs root and nft" : false }, () => {
  it("for addresses of both families and none", () => {
    for (const devices of [[], [{ mac: "aa:bb:cc:00:00:01", v4: ["10.0.0.1"], v6: ["fd00::1"] }]]) {
      execFileSync("nft", ["-c", "-f", "-"], { input: compileQuarantineNftables(devices, ["10.0.99.5", "fd00::99"]) });
    }
  });
});

describe("detector state is bounded, and a flood cannot blind it", () => {
  const T0 = 1_700_000_000_000_000;
  it("the scan detector still sees a real scanner after 60,000 spoofed one-probe sources", () => {
    const d = scanDetector();
    const raised: string[] = [];
    const ctx = { raise: (a: { title: string }) => void raised.push(a.title) };
    const probe = (src: string, dst: string, port: number, t: number): FlowRecord => ({
      site: "default", source: "capture:eth1", vlan: 0, proto: 6, srcIp: src, srcPort: 40000, dstIp: dst, dstPort: port, initiatorKnown: true,
      packetsSrcToDst: 1, bytesSrcToDst: 44, packetsDstToSrc: 0, bytesDstToSrc: 0, firstUs: t, lastUs: t, tcpFlagsSrc: 2, tcpFlagsDst: 0, endReason: "idle",
    });
    for (let i = 0; i < 60_000; i++) d.flow!(probe(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, "10.200.0.1", 80, T0 + i), ctx);
    for (let p = 0; p < 15; p++) d.flow!(probe("192.168.66.6", "10.200.0.9", 1000 + p, T0 + 70_000 + p), ctx);
    assert.ok(raised.some((t) => t.includes("192.168.66.6")), raised.join("; "));
    assert.ok(d.evicted!() >= 10_000);
  });

  it("the ARP detector still tells a spoof after 150,000 forged claims", () => {
    const d = arpSpoofDetector();
    const raised: string[] = [];
    const ctx = { raise: (a: { title: string }) => void raised.push(a.title) };
    const claim = (mac: string, ip: string, t: number): PacketEvent => ({ kind: "arp.claim", value: ip, site: "default", source: "capture:eth1", tsUs: t, packet: 1, mac, proto: 0, aboutSource: true });
    for (let i = 0; i < 150_000; i++) {
      d.observation!(claim(`02:00:${((i >> 16) & 255).toString(16).padStart(2, "0")}:${((i >> 8) & 255).toString(16).padStart(2, "0")}:${(i & 255).toString(16).padStart(2, "0")}:01`, `10.${1 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`, T0 + i), ctx);
    }
    // A host that joins after the flood is still tracked, and its address defended.
    d.observation!(claim("00:40:8c:00:00:01", "10.0.0.1", T0 + 200_000_000), ctx);
    d.observation!(claim("66:66:66:00:00:01", "10.0.0.1", T0 + 200_000_100), ctx);
    assert.ok(raised.some((t) => t.startsWith("66:66:66:00:00:01 claims 10.0.0.1")), raised.slice(-3).join("; "));
    assert.ok(d.evicted!() >= 50_000);
  });
});

describe("behaviour state and alert episodes are bounded", () => {
  const T0 = 1_700_000_000_000_000;
  it("the behaviour detector tracks at most MAX_DEVICES devices, letting the oldest go", () => {
    const d = behaviourDetector({ prior: new Map(), categories: new Map(), routers: new Set(), names: new Map() });
    const ctx = { raise: () => undefined };
    const flow = (i: number): FlowRecord => ({
      site: "default", source: "netflow:192.0.2.9", vlan: 0, proto: 6, srcIp: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, srcPort: 40000,
      srcMac: `02:00:00:${((i >> 16) & 255).toString(16).padStart(2, "0")}:${((i >> 8) & 255).toString(16).padStart(2, "0")}:${(i & 255).toString(16).padStart(2, "0")}`,
      dstIp: "10.255.0.1", dstPort: 443, initiatorKnown: true, packetsSrcToDst: 3, bytesSrcToDst: 200, packetsDstToSrc: 3, bytesDstToSrc: 200,
      firstUs: T0 + i, lastUs: T0 + i, tcpFlagsSrc: 0x1b, tcpFlagsDst: 0x1b, endReason: "idle",
    });
    for (let i = 0; i < MAX_DEVICES + 500; i++) d.flow!(flow(i), ctx);
    assert.ok(d.evicted!() >= 500 && d.evicted!() <= 510, `${d.evicted!()} evicted`);
  });

  it("past MAX_OPEN_EPISODES the oldest episode is closed and kept, none is lost", () => {
    const book = new AlertBook();
    for (let i = 0; i < MAX_OPEN_EPISODES + 10; i++) {
      book.raise({ detector: "scan", class: "scan", severity: "medium", technique: "T1046", site: "default", source: `s${i}`, title: "t", tsUs: T0 + i });
    }
    assert.equal(book.closedEarly, 10);
    assert.equal(book.all().length, MAX_OPEN_EPISODES + 10);
  });
});

describe("the inventory's device budget", () => {
  it("lets saved, quiet devices go from memory; one seen again adds to what the store holds", () => {
    const T0 = 1_700_000_000_000_000;
    const dir = tmpDir("cordon-device-budget-");
    const store = new Store(join(dir, "c.db"));
    try {
      const p = createPipeline({ flows: (b) => store.saveFlows(b) });
      const record = (i: number, t: number): FlowRecord => ({
        site: "default", source: "netflow:192.0.2.9", vlan: 0, proto: 17, srcIp: `10.9.${i >> 8}.${i & 255}`, srcPort: 5000, dstIp: "10.9.255.1", dstPort: 53,
        initiatorKnown: true, packetsSrcToDst: 2, bytesSrcToDst: 100, packetsDstToSrc: 0, bytesDstToSrc: 0, firstUs: t, lastUs: t, tcpFlagsSrc: 0, tcpFlagsDst: 0, endReason: "netflow",
      });
      for (let i = 0; i < 1000; i++) p.pushFlow(record(i, T0 + i));
      p.flush();
      saveInventory(store, p.inventory);
      // One device not yet saved, and one seen recently: neither may go.
      p.pushFlow(record(1, T0 + 7_200_000_000));
      const before = p.inventory.devices.size;
      assert.equal(p.inventory.letGoIdle(500, T0 + 3_600_000_000), before - 450);
      assert.equal(p.inventory.devices.size, 450);
      assert.ok([...p.inventory.devices.values()].some((d) => d.ipKey === "10.9.0.1"), "the device seen since stays");
      // Device 7 went; seen again, it adds to the stored counters.
      p.pushFlow(record(7, T0 + 7_200_000_001));
      p.flush();
      saveInventory(store, p.inventory);
      const seven = store.devices().find((d) => d.key === "ip:10.9.0.7")!;
      assert.equal(seven.packetsOut, 4, "two stored packets plus two new ones");
      assert.equal(store.devices().length, before);
    } finally {
      store.close();
    }
  });
});
