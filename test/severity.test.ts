import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { defaultCriticality } from "../src/classify/taxonomy.js";
import { priorCategoryById, saveDetected } from "../src/app/detections.js";
import { raiseIdentityChanges } from "../src/detect/identity-change.js";
import { DetectionEngine } from "../src/detect/engine.js";
import { createPipeline } from "../src/pipeline.js";
import { Store } from "../src/store/store.js";
import { markRoutineOt, windowState } from "../src/detect/ot-operation.js";
import { operationTarget } from "../src/model/ot-operation.js";
import { ADMIN_CONTEXT, MATURE_CONTEXT, rateBehaviour } from "../src/detect/severity.js";
import { DEFAULT_LAB, generateLab } from "../src/lab/generate.js";
import { ACK, FIN, SYN, ethernet, ipv4, tcp } from "../src/lab/craft.js";
import { type WrittenFrame, writePcap } from "../src/lab/capture-writer.js";
import type { Alert } from "../src/model/alert.js";
import { planResponse, triggers } from "../src/respond/playbook.js";
import { runCli, tmpDir } from "./helpers.js";
import { saveInventory } from "../src/app/site-run.js";

/** A behavioural finding is as severe as the device is critical. */

const alert = (p: Partial<Alert>): Alert => ({
  id: "a", detector: "behaviour", class: "new-service", severity: "low", technique: "", site: "default", source: "10.0.0.50", title: "t",
  firstUs: 0, lastUs: 0, count: 1, evidence: { packets: [], flows: [], observations: [] }, status: "open", ...p,
});

