import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { InputError } from "../src/app/errors.js";
import { type Page, findDevices, flowFilter, flowsByFirstSeen, latestFlows, listAlerts, listAudit, listDevices, listFlows, listPolicies } from "../src/app/queries.js";
import { AuditLog } from "../src/store/audit.js";
import type { DeviceChange } from "../src/inventory/inventory.js";
import type { Alert } from "../src/model/alert.js";
import type { FlowRecord } from "../src/model/flow-record.js";
import { RECENT_PER_END, RecentFlows } from "../src/store/recent-flows.js";
import { Store } from "../src/store/store.js";
import { siteOverview } from "../src/app/overview.js";

const change = (site: string, key: string): DeviceChange => ({
  site, key, mac: key, ouiVendor: null, localMac: false, router: false, firstUs: 1, lastUs: 2, packetsOut: 1, packetsIn: 1, bytesOut: 1, bytesIn: 1,
  dropTrafficAddresses: false, addresses: [], endpoints: [], facts: [],
});

const flow = (site: string, i: number): FlowRecord => ({
  site, source: "t", vlan: 0, proto: 17, srcIp: "10.0.0.1", srcPort: 5000 + i, dstIp: "10.0.0.2", dstPort: 53, initiatorKnown: true,
  packetsSrcToDst: 1, bytesSrcToDst: 60, packetsDstToSrc: 1, bytesDstToSrc: 90, firstUs: i, lastUs: i + 1, tcpFlagsSrc: 0, tcpFlagsDst: 0, endReason: "idle",
});

const alert = (id: string, firstUs: number, o: Partial<Alert> = {}): Alert => ({
  id, detector: "scan", class: "scan", severity: "medium", technique: "T1046", site: "a", title: id, firstUs, lastUs: firstUs, count: 1,
  evidence: { packets: [], flows: [], observations: [] }, status: "open", ...o,
});

/** Every item, page by page, with how many pages it took. */
function all<T>(list: (after?: string) => Page<T>): { items: T[]; pages: number } {
  const items: T[] = [];
  let pages = 0;
  let after: string | undefined;
  do {
    const p = list(after);
    items.push(...p.items);
    after = p.next;
    pages++;
  } while (after !== undefined);
  return { items, pages };
}

