import assert from "node:assert/strict";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import type { DeviceChange } from "../src/inventory/inventory.js";
import type { Advisory, KevEntry } from "../src/model/advisory.js";
import type { Alert } from "../src/model/alert.js";
import type { FlowRecord } from "../src/model/flow-record.js";
import { BEHAVIOUR_EVIDENCE } from "../src/model/verdict-evidence.js";
import { AuditLog } from "../src/store/audit.js";
import { NacStore } from "../src/store/nac.js";
import { type DeviceRowRecord, Store, type StoredDevice } from "../src/store/store.js";
import { TrustStore } from "../src/store/trust.js";
import { FlowPairs } from "../src/store/flow-pairs.js";
import { tmpDir } from "./helpers.js";
import { testPostgres } from "./postgres.js";

/**
 * One contract for every storage engine: the same calls give the same values on SQLite and
 * on PostgreSQL. A new engine passes this suite before anything uses it.
 */
const pg = await testPostgres();
const ENGINES: { name: string; open(label: string): string; skip: string | false }[] = [
  { name: "SQLite", open: (label) => join(tmpDir(), `${label}.db`), skip: false },
  { name: "PostgreSQL", open: (label) => (typeof pg === "string" ? "" : pg.database(label)), skip: typeof pg === "string" ? pg : false },
];

function change(o: Partial<DeviceChange> & { key: string }): DeviceChange {
  return {
    site: "plant", mac: o.key.startsWith("ip:") ? null : o.key, ouiVendor: null, localMac: false, router: false, firstUs: 1000, lastUs: 2000,
    packetsOut: 1, packetsIn: 1, bytesOut: 100, bytesIn: 100, dropTrafficAddresses: false, addresses: [], endpoints: [], facts: [], ...o,
  };
}

function flow(i: number, site = "plant"): FlowRecord {
  return {
    site, source: "t.pcap", vlan: 0, proto: 6, srcMac: "02:00:00:00:00:01", srcIp: "10.0.0.1", srcPort: 40000 + i, dstMac: "02:00:00:00:00:02",
    dstIp: "10.0.0.2", dstPort: 502, initiatorKnown: true, packetsSrcToDst: 2, bytesSrcToDst: 120, packetsDstToSrc: 1, bytesDstToSrc: 60,
    firstUs: 1_000_000 * (100 - i), lastUs: 1_000_000 * (100 - i) + 5, tcpFlagsSrc: 0x1b, tcpFlagsDst: 0x12, endReason: "fin", appProtocol: "modbus", appConfidence: "dpi",
  };
}

function alert(id: string, o: Partial<Alert> = {}): Alert {
  return {
    id, detector: "scan", class: "scan", severity: "medium", technique: "T1046", site: "plant", source: "10.0.0.1", target: "10.0.0.2",
    title: "scan", firstUs: 5, lastUs: 10, count: 3, evidence: { packets: [{ source: "t.pcap", packet: 4, tsUs: 5 }], flows: [], observations: [] }, status: "open", ...o,
  };
}