describe("severity from what the device is", () => {
  it("follows the table: admin protocol to an internal peer, criticality, mature baseline", () => {
    const ssh = `${ADMIN_CONTEXT} SSH tcp/22`;
    const cases: [Partial<Alert>, { category?: string; criticality?: string }, string][] = [
      [{}, { category: "sensor", criticality: "low" }, "low"],
      [{ evidence: { packets: [], flows: [], observations: [ssh] } }, { category: "sensor", criticality: "low" }, "medium"],
      [{ evidence: { packets: [], flows: [], observations: [ssh] } }, { category: "sensor", criticality: "life-safety/physical-process" }, "critical"],
      [{ evidence: { packets: [], flows: [], observations: [ssh] } }, { category: "workstation", criticality: "standard" }, "low"],
      [{}, { category: "camera", criticality: "sensitive-data" }, "medium"],
      [{ evidence: { packets: [], flows: [], observations: [MATURE_CONTEXT] } }, { category: "camera", criticality: "standard" }, "medium"],
      [{ class: "new-peer", severity: "medium" }, { category: "plc", criticality: "life-safety/physical-process" }, "critical"],
      [{ class: "scan", severity: "medium" }, { category: "plc", criticality: "life-safety/physical-process" }, "medium"],
    ];
    for (const [p, standing, want] of cases) {
      const a = alert(p);
      rateBehaviour([a], () => standing);
      assert.equal(a.severity, want, JSON.stringify([p, standing]));
      if (a.class !== "scan") assert.ok(a.evidence.observations.some((o) => o.startsWith("severity: ")), "the rule is shown");
    }
  });

  it("puts thermostats (HVAC) with the strictest tier by default", () => {
    assert.equal(defaultCriticality("thermostat", false), "life-safety/physical-process");
    assert.equal(defaultCriticality("smart-plug", false), "low");
  });

  it("end to end: a physical-process sensor's new SSH session starts a response that waits for approval; a low device's is an alert only", () => {
    const dir = tmpDir("cordon-severity-");
    const db = join(dir, "c.db");
    const server = { mac: "02:00:00:00:00:10", ip: "10.0.0.10" };
    const sensor = { mac: "02:00:00:00:00:50", ip: "10.0.0.50" };
    const plug = { mac: "02:00:00:00:00:60", ip: "10.0.0.60" };
    const T0 = Date.UTC(2026, 0, 5, 8) * 1000;
    const session = (c: { mac: string; ip: string }, port: number, sport: number, t: number): WrittenFrame[] => {
      const out = (flags: number, seq: number): Buffer => ethernet(server.mac, c.mac, 0x0800, ipv4({ src: c.ip, dst: server.ip, proto: 6 }, tcp(sport, port, flags, seq)));
      const back = (flags: number, seq: number): Buffer => ethernet(c.mac, server.mac, 0x0800, ipv4({ src: server.ip, dst: c.ip, proto: 6 }, tcp(port, sport, flags, seq)));
      return [out(SYN, 1), back(SYN | ACK, 9), out(ACK, 2), out(FIN | ACK, 2), back(FIN | ACK, 10), out(ACK, 3)].map((data, i) => ({ tsUs: t + i * 1000, data }));
    };
    // An hour of MQTT from both devices to the server: their baseline.
    const baseline: WrittenFrame[] = [];
    for (let i = 0; i < 60; i++) for (const [k, d] of [sensor, plug].entries()) baseline.push(...session(d, 1883, 40000 + i * 2 + k, T0 + i * 60_000_000 + k * 10_000));
    writeFileSync(join(dir, "baseline.pcap"), writePcap(baseline));
    assert.equal(runCli(["analyze", "--db", db, join(dir, "baseline.pcap")]).status, 0);
    assert.equal(runCli(["override", "--db", db, "--criticality", "life-safety/physical-process", sensor.mac]).status, 0);
    assert.equal(runCli(["override", "--db", db, "--criticality", "low", plug.mac]).status, 0);
    // Two days later, both open SSH to the server.
    const later = T0 + 2 * 86_400_000_000;
    writeFileSync(join(dir, "ssh.pcap"), writePcap([...session(sensor, 22, 50000, later), ...session(plug, 22, 50001, later + 100_000)]));
    const r = runCli(["analyze", "--db", db, join(dir, "ssh.pcap")]);
    assert.equal(r.status, 0, r.stderr);
    const alerts = JSON.parse(runCli(["alerts", "--db", db, "--format", "json", "--all"]).stdout) as Alert[];
    const of = (ip: string): Alert => alerts.find((a) => a.source === ip && (a.class === "new-service" || a.class === "new-peer"))!;
    const s = of(sensor.ip);
    const p = of(plug.ip);
    assert.ok(s && p, JSON.stringify(alerts.map((a) => [a.source, a.class, a.severity])));
    assert.equal(s.severity, "critical");
    assert.ok(s.evidence.observations.some((o) => /SSH tcp\/22 from a .* that is not IT: at least medium; life-safety\/physical-process: \+2 -> critical/.test(o)), JSON.stringify(s.evidence.observations));
    assert.equal(p.severity, "medium");
    const respond = { minSeverity: "high" as const, classes: [], quarantine: "coa" as const, approval: ["life-safety/physical-process"], evidenceDir: dir, captureSeconds: 60, ringKb: 16, ringDevices: 1, nftCommand: "nft" };
    const withMac = (a: Alert, mac: string): Alert => ({ ...a, sourceMac: mac });
    assert.ok(triggers(withMac(s, sensor.mac), respond), "the sensor's finding starts a response");
    const plan = planResponse({ site: "default", mac: sensor.mac, at: "2026-01-07T08:00:00Z", device: { category: "sensor", criticality: "life-safety/physical-process" }, alert: withMac(s, sensor.mac) }, respond);
    assert.equal(plan.status, "proposed", "and waits for a person");
    assert.equal(triggers(withMac(p, plug.mac), respond), false, "the plug's is an alert only");
  });
});

