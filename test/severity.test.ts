import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { defaultCriticality } from "../src/classify/taxonomy.js";
import { ADMIN_CONTEXT, MATURE_CONTEXT, rateBehaviour } from "../src/detect/severity.js";
import { ACK, FIN, SYN, ethernet, ipv4, tcp } from "../src/lab/craft.js";
import { type WrittenFrame, writePcap } from "../src/lab/capture-writer.js";
import type { Alert } from "../src/model/alert.js";
import { planResponse, triggers } from "../src/respond/playbook.js";
import { runCli, tmpDir } from "./helpers.js";

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