describe("reading the store a page at a time (app/queries.ts)", () => {
  const store = new Store(":memory:");
  const ids = store.saveDevices(["02:00:00:00:00:01", "02:00:00:00:00:02", "02:00:00:00:00:03"].map((k) => change("a", k)).concat([change("b", "02:00:00:00:00:04"), change("b", "02:00:00:00:00:05")]));
  store.saveVerdicts([{ deviceId: ids[0], verdict: { category: "camera", confidence: 0.9, evidence: [], decidedUs: 1 } }, { deviceId: ids[3], verdict: { category: "camera", confidence: 0.9, evidence: [], decidedUs: 1 } }]);
  store.setOverride(ids[3], { category: "plc", setBy: "ana", setAt: "t" });
  store.saveFlows([1, 2, 3].map((i) => flow("a", i)));
  store.saveFlows([4, 5].map((i) => flow("b", i)));
  store.saveAlerts([alert("x1", 10), alert("x2", 20, { severity: "high" }), alert("x3", 20, { class: "brute-force" }), alert("x4", 30, { site: "b" })]);
  store.setAlertStatus("x1", "resolved", "ana", "t");

  it("devices: pages put together are the whole list in order; filters by site and by effective category", () => {
    const whole = all((after) => listDevices(store, { limit: 2, after }));
    assert.equal(whole.pages, 3);
    assert.deepEqual(whole.items.map((d) => d.device.key), ["02:00:00:00:00:01", "02:00:00:00:00:02", "02:00:00:00:00:03", "02:00:00:00:00:04", "02:00:00:00:00:05"]);
    assert.deepEqual(listDevices(store, { site: "b" }).items.map((d) => d.device.key), ["02:00:00:00:00:04", "02:00:00:00:00:05"]);
    assert.deepEqual(listDevices(store, { category: "camera" }).items.map((d) => d.device.key), ["02:00:00:00:00:01"], "the override made the other one a PLC");
    assert.deepEqual(all((after) => listDevices(store, { category: "unknown", limit: 1, after })).items.map((d) => d.device.key), ["02:00:00:00:00:02", "02:00:00:00:00:03", "02:00:00:00:00:05"]);
    const exact = listDevices(store, { limit: 5 });
    assert.equal(exact.items.length, 5);
    assert.deepEqual(listDevices(store, { limit: 5, after: exact.next }), { items: [] }, "a full last page's cursor leads to an empty page, the end");
  });

  it("flows: by id, page after page, of one site or of all", () => {
    const whole = all((after) => listFlows(store, { limit: 2, after }));
    assert.deepEqual(whole.items.map((f) => f.srcPort), [5001, 5002, 5003, 5004, 5005]);
    assert.equal(whole.pages, 3);
    assert.equal(all((after) => listFlows(store, { limit: 5, after })).pages, 2, "five flows in pages of five: a full page, then an empty one");
    assert.deepEqual(all((after) => listFlows(store, { site: "b", limit: 1, after })).items.map((f) => f.srcPort), [5004, 5005]);
  });

  it("the newest flows a filter keeps, newest first, holding no more than asked (against sorting them all)", () => {
    const s2 = new Store(":memory:");
    const address = (ip: string) => ({ ip, origin: "arp", firstUs: 1, lastUs: 2, source: "t", packet: 1 });
    s2.saveDevices([{ ...change("a", "02:00:00:00:00:01"), addresses: [address("10.0.0.7"), address("10.0.0.8")] }, change("b", "02:00:00:00:00:02")]);
    // Out of time order, with ties on first seen, two sites, two protocols, in chunks of every size;
    // some flows carry the device's MAC, some only one of its addresses (as NetFlow's do).
    let seed = 7;
    const rnd = (n: number): number => (seed = (seed * 1103515245 + 12345) % 2147483648) % n;
    const flows = Array.from({ length: 3000 }, (_, i) => {
      const f: FlowRecord = { ...flow(i % 3 === 0 ? "b" : "a", i), firstUs: rnd(500), proto: i % 4 === 0 ? 6 : 17, srcIp: `10.0.0.${rnd(10)}` };
      f.lastUs = f.firstUs + rnd(50);
      if (rnd(5) === 0) f.srcMac = "02:00:00:00:00:01";
      return f;
    });
    for (let i = 0; i < flows.length;) {
      const n = 1 + rnd(400);
      s2.saveFlows(flows.slice(i, i + n));
      i += n;
    }
    const recent = new RecentFlows();
    for (const filter of [{}, { site: "a" }, { protocol: "tcp" }, { site: "b", protocol: "udp", from: "1970-01-01T00:00:00Z" },
      { device: "02:00:00:00:00:01" }, { device: "02:00:00:00:00:01", site: "b" }, { device: "10.0.0.8", site: "a" }, { device: "02:00:00:00:00:01", site: "a", protocol: "udp" }, { device: "10.0.0.3" }, { device: "10.0.0.8", until: "1970-01-01T00:00:00.000300Z" }]) {
      const f = flowFilter(filter);
      const everything = flowsByFirstSeen(s2, f);
      for (const n of [1, 7, 100, 2999, 5000].filter((x) => x <= 10_000)) {
        const chunks = latestFlows(s2, f, n);
        assert.deepEqual([chunks.read, chunks.flows.map((x) => x.id)], ["chunks", everything.slice(-n).reverse().map((x) => x.id)], `${JSON.stringify(filter)} ${n}`);
        // The newest flows kept per end give the same flows, whole, where they can answer:
        // a device alone (its addresses private), at most RECENT_PER_END of them.
        const kept = latestFlows(s2, f, n, { recent });
        assert.deepEqual(kept.flows, chunks.flows, `kept: ${JSON.stringify(filter)} ${n}`);
        assert.equal(kept.read, f.device !== undefined && Object.keys(filter).every((k) => k === "device" || k === "site") && n <= RECENT_PER_END ? "recent" : "chunks", `${JSON.stringify(filter)} ${n}`);
      }
      // Against a plain reading of every flow: what the filter means.
      // The device is at site a: asked at site b, its MAC alone names its flows there.
      const hosts = (f.device === "02:00:00:00:00:01" || f.device === "10.0.0.8") && f.site !== "b" ? ["02:00:00:00:00:01", "10.0.0.7", "10.0.0.8"] : f.device === undefined ? undefined : [f.device];
      const plain = [...s2.eachFlow()].filter((x) => (f.site === undefined || x.site === f.site) && (hosts === undefined || [x.srcIp, x.dstIp, x.srcMac, x.dstMac].some((h) => h !== undefined && hosts.includes(h)))
        && (f.protocol === undefined || x.proto === f.protocol) && (f.untilUs === undefined || x.firstUs <= f.untilUs));
      assert.deepEqual(everything.map((x) => x.id).sort((a, b) => a - b), plain.map((x) => x.id), JSON.stringify(filter));
      assert.ok(plain.length > 0, JSON.stringify(filter));
    }
    s2.close();
  });

  it("alerts: the active ones by default, or a status, a class, a site, at least a severity; oldest first, page after page", () => {
    assert.deepEqual(listAlerts(store).items.map((a) => a.id), ["x2", "x3", "x4"]);
    assert.deepEqual(all((after) => listAlerts(store, { status: "all", limit: 1, after })).items.map((a) => a.id), ["x1", "x2", "x3", "x4"]);
    assert.deepEqual(listAlerts(store, { status: "resolved" }).items.map((a) => a.id), ["x1"]);
    assert.deepEqual(listAlerts(store, { class: "brute-force" }).items.map((a) => a.id), ["x3"]);
    assert.deepEqual(listAlerts(store, { site: "b" }).items.map((a) => a.id), ["x4"]);
    assert.deepEqual(listAlerts(store, { minSeverity: "high" }).items.map((a) => a.id), ["x2"]);
    const s3 = new Store(":memory:");
    const [bound] = s3.saveDevices([change("a", "02:00:00:00:00:09")]);
    s3.saveAlerts([{ ...alert("d1", 1, { source: "10.0.0.9" }), deviceId: bound }, alert("d2", 2, { source: "10.0.0.9" }), alert("d3", 3, { target: "10.0.0.9" }), alert("d4", 4, { source: "10.0.0.1" })]);
    assert.deepEqual(listAlerts(s3, { device: "02:00:00:00:00:09" }).items.map((a) => a.id), ["d1"], "by the device's MAC");
    assert.deepEqual(listAlerts(s3, { device: "10.0.0.9" }).items.map((a) => a.id), ["d1", "d2", "d3"], "by an address, as source or target");
    s3.close();
  });

  it("policies: by site, name and status, newest first", () => {
    const p1 = store.savePolicy({ name: "a", site: "a", body: () => "{}", actor: "ana", at: "t" });
    const p2 = store.savePolicy({ name: "b", site: "b", body: () => "{}", actor: "ana", at: "t" });
    store.setPolicyStatus(p1.id, "approved", { actor: "bo", at: "t" });
    assert.deepEqual(listPolicies(store).map((p) => p.id), [p2.id, p1.id]);
    assert.deepEqual(listPolicies(store, { site: "a" }).map((p) => p.id), [p1.id]);
    assert.deepEqual(listPolicies(store, { status: "proposed" }).map((p) => p.id), [p2.id]);
  });

  it("one device in detail: classification with the override, and every verdict it had", () => {
    const [d] = findDevices(store, "02:00:00:00:00:04");
    assert.deepEqual([d.device.key, d.classification.category, d.history.map((v) => v.category)], ["02:00:00:00:00:04", "plc", ["camera"]]);
    assert.deepEqual(findDevices(store, "02:00:00:00:00:99"), []);
  });

  it("the audit log, newest first, page after page", () => {
    const log = new AuditLog(store.sql);
    for (let i = 0; i < 5; i++) log.append({ at: `t${i}`, principal: "os:ana", actor: "ana", via: "cli", action: `a${i}`, outcome: "ok" });
    const whole = all((after) => listAudit(store, { limit: 2, after }));
    assert.deepEqual(whole.items.map((e) => e.action), ["a4", "a3", "a2", "a1", "a0"]);
    assert.equal(whole.pages, 3);
  });

  it("a forged cursor, or a limit out of range, is refused as input", () => {
    for (const after of ["", "!!", Buffer.from("[1,2,3]").toString("base64url"), Buffer.from('"x"').toString("base64url"), "A".repeat(3000)]) {
      assert.throws(() => listDevices(store, { after }), InputError, after);
      assert.throws(() => listFlows(store, { after }), InputError, after);
      assert.throws(() => listAlerts(store, { after }), InputError, after);
    }
    assert.throws(() => listFlows(store, { after: Buffer.from("-5").toString("base64url") }), InputError);
    for (const limit of [0, -1, 1.5, 10_001]) assert.throws(() => listDevices(store, { limit }), InputError);
    // Random cursors: a page or an input error, never anything else.
    let seed = 11;
    for (let i = 0; i < 2000; i++) {
      const bytes = Buffer.from(Array.from({ length: (seed = (seed * 1103515245 + 12345) >>> 0) % 30 }, (_, k) => (seed >>> (k % 24)) & 0xff));
      const after = i % 2 === 0 ? bytes.toString("base64url") : JSON.stringify([bytes.toString("latin1"), i]);
      for (const list of [() => listDevices(store, { after }), () => listFlows(store, { after }), () => listAlerts(store, { after })]) {
        try {
          list();
        } catch (e) {
          assert.ok(e instanceof InputError, `${after}: ${(e as Error).message}`);
        }
      }
    }
  });
});