describe("OT operations against who normally does them", () => {
  const op = (p: Partial<Alert>): Alert => alert({ class: "ot-operation", technique: "T0843", severity: "high", source: "10.0.0.7", target: "10.0.0.5",
    firstUs: 10_000_000_000, evidence: { packets: [], flows: [], observations: ["ot.operation=s7.download-block to 10.0.0.5 (OB1)"] }, ...p });
  it("a known actor's repeat is routine; a first time, or an undeclared PLC stop, stays an alert", () => {
    const known = op({});
    const first = op({ id: "b" });
    const declared = op({ id: "c", technique: "T0858", evidence: { packets: [], flows: [], observations: ["ot.operation=s7.plc-stop to 10.0.0.5"] } });
    const stop = op({ id: "d", technique: "T0858", evidence: { packets: [], flows: [], observations: ["ot.operation=s7.plc-stop to 10.0.0.5"] } });
    const did = (firstUs: number, knownToStore: boolean) => (v: string) => (v.startsWith("s7.download-block to 10.0.0.5") ? { firstUs, known: knownToStore } : undefined);
    const n = markRoutineOt([known, first, declared, stop], (a) => (a.id === "a" ? { category: "workstation", firstDid: did(0, true) }
      : a.id === "b" ? { category: "workstation", firstDid: did(10_000_000_000, false) }
        : a.id === "c" ? { category: "workstation", declared: "engineering-workstation", firstDid: () => undefined }
          : { category: "engineering-workstation", firstDid: () => undefined }));
    assert.equal(n, 2);
    assert.deepEqual([known, first, declared, stop].map((a) => a.status), ["routine", "open", "routine", "open"]);
    assert.ok(known.evidence.observations.includes("routine: its actor did this to the same target before (its baseline)"));
    assert.equal(operationTarget("modbus.write-single-register to 10.0.0.5 (register 40001 = 7)"), "modbus.write-single-register to 10.0.0.5");
  });

  it("a stop is never routine by habit; with windows declared, engineering work outside them is high whoever does it", () => {
    const habit = (v: string) => () => ({ firstUs: 0, known: true, v });
    const stop = op({ id: "s", technique: "T0858", severity: "medium", evidence: { packets: [], flows: [], observations: ["ot.operation=s7.plc-stop to 10.0.0.5"] } });
    assert.equal(markRoutineOt([stop], () => ({ category: "engineering-workstation", firstDid: habit("s7.plc-stop to 10.0.0.5") })), 0);
    assert.equal(stop.status, "open", "a PLC stop from a host that did it before, but not declared");
    const hour = 3_600_000_000;
    const windows = [{ site: "default", target: "10.0.0.5", fromUs: 9_000_000_000, toUs: 9_000_000_000 + hour }];
    const inside = op({ id: "i", firstUs: 9_000_000_000 + 60_000_000, severity: "medium" });
    const outside = op({ id: "o", firstUs: 9_000_000_000 + 2 * hour, severity: "medium" });
    const elsewhere = op({ id: "e", firstUs: 9_000_000_000 + 60_000_000, target: "10.0.0.9", severity: "medium" });
    const write = op({ id: "w", technique: "T0836", severity: "low", firstUs: 9_000_000_000 + 2 * hour });
    const declared = { category: "workstation", declared: "engineering-workstation", firstDid: () => ({ firstUs: 0, known: true }) };
    const hmi = { category: "hmi", declared: "hmi", firstDid: () => undefined };
    assert.equal(markRoutineOt([inside, outside, elsewhere, write], (a) => (a.id === "w" ? hmi : declared), windows), 2);
    assert.deepEqual([inside, outside, elsewhere, write].map((a) => [a.status, a.severity]), [["routine", "medium"], ["open", "high"], ["open", "high"], ["routine", "low"]]);
    assert.ok(outside.evidence.observations.includes("outside the site's declared maintenance windows"));
    assert.equal(windowState(op({ site: "plant" }), windows), "none", "a site without windows is not judged by them");
  });

  it("after a clean day, the engineering workstations' downloads and the HMIs' writes are records; the injected attacks are the alerts", () => {
    const dir = tmpDir("cordon-ot-routine-");
    for (const d of ["clean", "attacked"]) mkdirSync(join(dir, d));
    const clean = generateLab(join(dir, "clean"), { ...DEFAULT_LAB, devices: 150, durationS: 1800 });
    const attacked = generateLab(join(dir, "attacked"), { ...DEFAULT_LAB, devices: 150, durationS: 1800, startUs: DEFAULT_LAB.startUs + 86_400_000_000, scenarios: ["all"] });
    const db = join(dir, "c.db");
    assert.equal(runCli(["analyze", "--db", db, clean.pcap]).status, 0);
    const before = new Set((JSON.parse(runCli(["alerts", "--db", db, "--format", "json", "--all"]).stdout) as Alert[]).map((a) => a.id));
    assert.equal(runCli(["analyze", "--db", db, attacked.pcap]).status, 0);
    const day2 = (JSON.parse(runCli(["alerts", "--db", db, "--format", "json", "--all"]).stdout) as Alert[]).filter((a) => !before.has(a.id));
    const routine = day2.filter((a) => a.status === "routine");
    assert.ok(routine.length >= 10 && routine.every((a) => a.class === "ot-operation"), `${routine.length} routine records`);
    const open = day2.filter((a) => a.status === "open");
    const parties = new Set(attacked.scenarios.flatMap((s) => [s.source, s.target]));
    const unrelated = open.filter((a) => !parties.has(a.source) && !parties.has(a.target));
    assert.deepEqual(unrelated.map((a) => a.title), [], "no alert but the attacks' own");
    for (const s of attacked.scenarios) assert.ok(open.some((a) => a.source === s.source && a.class === s.class), `${s.name} alerted`);
    // The listing leaves routine records out unless asked.
    assert.ok(!/routine/.test(runCli(["alerts", "--db", db]).stdout));
  });

  it("with a maintenance window declared for another time, the same downloads are high alerts; the window is checked and audited", () => {
    const dir = tmpDir("cordon-ot-window-");
    for (const d of ["clean", "next"]) mkdirSync(join(dir, d));
    const clean = generateLab(join(dir, "clean"), { ...DEFAULT_LAB, devices: 80, durationS: 900 });
    const next = generateLab(join(dir, "next"), { ...DEFAULT_LAB, devices: 80, durationS: 900, startUs: DEFAULT_LAB.startUs + 86_400_000_000 });
    const db = join(dir, "c.db");
    assert.equal(runCli(["analyze", "--db", db, clean.pcap]).status, 0);
    assert.equal(runCli(["maintenance", "add", "--db", db, "--from", "2020-01-01T00:00", "--until", "2020-01-01T06:00Z", "--reason", "x"]).status, 2, "a time without its zone is refused");
    assert.equal(runCli(["maintenance", "add", "--db", db, "--from", "2020-01-01T06:00:00Z", "--until", "2020-01-01T01:00:00Z", "--reason", "x"]).status, 2);
    assert.equal(runCli(["maintenance", "add", "--db", db, "--from", "2020-01-01T00:00:00Z", "--until", "2020-01-01T06:00:00Z", "--reason", "x", "--device", "plc-7"]).status, 2);
    const added = runCli(["maintenance", "add", "--db", db, "--from", "2020-01-01T00:00:00Z", "--until", "2020-01-01T06:00:00Z", "--reason", "line 3 firmware"]);
    assert.equal(added.status, 0, added.stderr);
    assert.deepEqual((JSON.parse(runCli(["maintenance", "list", "--db", db, "--format", "json"]).stdout) as { reason: string }[]).map((w) => w.reason), ["line 3 firmware"]);
    const before = new Set((JSON.parse(runCli(["alerts", "--db", db, "--format", "json", "--all"]).stdout) as Alert[]).map((a) => a.id));
    assert.equal(runCli(["analyze", "--db", db, next.pcap]).status, 0);
    const day2 = (JSON.parse(runCli(["alerts", "--db", db, "--format", "json", "--all"]).stdout) as Alert[]).filter((a) => !before.has(a.id) && a.class === "ot-operation");
    const engineering = day2.filter((a) => ["T0843", "T0845", "T0858", "T0816"].includes(a.technique));
    assert.ok(engineering.length >= 1, `${engineering.length} engineering operations on day 2`);
    assert.ok(engineering.every((a) => a.status === "open" && ["high", "critical"].includes(a.severity)), JSON.stringify(engineering.map((a) => [a.status, a.severity])));
    const audit = JSON.parse(runCli(["audit", "--db", db, "--format", "json"]).stdout) as { action: string }[];
    assert.ok(audit.some((e) => e.action === "maintenance.add"));
  });
});

