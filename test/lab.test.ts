import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { DEFAULT_LAB, generateLab } from "../src/lab/generate.js";
import { NO_TSHARK, runCli, tmpDir, tsharkFields } from "./helpers.js";

describe("cordon lab", () => {
  const dir = tmpDir("cordon-lab-");
  const r = generateLab(dir, { ...DEFAULT_LAB, devices: 60, durationS: 900, scenarios: ["all"] });

  it("gives the same capture for the same seed, another for another", () => {
    const again = generateLab(tmpDir(), { ...DEFAULT_LAB, devices: 60, durationS: 900, scenarios: ["all"] });
    assert.ok(readFileSync(r.pcap).equals(readFileSync(again.pcap)));
    const other = generateLab(tmpDir(), { ...DEFAULT_LAB, devices: 60, durationS: 900, seed: 2, scenarios: ["all"] });
    assert.ok(!readFileSync(r.pcap).equals(readFileSync(other.pcap)));
  });

  it("writes pcapng that tshark reads frame for frame", { skip: NO_TSHARK }, () => {
    const frames = tsharkFields(r.pcap, "frame", ["frame.number"]);
    assert.equal(frames.length, r.frames);
    const stops = tsharkFields(r.pcap, "s7comm.param.func == 0x29", ["ip.src", "ip.dst"]);
    const plcStop = r.scenarios.find((s) => s.name === "plc-stop")!;
    assert.deepEqual(stops, [[plcStop.source, plcStop.target]]);
  });

  it("labels every device and every injected scenario", () => {
    const labels = JSON.parse(readFileSync(r.labels, "utf8")) as { captures: Record<string, Record<string, { category: string }>>; scenarios: { name: string; class: string }[] };
    assert.equal(Object.keys(labels.captures["lab.pcapng"]).length, r.devices);
    assert.deepEqual(labels.scenarios.map((s) => s.name), ["port-scan", "telnet-brute-force", "dga-dns", "exfiltration", "plc-stop", "new-peer"]);
  });

  it("is classified as labelled (a regression check: the same hands write lab and rules)", () => {
    const clean = generateLab(tmpDir(), { ...DEFAULT_LAB, devices: 80, durationS: 1800 });
    const e = runCli(["eval", "--labels", clean.labels, "--format", "json", clean.pcap]);
    assert.equal(e.status, 0, e.stderr);
    const ev = JSON.parse(e.stdout) as { devices: number; category_correct: number; vendor_correct: number; vendor_scored: number; misses: { mac: string; expected: string; got: string }[] };
    assert.ok(ev.category_correct / ev.devices >= 0.9, JSON.stringify(ev.misses));
    assert.equal(ev.vendor_correct, ev.vendor_scored, JSON.stringify(ev.misses));
    // Tuya plugs and bulbs say nothing of what they are and behave alike: unknown, never a wrong guess.
    const silent = /^(18:69:d8|10:5a:17):/;
    for (const m of ev.misses) assert.ok(m.got === "unknown" && silent.test(m.mac), JSON.stringify(m));
  });

  it("records the injected PLC stop as an operation by the acting host on the PLC", () => {
    const plcStop = r.scenarios.find((s) => s.name === "plc-stop")!;
    const db = join(tmpDir(), "l.db");
    assert.equal(runCli(["analyze", "--db", db, r.pcap]).status, 0);
    const [actor] = JSON.parse(runCli(["device", "--db", db, "--format", "json", plcStop.source]).stdout) as { facts: { kind: string; value: string }[] }[];
    assert.ok(actor.facts.some((f) => f.kind === "ot.operation" && f.value === `s7.plc-stop to ${plcStop.target}`));
  });

  it("rejects an unknown scenario by name", () => {
    assert.throws(() => generateLab(tmpDir(), { ...DEFAULT_LAB, devices: 5, durationS: 5, scenarios: ["meteor"] }), /unknown scenario "meteor"/);
    assert.equal(runCli(["lab", "--out", tmpDir(), "--devices", "0"]).status, 2);
  });
});