describe("a site at a glance (app/overview.ts)", () => {
  it("counts devices by effective category and criticality, open alerts by severity, and alerts per day up to the newest", () => {
    const store = new Store(":memory:");
    try {
      const ids = store.saveDevices(["02:00:00:00:00:01", "02:00:00:00:00:02"].map((k) => change("a", k)).concat([change("b", "02:00:00:00:00:03")]));
      store.saveVerdicts([{ deviceId: ids[0], verdict: { category: "camera", confidence: 0.9, evidence: [], decidedUs: 1 } }]);
      store.setOverride(ids[1], { category: "plc", setBy: "ana", setAt: "t" });
      const day = (d: string, h = 12): number => Date.parse(`${d}T${String(h).padStart(2, "0")}:00:00Z`) * 1000;
      store.saveAlerts([alert("y1", day("2026-03-01")), alert("y2", day("2026-03-03", 1), { severity: "high" }), alert("y3", day("2026-03-03", 23), { severity: "high" }),
        alert("y4", day("2026-02-01"), { severity: "low" }), alert("y5", day("2026-03-03"), { site: "b", severity: "critical" })]);
      store.setAlertStatus("y2", "resolved", "ana", "t");
      const a = siteOverview(store, { site: "a", days: 3 });
      assert.equal(a.devices, 2);
      assert.deepEqual(a.byCategory, { camera: 1, plc: 1 });
      assert.deepEqual(a.byCriticality, { "sensitive-data": 1, "life-safety/physical-process": 1 });
      assert.deepEqual(a.openBySeverity, { low: 1, medium: 1, high: 1, critical: 0 }, "the resolved one is not open");
      assert.deepEqual(a.alertsByDay, [
        { day: "2026-03-01", low: 0, medium: 1, high: 0, critical: 0 },
        { day: "2026-03-02", low: 0, medium: 0, high: 0, critical: 0 },
        { day: "2026-03-03", low: 0, medium: 0, high: 2, critical: 0 },
      ], "every day of the window, the one before it left out");
      assert.equal(siteOverview(store).devices, 3, "every site");
      assert.equal(siteOverview(store, { days: 31 }).alertsByDay.length, 31);
      assert.deepEqual(siteOverview(store, { site: "b" }).openBySeverity.critical, 1);
      assert.throws(() => siteOverview(store, { site: "nowhere" }), InputError);
      // Counted in SQL as each device's classification decides it: a newest verdict over an
      // older one, a person's criticality alone, an unknown device that speaks OT (a fact of
      // an OT protocol) and one whose fact only looks like it.
      const fact = (kind: string): DeviceChange["facts"][number] => ({ kind, value: "1", firstUs: 1, lastUs: 1, count: 1, source: "t", packet: 1 });
      const more = store.saveDevices([{ ...change("a", "02:00:00:00:00:04"), facts: [fact("modbus.unit")] }, { ...change("a", "02:00:00:00:00:05"), facts: [fact("modbusx.unit"), fact("dhcp.hostname")] },
        change("a", "02:00:00:00:00:06"), { ...change("a", "02:00:00:00:00:07"), facts: [fact("bacnet.client")] }]);
      store.saveVerdicts([{ deviceId: more[2], verdict: { category: "unknown", confidence: 0.2, evidence: [], decidedUs: 1 } }]);
      store.saveVerdicts([{ deviceId: more[2], verdict: { category: "printer", confidence: 0.9, evidence: [], decidedUs: 2 } }, { deviceId: ids[0], verdict: { category: "thermostat", confidence: 0.9, evidence: [], decidedUs: 2 } }]);
      store.setOverride(more[3], { criticality: "low", setBy: "ana", setAt: "t" });
      const counted = (site?: string): { byCategory: Record<string, number>; byCriticality: Record<string, number> } => {
        const byCategory: Record<string, number> = {};
        const byCriticality: Record<string, number> = {};
        for (const d of listDevices(store, { site, limit: 1000 }).items) {
          byCategory[d.classification.category] = (byCategory[d.classification.category] ?? 0) + 1;
          byCriticality[d.classification.criticality] = (byCriticality[d.classification.criticality] ?? 0) + 1;
        }
        return { byCategory, byCriticality };
      };
      for (const site of ["a", "b", undefined]) {
        const o = siteOverview(store, { site });
        assert.deepEqual({ byCategory: o.byCategory, byCriticality: o.byCriticality }, counted(site), String(site));
      }
      assert.deepEqual(siteOverview(store, { site: "a" }).byCriticality, { "life-safety/physical-process": 3, standard: 1, low: 1, "sensitive-data": 1 },
        "thermostat, plc and the unknown Modbus speaker; the look-alike standard; the person's low; the printer");
      const empty = new Store(":memory:");
      assert.deepEqual(siteOverview(empty).alertsByDay, [], "no alerts, no window");
      empty.close();
    } finally {
      store.close();
    }
  });
});