describe("identity beyond DHCP", () => {
  it("a settled OT serial number that changes is an identity change, high on a strict-tier device", () => {
    const dir = tmpDir("cordon-identity-");
    const store = new Store(join(dir, "c.db"));
    try {
      const p = createPipeline({ flows: () => undefined });
      const mac = "00:1b:1b:00:00:07";
      const at = (s: number, value: string): void => p.observe({ site: "default", source: "capture", tsUs: 1_700_000_000_000_000 + s * 1_000_000, mac, kind: "s7.serial", value });
      at(0, "S C-X4U421302014");
      at(60, "S C-X4U421302014");
      saveInventory(store, p.inventory);
      at(120, "S C-J9A001887766");
      const d = [...p.inventory.devices.values()].find((x) => x.mac === mac)!;
      assert.deepEqual([...(d.facts.get("identity.change")?.keys() ?? [])], ["score 0.90: s7.serial: S C-X4U421302014 -> S C-J9A001887766"]);
      const engine = new DetectionEngine([]);
      raiseIdentityChanges(engine, p.inventory);
      saveInventory(store, p.inventory);
      store.setOverride(d.storeId!, { criticality: "life-safety/physical-process", reason: "PLC", setBy: "test", setAt: new Date().toISOString() });
      const [alert] = saveDetected(store, engine.finish(), p.inventory, priorCategoryById(store));
      assert.equal(alert.class, "identity-change");
      assert.equal(alert.severity, "high");
      assert.match(alert.title, /no longer looks like itself: score 0\.90: s7\.serial/);
    } finally {
      store.close();
    }
  });
});