for (const engine of ENGINES) {
  describe(`the store contract on ${engine.name}`, { skip: engine.skip }, () => {
    const stores: Store[] = [];
    const open = (label: string): Store => {
      const s = new Store(engine.open(label));
      stores.push(s);
      return s;
    };
    after(() => {
      for (const s of stores) s.close();
    });

    it("devices: counters add, times widen, facts count on, ids stay, in the order given", () => {
      const s = open("devices");
      const cam = change({
        key: "00:40:8c:a1:b2:c3", ouiVendor: "Axis", addresses: [{ ip: "10.0.0.21", origin: "dhcp", firstUs: 1000, lastUs: 2000, source: "a.pcap", packet: 3 }],
        facts: [{ kind: "dhcp.hostname", value: "axis-1", firstUs: 1000, lastUs: 1500, count: 2, source: "a.pcap", packet: 3 }],
      });
      const [id] = s.saveDevices([cam]);
      const ids = s.saveDevices([change({ key: "ip:10.0.0.99" }), { ...cam, firstUs: 500, lastUs: 9000, packetsOut: 4, facts: [{ ...cam.facts[0], firstUs: 1200, lastUs: 8000, count: 3 }] }]);
      assert.equal(ids[1], id, "the same device keeps its id");
      assert.notEqual(ids[0], id);
      const [d] = s.findDevices("00:40:8C:A1:B2:C3");
      assert.deepEqual([d.firstUs, d.lastUs, d.packetsOut, d.ouiVendor], [500, 9000, 5, "Axis"]);
      assert.deepEqual(d.facts.map((f) => [f.kind, f.value, f.firstUs, f.lastUs, f.count]), [["dhcp.hostname", "axis-1", 1000, 8000, 5]]);
      assert.deepEqual(s.findDevices("10.0.0.21").map((x) => x.id), [id], "found by its address too");
      assert.deepEqual(s.devices().map((x) => x.key), ["00:40:8c:a1:b2:c3", "ip:10.0.0.99"], "ordered by site and key, byte by byte");
      assert.deepEqual(s.saveDevices([]), []);
    });

    it("devices: a router's traffic addresses are not its own; endpoints behind it are counted", () => {
      const s = open("routers");
      const addr = (ip: string, origin: string): DeviceChange["addresses"][number] => ({ ip, origin, firstUs: 1, lastUs: 2, source: "a", packet: 1 });
      s.saveDevices([change({ key: "02:00:00:00:00:fe", addresses: [addr("10.0.0.1", "arp"), addr("8.8.8.8", "traffic")] })]);
      s.saveDevices([change({ key: "02:00:00:00:00:fe", router: true, dropTrafficAddresses: true, addresses: [addr("10.0.0.1", "traffic")],
        endpoints: [{ ip: "8.8.8.8", firstUs: 1, lastUs: 2 }, { ip: "1.1.1.1", firstUs: 1, lastUs: 2 }] })]);
      const [r] = s.devices();
      assert.equal(r.router, true);
      assert.deepEqual(r.addresses.map((a) => [a.ip, a.origin]), [["10.0.0.1", "arp"]], "a confirmed origin is kept; the traffic-learned one is gone");
      assert.equal(r.endpoints, 2);
    });

    it("flows: numbered on across batches and sites, read back whole, grouped per hour", () => {
      const s = open("flows");
      s.saveFlows([flow(1), flow(2), flow(3, "other")]);
      s.saveFlows([flow(4)]);
      const all = s.flows();
      assert.deepEqual(all.map((f) => f.id).sort(), [1, 2, 3, 4]);
      assert.deepEqual(all.map((f) => f.srcPort), [40004, 40003, 40002, 40001], "by first seen");
      assert.deepEqual(all.find((f) => f.srcPort === 40002), { ...flow(2), id: all.find((f) => f.srcPort === 40002)!.id });
      assert.equal(s.flows(2).length, 2);
      const groups = s.flowGroups("plant");
      assert.equal(groups.reduce((a, g) => a + g.count, 0), 3);
      assert.ok(groups.every((g) => g.site === "plant" && g.srcPort === 0));
      // One host's flows, chunk by chunk, the chunk with the newest flow first, ids as stored.
      s.saveFlows([{ ...flow(5), srcIp: "10.0.0.9", srcMac: undefined }]);
      const touching = [...s.flowChunksTouching(["10.0.0.9"], { site: "plant" })];
      assert.deepEqual(touching.map((c) => c.flows.map((f) => [f.id, f.srcPort])), [[[5, 40005]]]);
      const mac = [...s.flowChunksTouching(["02:00:00:00:00:02"])];
      assert.deepEqual(mac.map((c) => c.lastUs), [99_000_005, 97_000_005, 96_000_005, 95_000_005], "newest chunk first");
      assert.deepEqual(mac.flatMap((c) => c.flows.map((f) => f.id)).sort(), [1, 2, 3, 4, 5]);
      assert.deepEqual([...s.flowChunksTouching(["02:00:00:00:00:02"], { site: "other" })].flatMap((c) => c.flows.map((f) => f.id)), [3]);
      assert.deepEqual([...s.flowChunksTouching(["02:00:00:00:00:02"], { fromUs: 96_000_000, untilUs: 96_500_000 })].flatMap((c) => c.flows.map((f) => f.id)), [4]);
      assert.deepEqual([...s.flowChunksTouching(["10.9.9.9"])], []);
      // A chunk whose stored hosts hold none of the asked is not read at all: here its data is
      // damaged, and reading it would count it; one stored without hosts (an older Cordon's) is read.
      s.sql.run("UPDATE flow_chunks SET data = ? WHERE first_id = 5", Buffer.from("not a chunk"));
      assert.deepEqual([...s.flowChunksTouching(["02:00:00:00:00:01"])].flatMap((c) => c.flows.map((f) => f.id)).sort(), [1, 2, 3, 4]);
      assert.equal(s.damagedFlowChunks, 0);
      s.sql.run("DELETE FROM flow_chunk_hosts WHERE first_id = 4");
      s.sql.run("UPDATE flow_chunks SET data = ? WHERE first_id = 4", Buffer.from("not a chunk either"));
      assert.deepEqual([...s.flowChunksTouching(["02:00:00:00:00:01"])].flatMap((c) => c.flows.map((f) => f.id)).sort(), [1, 2, 3]);
      assert.equal(s.damagedFlowChunks, 1, "the chunk without hosts was read (and found damaged)");
    });

    it("reading on from a point: devices after a site and key, flows from an id, verdicts and overrides of named devices", () => {
      const s = open("paging");
      const fact = (kind: string, value: string, firstUs: number): DeviceChange["facts"][number] => ({ kind, value, firstUs, lastUs: firstUs, count: 2, source: "t.pcap", packet: 1 });
      const ids = s.saveDevices([
        change({ key: "02:00:00:00:00:03", addresses: [{ ip: "10.0.0.3", origin: "dhcp", firstUs: 1000, lastUs: 2000, source: "t.pcap", packet: 1 }],
          facts: [fact("dhcp.hostname", "cam-b", 1500), fact("dhcp.hostname", "cam-a", 1600), fact("bacnet.client", "1", 1000)] }),
        change({ key: "02:00:00:00:00:01" }), change({ key: "02:00:00:00:00:02", site: "other" })]);
      assert.deepEqual([...s.eachDevice(undefined, { site: "plant", key: "02:00:00:00:00:01" })].map((d) => `${d.site} ${d.key}`), ["plant 02:00:00:00:00:03"]);
      assert.deepEqual([...s.eachDevice("other", { site: "", key: "" })].map((d) => d.key), ["02:00:00:00:00:02"]);
      // A table's rows are the same devices, the same addresses and facts in the same order, without the rest.
      const asRow = (d: StoredDevice): DeviceRowRecord => ({ id: d.id, site: d.site, key: d.key, mac: d.mac, lastUs: d.lastUs,
        addresses: d.addresses.map((a) => ({ ip: a.ip })), facts: d.facts.map((f) => ({ kind: f.kind, value: f.value, count: f.count })) });
      assert.deepEqual([...s.eachDeviceRow()], [...s.eachDevice()].map(asRow));
      assert.ok([...s.eachDeviceRow()].some((d) => d.addresses.length > 0 && d.facts.length > 1), "the rows compared hold addresses and facts");
      assert.deepEqual([...s.eachDeviceRow("plant", { site: "plant", key: "02:00:00:00:00:01" }, 1)].map((d) => d.key), ["02:00:00:00:00:03"]);
      s.saveFlows([flow(1), flow(2)]);
      s.saveFlows([flow(3, "other"), flow(4)]);
      assert.deepEqual([...s.eachFlow(undefined, 2)].map((f) => [f.id, f.srcPort]), [[2, 40002], [3, 40003], [4, 40004]]);
      assert.deepEqual([...s.eachFlow("plant", 3)].map((f) => f.id), [4]);
      s.saveVerdicts(ids.map((deviceId) => ({ deviceId, verdict: { category: "camera", confidence: 1, evidence: [], decidedUs: 1 } })));
      s.setOverride(ids[0], { category: "plc", setBy: "ana", setAt: "t" });
      assert.deepEqual([...s.latestVerdicts([ids[1]]).keys()], [ids[1]]);
      assert.deepEqual([...s.overrides([ids[1], ids[2]]).keys()], []);
      assert.deepEqual([...s.overrides([ids[0]]).keys()], [ids[0]]);
      assert.deepEqual([...s.latestVerdicts([]).keys()], []);
    });

    it("verdicts and overrides: the newest verdict counts, a person's override is kept beside it", () => {
      const s = open("verdicts");
      const [a, b] = s.saveDevices([change({ key: "02:00:00:00:00:0a" }), change({ key: "02:00:00:00:00:0b" })]);
      const v = (category: string, decidedUs: number): { category: string; confidence: number; evidence: unknown[]; decidedUs: number; vendor?: string } =>
        ({ category, confidence: 0.75, evidence: [{ rule: "r", weight: 1 }], decidedUs, vendor: "Axis" });
      s.saveVerdicts([{ deviceId: a, verdict: v("unknown", 1) }, { deviceId: b, verdict: v("plc", 1) }]);
      s.saveVerdicts([{ deviceId: a, verdict: v("camera", 2) }]);
      assert.equal(s.latestVerdicts().get(a)?.category, "camera");
      assert.deepEqual(s.latestVerdicts().get(a)?.evidence, [{ rule: "r", weight: 1 }]);
      const summary: Record<string, unknown> = { ...s.latestVerdicts().get(a)! };
      delete summary.evidence;
      assert.deepEqual(s.latestVerdictSummaries([a, b]).get(a), summary, "a summary is the verdict without its evidence");
      assert.deepEqual([...s.latestVerdictSummaries([b]).keys()], [b]);
      assert.equal(s.latestVerdicts().get(a)?.confidence, 0.75);
      assert.deepEqual([...s.latestCategories()].sort(), [[a, "camera"], [b, "plc"]]);
      assert.deepEqual(s.verdictHistory(a).map((x) => x.category), ["unknown", "camera"]);
      s.setOverride(b, { criticality: "life-safety/physical-process", setBy: "ana", setAt: "2026-12-06T10:00:00.000Z" });
      assert.equal(s.overrides().get(b)?.criticality, "life-safety/physical-process");
      assert.equal(s.overrides().get(b)?.category, undefined);
      assert.deepEqual(s.identifiedMacs(), [{ site: "plant", mac: "02:00:00:00:00:0a" }, { site: "plant", mac: "02:00:00:00:00:0b" }]);
      s.assignMud({ site: "plant", deviceKey: "02:00:00:00:00:0a", url: "https://mud.example.com/cam.json", by: "ana", at: "t" });
      const inputs = s.groupingInputs();
      assert.deepEqual(inputs.map((i) => [i.mac, i.category, i.vendor, i.overrideCriticality, i.mudUrl]),
        [["02:00:00:00:00:0a", "camera", "Axis", undefined, "https://mud.example.com/cam.json"], ["02:00:00:00:00:0b", "plc", "Axis", "life-safety/physical-process", undefined]]);
      assert.deepEqual([...s.mudAssignments("plant")], [["02:00:00:00:00:0a", "https://mud.example.com/cam.json"]]);
      // Counted for the overview: the newest verdict's category, the person's criticality, and
      // for an unknown device without one whether a fact's protocol is among those asked.
      const fact = (kind: string): DeviceChange["facts"][number] => ({ kind, value: "1", firstUs: 1, lastUs: 1, count: 1, source: "t", packet: 1 });
      s.saveDevices([change({ key: "02:00:00:00:00:0c", facts: [fact("modbus.unit")] }), change({ key: "02:00:00:00:00:0d", facts: [fact("dhcp.hostname")] }), change({ key: "02:00:00:00:00:0e", site: "other" })]);
      const tally = (site?: string): string[] => s.deviceTally(site, ["modbus", "s7"]).map((t) => `${t.category} ${t.criticality} ${t.speaks} ${t.count}`).sort();
      assert.deepEqual(tally("plant"), ["camera null false 1", "plc life-safety/physical-process false 1", "unknown null false 1", "unknown null true 1"]);
      assert.deepEqual(tally(), ["camera null false 1", "plc life-safety/physical-process false 1", "unknown null false 2", "unknown null true 1"]);
      assert.deepEqual(s.deviceTally("plant", []).map((t) => t.speaks), [false, false, false]);
      // A category the behavioural model guessed alone identifies nobody.
      const [g] = s.saveDevices([change({ key: "02:00:00:00:00:0f" })]);
      s.saveVerdicts([{ deviceId: g, verdict: { category: "sensor", confidence: 0.8, evidence: [{ rule: BEHAVIOUR_EVIDENCE, weight: 0.8, supports: "sensor" }], decidedUs: 1 } }]);
      assert.equal(s.latestVerdicts().get(g)?.category, "sensor");
      assert.deepEqual(s.identifiedMacs().map((d) => d.mac), ["02:00:00:00:00:0a", "02:00:00:00:00:0b"]);
      assert.deepEqual(s.groupingInputs().map((d) => d.mac), ["02:00:00:00:00:0a", "02:00:00:00:00:0b"]);
    });

    it("policies: versions count on per name; enforcing one supersedes the one enforced before", () => {
      const s = open("policies");
      const p1 = s.savePolicy({ name: "plant", site: "plant", body: (v) => JSON.stringify({ v }), actor: "ana", at: "t1" });
      const p2 = s.savePolicy({ name: "plant", site: "plant", body: (v) => JSON.stringify({ v }), actor: "ana", at: "t2", note: "again" });
      assert.deepEqual([p1.version, p2.version], [1, 2]);
      assert.equal(s.policy(p2.id)?.body, JSON.stringify({ v: 2 }));
      s.setPolicyStatus(p1.id, "enforced", { actor: "bo", at: "t3" });
      s.setPolicyStatus(p2.id, "enforced", { actor: "bo", at: "t4", note: "go" });
      assert.deepEqual(s.policies().map((p) => [p.id, p.status]), [[p2.id, "enforced"], [p1.id, "superseded"]]);
      assert.deepEqual(s.policy(p1.id)?.events.map((e) => e.action), ["proposed", "enforced", "superseded"]);
      assert.throws(() => s.setPolicyStatus(999, "approved", { actor: "bo", at: "t" }), /no policy 999/);
      s.saveMudProfiles([{ url: "https://mud.example.com/a.json", body: "{}", source: "a.json", at: "t" }]);
      s.saveMudProfiles([{ url: "https://mud.example.com/a.json", body: "{\"x\":1}", source: "b.json", at: "t2" }]);
      assert.deepEqual(s.mudProfiles(), [{ url: "https://mud.example.com/a.json", body: "{\"x\":1}", source: "b.json", importedAt: "t2" }]);
    });

    it("alerts: an episode read again grows and keeps the status a person gave it", () => {
      const s = open("alerts");
      s.saveAlerts([alert("a1"), alert("a2", { firstUs: 1 })]);
      assert.equal(s.setAlertStatus("a1", "acknowledged", "ana", "t", "seen"), true);
      assert.equal(s.setAlertStatus("nope", "acknowledged", "ana", "t"), false);
      s.saveAlerts([alert("a1", { lastUs: 50, count: 9, severity: "high" }), alert("a3", { firstUs: 7 })]);
      s.saveAlerts([alert("a1", { lastUs: 40, count: 2 })]);
      const a1 = s.alerts().find((a) => a.id === "a1")!;
      assert.deepEqual([a1.lastUs, a1.count, a1.status, a1.statusBy, a1.statusNote], [50, 9, "acknowledged", "ana", "seen"]);
      assert.deepEqual(s.alerts().map((a) => a.id), ["a2", "a1", "a3"], "oldest first");
      assert.deepEqual([...s.alertIds()].sort(), ["a1", "a2", "a3"]);
      // A page filtered in SQL: the same rows and order on both engines.
      const [dev] = s.saveDevices([change({ key: "02:00:00:00:00:07" })]);
      s.saveAlerts([{ ...alert("a4", { firstUs: 7, site: "other", severity: "critical", source: "10.0.0.9" }), deviceId: dev }]);
      const ids = (q: Omit<Parameters<typeof s.alertPage>[0], "limit">, limit = 10): string[] => s.alertPage({ ...q, limit }).map((a) => a.id);
      assert.deepEqual(ids({}), ["a2", "a1", "a3", "a4"]);
      assert.deepEqual(ids({ statuses: ["acknowledged"] }), ["a1"]);
      assert.deepEqual(ids({ statuses: [] }), [], "no status asked, none given");
      assert.deepEqual(ids({ severities: ["high", "critical"] }), ["a4"]);
      assert.deepEqual(ids({ severities: ["low"] }), []);
      assert.deepEqual(ids({ site: "other" }), ["a4"]);
      assert.deepEqual(ids({ device: "02:00:00:00:00:07" }), ["a4"], "by the bound device's MAC");
      assert.deepEqual(ids({ device: "10.0.0.2" }), ["a2", "a1", "a3", "a4"], "by an address as target");
      assert.deepEqual(ids({ device: "10.0.0.9" }), ["a4"], "by an address as source");
      assert.deepEqual(ids({ after: [5, "a1"] }), ["a3", "a4"], "after a position, ties by id");
      assert.deepEqual(ids({}, 2), ["a2", "a1"]);
      // The queue's rows: the same page without the evidence.
      const whole = s.alertPage({ severities: ["high", "critical"], limit: 10 });
      assert.deepEqual(s.alertSummaries({ severities: ["high", "critical"], limit: 10 }), whole.map(({ evidence: _, ...rest }) => rest));
      // An alert named by a prefix of its id, on the key's range.
      s.saveAlerts([alert("b10"), alert("b11"), alert("b2")]);
      assert.deepEqual(s.alertsByPrefix("b1", 5).map((a) => a.id), ["b10", "b11"]);
      assert.deepEqual(s.alertsByPrefix("b1", 1).map((a) => a.id), ["b10"]);
      assert.deepEqual(s.alertsByPrefix("b2", 5).map((a) => [a.id, a.evidence]), [["b2", alert("b2").evidence]]);
      assert.deepEqual(s.alertsByPrefix("c", 5), []);
      assert.throws(() => s.alertsByPrefix("b%", 5), /not an alert id prefix/);
      const sup = s.addSuppression({ detector: "scan", reason: "lab", createdBy: "ana", createdAt: "t" });
      assert.deepEqual(s.suppressions().map((x) => [x.id, x.detector, x.device]), [[sup, "scan", undefined]]);
      assert.equal(s.removeSuppression(sup), true);
      assert.equal(s.removeSuppression(sup), false);
      const w = s.addMaintenanceWindow({ site: "plant", startsAt: "2026-12-07T06:00:00.000Z", endsAt: "2026-12-07T08:00:00.000Z", reason: "firmware", createdBy: "ana", createdAt: "t" });
      assert.deepEqual(s.maintenanceWindows().map((x) => [x.id, x.target, x.reason]), [[w, undefined, "firmware"]]);
    });

    it("sources and read positions: summaries kept, a capture's content known, positions upserted", () => {
      const s = open("sources");
      s.saveSource({ name: "a.pcap", site: "plant", kind: "capture", packets: 5, bytes: 500, flows: 2, errors: { "ipv4.bad": 1 }, contentHash: "h1", readAt: "t" });
      assert.deepEqual(s.sourceWithContent("plant", "h1"), { name: "a.pcap", readAt: "t" });
      assert.equal(s.sourceWithContent("other", "h1"), undefined);
      assert.deepEqual(s.sources().map((x) => [x.name, x.packets, x.errors]), [["a.pcap", 5, { "ipv4.bad": 1 }]]);
      s.saveReadPositions("zeek", [{ path: "conn.log", inode: 7, offset: 100 }]);
      s.saveReadPositions("zeek", [{ path: "conn.log", inode: 7, offset: 250 }, { path: "dns.log", inode: 8, offset: 1 }]);
      assert.deepEqual([...s.readPositions("zeek")], [["conn.log", { inode: 7, offset: 250 }], ["dns.log", { inode: 8, offset: 1 }]]);
    });

    it("NAC: decision runs, sessions that keep what a new record leaves out, quarantines, group moves", () => {
      const s = open("nac");
      const nac = new NacStore(s.sql);
      const d = { site: "plant", mac: "02:00:00:00:00:0a", nas: "sw1", state: "known", accept: true, vlan: "20", reason: "camera" };
      nac.saveDecisions([{ ...d, atMs: 1000 }, { ...d, atMs: 2000 }, { ...d, accept: false, state: "quarantine", atMs: 3000 }]);
      assert.deepEqual(nac.decisions({ mac: d.mac }).map((x) => [x.state, x.count, x.accept]), [["quarantine", 1, false], ["known", 2, true]]);
      nac.saveSessions([{ site: "plant", mac: d.mac, nas: "sw1", nasIp: "10.0.0.2", nasPortId: "Gi1/0/1", userName: "cam", status: "authorized", lastAt: "t1" }]);
      nac.saveSessions([{ site: "plant", mac: d.mac, nas: "sw1", nasIp: "10.0.0.2", ip: "10.0.0.21", status: "started", lastAt: "t2" }]);
      assert.deepEqual(nac.session("plant", d.mac), { site: "plant", mac: d.mac, nas: "sw1", nasIp: "10.0.0.2", nasPort: undefined, nasPortId: "Gi1/0/1",
        callingStationId: undefined, userName: "cam", auditSessionId: undefined, acctSessionId: undefined, ip: "10.0.0.21", status: "started", lastAt: "t2" });
      const q = nac.quarantine({ site: "plant", mac: d.mac, since: "t", by: "ana", reason: "scan" });
      assert.equal(q.created, true);
      assert.equal(nac.quarantine({ site: "plant", mac: d.mac, since: "t2", by: "bo", reason: "again" }).created, false);
      assert.equal(nac.release("plant", d.mac, "ana", "t3", "clean")?.releasedBy, "ana");
      assert.deepEqual(nac.quarantines(), []);
      assert.equal(nac.quarantines(true).length, 1);
      const m = nac.addMove({ at: "t", site: "plant", mac: d.mac, policyId: 1, to: "camera", rights: "more", status: "pending", reason: "verdict camera" });
      assert.deepEqual([...nac.waitingMoves(1).keys()], [`plant ${d.mac}`]);
      assert.equal(nac.decideMove(m.id, "approved", "ana", "t2").status, "approved");
      assert.throws(() => nac.decideMove(m.id, "rejected", "ana", "t3"), /not waiting/);
      assert.deepEqual([...nac.groupsInForce(1)], [[`plant ${d.mac}`, "camera"]]);
      assert.deepEqual(nac.unenacted().map((x) => x.id), [m.id]);
      nac.markEnacted(m.id, "t4");
      assert.deepEqual(nac.unenacted(), []);
      assert.equal(nac.pruneDecisions("9999"), 2);
      // Each MAC's VLAN is its latest decision's that named one (a reject names none).
      nac.saveDecisions([{ ...d, atMs: 1000 }, { ...d, accept: false, state: "reject", vlan: undefined, atMs: 2000 }, { ...d, mac: "02:00:00:00:00:0b", vlan: "30", atMs: 4000 },
        { ...d, mac: "02:00:00:00:00:0b", vlan: "99", state: "quarantine", atMs: 5000 }, { ...d, site: "lab", vlan: "40", atMs: 6000 }]);
      assert.deepEqual([...nac.vlans()].sort(), [["lab 02:00:00:00:00:0a", "40"], ["plant 02:00:00:00:00:0a", "20"], ["plant 02:00:00:00:00:0b", "99"]]);
    });

    it("audit: entries append with who and where from; the database refuses to change or delete one", () => {
      const s = open("audit");
      const log = new AuditLog(s.sql);
      const id = log.append({ at: "t", principal: "os:ana", actor: "ana", via: "cli", action: "override", target: "02:00:00:00:00:0a", outcome: "ok", detail: "camera" });
      log.append({ at: "t2", principal: "token", actor: "bo", via: "api", peer: "127.0.0.1", action: "quarantine", outcome: "refused" });
      assert.deepEqual(log.list().map((e) => [e.actor, e.via, e.peer]), [["bo", "api", "127.0.0.1"], ["ana", "cli", undefined]]);
      assert.deepEqual(log.list({ beforeId: id + 1, limit: 5 }).map((e) => e.id), [id]);
      assert.throws(() => s.sql.run(`UPDATE audit SET actor = 'mallory'`), /append-only/);
      assert.throws(() => s.sql.run(`DELETE FROM audit`), /append-only/);
      assert.equal(log.list().length, 2);
    });

    it("advisories: kept by id, a newer release replaces an older one and not the other way; KEV replaced whole", () => {
      const s = open("advisories");
      const advisory = (released: string, title: string): Advisory => ({
        id: "icsa-24-001-01", format: "csaf", title, released,
        vulnerabilities: [{ cve: "CVE-2024-0001", services: ["tcp/102"], remediations: ["Update to V2.0"], cvss: { version: "3.1", score: 7.5 },
          products: [{ ref: "icsa-24-001-01:CSAFPID-0001", vendor: "Siemens", product: "SIMATIC S7-1500", models: ["6ES7 518-4AP00-0AB0"], range: { kind: "constraints", constraints: [{ op: "<", version: "V2.0" }] }, status: "affected" }] }],
      });
      assert.equal(s.saveAdvisories([{ advisory: advisory("2024-02-01T00:00:00Z", "second"), source: "b.json", schemaErrors: 0, at: "t" }]), 1);
      assert.equal(s.saveAdvisories([{ advisory: advisory("2024-01-01T00:00:00Z", "first"), source: "a.json", schemaErrors: 0, at: "t" }]), 0, "an older release imported later changes nothing");
      assert.deepEqual(s.advisories(), [advisory("2024-02-01T00:00:00Z", "second")]);
      assert.equal(s.saveAdvisories([{ advisory: advisory("2024-03-01T00:00:00Z", "third"), source: "c.json", schemaErrors: 2, at: "t" }]), 1);
      assert.equal(s.advisories()[0]!.title, "third");
      assert.deepEqual(s.advisoryCounts(), [{ format: "csaf", count: 1 }]);
      const kev = (cve: string): KevEntry => ({ cve, vendor: "Hikvision", product: "Cameras", name: "n", dateAdded: "2022-01-10", ransomware: cve.endsWith("1") });
      s.saveKev([kev("CVE-2021-0001"), kev("CVE-2021-0002")], "t");
      s.saveKev([kev("CVE-2021-0002"), kev("CVE-2021-0003"), kev("CVE-2021-0003")], "t");
      assert.deepEqual(s.kevEntries().map((k) => [k.cve, k.ransomware, k.dueDate]), [["CVE-2021-0002", false, undefined], ["CVE-2021-0003", false, undefined]]);
    });

    it("end-of-life decisions: appended, the newest per site and target in force", () => {
      const s = open("eol");
      const d = { site: "plant", target: "00:1c:06:08:e7:db", decision: "isolate", owner: "ot", rationale: "r", reviewBy: "2027-01-01", decidedBy: "a", decidedAt: "2026-12-01T00:00:00.000Z" };
      const a = s.saveEolDecision(d);
      const b = s.saveEolDecision({ ...d, decision: "replace", replaceBy: "2027-06-30", vendorSupport: "EoS" });
      s.saveEolDecision({ ...d, site: "other" });
      assert.ok(b > a);
      assert.equal(s.eolDecisions().length, 3);
      assert.deepEqual(s.eolDecisions({ inForce: true, site: "plant" }).map((x) => [x.id, x.decision, x.replaceBy, x.vendorSupport]), [[b, "replace", "2027-06-30", "EoS"]]);
      assert.deepEqual(s.eolDecisions({ inForce: true }).map((x) => x.site).sort(), ["other", "plant"]);
    });

    it("flow pairs: summed per pair, protocol and service port, brought up to date with the flows stored since the last fold", () => {
      const s = open("pairs");
      const acc = new FlowPairs();
      s.saveFlows([flow(1), flow(2), { ...flow(3), dstPort: 102 }, flow(4, "other")]);
      assert.equal(s.foldFlowPairs(acc, "plant").length, 2);
      s.saveFlows([{ ...flow(5), initiatorKnown: false }, { ...flow(6), srcMac: undefined }]);
      const pairs = s.foldFlowPairs(acc, "plant").sort((a, b) => a.dstPort - b.dstPort || a.count - b.count);
      assert.deepEqual(pairs.map((p) => [p.srcMac ?? "", p.srcIp, p.dstIp, p.dstPort, p.count, p.bytesSrcToDst, p.bytesDstToSrc, p.firstUs, p.lastUs, p.initiatorKnown]), [
        ["02:00:00:00:00:01", "10.0.0.1", "10.0.0.2", 102, 1, 120, 60, 97_000_000, 97_000_005, true],
        ["", "10.0.0.1", "10.0.0.2", 502, 1, 120, 60, 94_000_000, 94_000_005, true],
        ["02:00:00:00:00:01", "10.0.0.1", "10.0.0.2", 502, 3, 360, 180, 95_000_000, 99_000_005, true],
      ]);
      assert.deepEqual(s.foldFlowPairs(new FlowPairs(), "plant").map((p) => p.count).sort(), [1, 1, 3], "a fresh accumulator reads the whole history to the same sums");
      assert.equal(s.foldFlowPairs(acc, "other")[0].count, 1);
      const small = new FlowPairs(2);
      s.foldFlowPairs(small, "plant");
      assert.equal(small.pairs("plant").length, 2);
      assert.equal(small.dropped, 1, "beyond its bound an accumulator counts what it leaves out");
    });

    it("trust assumptions and zones: appended and reviewed; a zone set again replaces its members; a credential key made once", () => {
      const s = open("trust");
      const t = new TrustStore(s.sql);
      const a = t.addAssumption({ site: "plant", subject: "device:02:00:00:00:00:01", statement: "vendor VPN only with an escort", owner: "ot", reason: "contract",
        evidence: "", expect: JSON.stringify({ maintenanceOnly: true }), reviewBy: "2027-01-01", addedBy: "a", addedAt: "2026-12-01T00:00:00.000Z" });
      const b = t.addAssumption({ site: "other", subject: "zone:guest", object: "device:02:00:00:00:00:02", statement: "s", owner: "o", reason: "r", evidence: "e", reviewBy: "2027-02-01", addedBy: "b", addedAt: "2026-12-02T00:00:00.000Z" });
      assert.ok(b > a);
      assert.ok(t.reviewAssumption(a, { by: "c", at: "2026-12-03T00:00:00.000Z", note: "checked", nextReview: "2027-06-01" }));
      assert.ok(!t.reviewAssumption(b + 100, { by: "c", at: "x", note: "n", nextReview: "2027-06-01" }));
      assert.deepEqual(t.assumptions("plant").map((x) => [x.id, x.reviewBy, x.reviewedBy, x.reviewNote, x.expect, x.object]), [[a, "2027-06-01", "c", "checked", JSON.stringify({ maintenanceOnly: true }), undefined]]);
      assert.deepEqual(t.assumptions().map((x) => x.object), [undefined, "device:02:00:00:00:00:02"]);
      t.setZone({ site: "plant", name: "guest", members: "[1]", setBy: "a", setAt: "t1" });
      t.setZone({ site: "plant", name: "guest", members: "[2]", setBy: "b", setAt: "t2" });
      assert.deepEqual(t.zones("plant").map((z) => [z.name, z.members, z.setBy]), [["guest", "[2]", "b"]]);
      assert.match(t.credentialKey(), /^[0-9a-f]{64}$/);
      assert.equal(new TrustStore(open("trust2").sql).credentialKey() === t.credentialKey(), false, "each database its own key");
    });

    it("a database whose schema is newer than this Cordon is refused, not changed", () => {
      const location = engine.open("newer");
      const s = new Store(location);
      if (s.sql.dialect === "sqlite") s.sql.exec("PRAGMA user_version = 999");
      else s.sql.run("UPDATE cordon_schema SET version = 999");
      s.close();
      assert.throws(() => new Store(location), /schema version 999 is newer than this Cordon/);
    });
  });
}
