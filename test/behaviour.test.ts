import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { BEHAVIOUR_FEATURES, BehaviourAccumulator, MIN_BEHAVIOUR_FLOWS, MIN_BEHAVIOUR_SPAN_US } from "../src/flows/behaviour.js";
import type { DeviceFacts } from "../src/classify/classify.js";
import { MODEL_MIN_PROBABILITY, decide } from "../src/classify/decide.js";
import { BEHAVIOUR_EVIDENCE, BEHAVIOUR_EVIDENCE_PREFIX } from "../src/model/verdict-evidence.js";
import { type NacSettings, type NacTable, decide as nacDecide } from "../src/nac/authorization.js";
import { nacTableFromStore } from "../src/app/nac.js";
import { saveInventory } from "../src/app/site-run.js";
import { Inventory } from "../src/inventory/inventory.js";
import { NacStore } from "../src/store/nac.js";
import { Store } from "../src/store/store.js";
import { DEFAULT_MODEL_PATH, FAMILIAR_Z, MIN_SCALE, type Sample, loadModel, predict, trainModel, validateModel } from "../src/classify/model.js";
import { compileRuleFile } from "../src/classify/rules.js";
import { shouldReplace } from "../src/classify/settle.js";
import { DEFAULT_LAB, generateLab } from "../src/lab/generate.js";
import type { FlowSummary } from "../src/model/flow-record.js";
import { ACK, SYN, ethernet, ipv4, tcp } from "../src/lab/craft.js";
import { writePcap } from "../src/lab/capture-writer.js";
import { inventoryOf, runCli, tmpDir } from "./helpers.js";

const feature = (v: number[], name: string): number => v[BEHAVIOUR_FEATURES.indexOf(name)];

function flow(o: Partial<FlowSummary> & { firstUs: number }): FlowSummary {
  return {
    proto: 6, srcIp: "10.0.0.5", srcPort: 40000, dstIp: "52.1.2.3", dstPort: 443, packetsSrcToDst: 5, bytesSrcToDst: 500,
    packetsDstToSrc: 5, bytesDstToSrc: 1500, lastUs: o.firstUs + 1_000_000, appProtocol: "tls", ...o,
  };
}

describe("behaviour features", () => {
  it("says nothing about a device with too few flows", () => {
    const a = new BehaviourAccumulator();
    for (let i = 0; i < MIN_BEHAVIOUR_FLOWS - 1; i++) a.add(flow({ firstUs: i * 1e9 }), true);
    assert.equal(a.vector(), undefined);
    a.add(flow({ firstUs: 1e12 }), true);
    assert.equal(a.vector()?.length, BEHAVIOUR_FEATURES.length);
  });

  it("says nothing about a device seen for less than ten minutes, however many flows (a setup burst)", () => {
    const a = new BehaviourAccumulator();
    for (let i = 0; i < 50; i++) a.add(flow({ firstUs: i * 10e6 }), true);
    assert.equal(a.vector(), undefined, "50 flows in 8 minutes");
    a.add(flow({ firstUs: MIN_BEHAVIOUR_SPAN_US }), true);
    assert.equal(a.vector()?.length, BEHAVIOUR_FEATURES.length);
  });

  it("tells a regular reporter from a bursty one, and counts shares of protocols, peers and direction", () => {
    const regular = new BehaviourAccumulator();
    for (let i = 0; i < 20; i++) regular.add(flow({ firstUs: i * 300e6 }), true);
    const bursty = new BehaviourAccumulator();
    const starts = [0, 2, 3, 50, 51, 400, 401, 402, 2000, 5000].map((s) => s * 1e6);
    for (const s of starts) bursty.add(flow({ firstUs: s }), true);
    const r = regular.vector()!;
    const b = bursty.vector()!;
    assert.ok(feature(r, "periodicity") > 0.99, `regular: ${feature(r, "periodicity")}`);
    assert.ok(feature(b, "periodicity") < 0.3, `bursty: ${feature(b, "periodicity")}`);
    assert.equal(feature(r, "uses_tls"), 1);
    assert.equal(feature(r, "external_share"), 1);
    assert.equal(feature(r, "initiated_share"), 1);
    assert.equal(feature(r, "bytes_out_share"), 0.25);

    const server = new BehaviourAccumulator();
    for (let i = 0; i < 6; i++) {
      server.add(flow({ firstUs: i * 120e6, srcIp: `10.0.0.${10 + i}`, dstIp: "10.0.0.2", dstPort: 502, appProtocol: "modbus" }), false);
    }
    const s = server.vector()!;
    assert.equal(feature(s, "serves_modbus"), 1);
    assert.equal(feature(s, "initiated_share"), 0);
    assert.equal(feature(s, "external_share"), 0);
    assert.equal(feature(s, "peers_log"), Math.log1p(6));
    assert.equal(feature(s, "served_ports_log"), Math.log1p(1));
  });

  it("measures the duty cycle: a device that sleeps between reports is active in few minutes", () => {
    const sleeper = new BehaviourAccumulator();
    for (let i = 0; i < 10; i++) sleeper.add(flow({ firstUs: i * 3600e6 }), true);
    const awake = new BehaviourAccumulator();
    for (let i = 0; i < 10; i++) awake.add(flow({ firstUs: i * 600e6, lastUs: (i + 1) * 600e6 }), true);
    assert.ok(feature(sleeper.vector()!, "active_minute_share") < 0.05);
    assert.equal(feature(awake.vector()!, "active_minute_share"), 1);
    assert.equal(feature(awake.vector()!, "long_flow_share"), 1);
  });

  it("is gathered by the pipeline for both ends of every finished flow", async () => {
    const frames: { tsUs: number; data: Buffer }[] = [];
    const hmi = "aa:aa:aa:aa:aa:01";
    const plc = "aa:aa:aa:aa:aa:02";
    for (let i = 0; i < 6; i++) {
      const t = 1e15 + i * 120e6;
      const sport = 40000 + i;
      frames.push({ tsUs: t, data: ethernet(plc, hmi, 0x0800, ipv4({ src: "10.0.0.5", dst: "10.0.0.9", proto: 6 }, tcp(sport, 502, SYN, 1))) });
      frames.push({ tsUs: t + 500, data: ethernet(hmi, plc, 0x0800, ipv4({ src: "10.0.0.9", dst: "10.0.0.5", proto: 6 }, tcp(502, sport, SYN | ACK, 1))) });
    }
    const file = join(tmpDir(), "b.pcap");
    writeFileSync(file, writePcap(frames));
    const devices = await inventoryOf(file);
    const client = devices.find((d) => d.mac === hmi)!.behaviour!.vector()!;
    const server = devices.find((d) => d.mac === plc)!.behaviour!.vector()!;
    assert.equal(feature(client, "initiated_share"), 1);
    assert.equal(feature(client, "uses_modbus"), 1);
    assert.equal(feature(server, "initiated_share"), 0);
    assert.equal(feature(server, "serves_modbus"), 1);
    assert.equal(feature(server, "internal_peers_log"), Math.log1p(1));
  });
});

describe("the behavioural model", () => {
  const dims = BEHAVIOUR_FEATURES.length;
  const at = (pairs: Record<string, number>): number[] => BEHAVIOUR_FEATURES.map((f) => pairs[f] ?? 0);
  /** Two behaviours a linear model can tell apart, with a little deterministic noise. */
  const samples: Sample[] = [];
  for (let i = 0; i < 40; i++) {
    const n = ((i * 7919) % 13) / 100;
    samples.push({ y: "camera", x: at({ uses_rtsp: 0.2 + n, serves_rtsp: 0.7 - n, long_flow_share: 0.8 }) });
    samples.push({ y: "sensor", x: at({ uses_tls: 0.9 - n, active_minute_share: 0.05 + n, periodicity: 0.8 }) });
  }

  it("learns separable behaviour, deterministically, and says why", () => {
    const m = trainModel(samples);
    assert.deepEqual(trainModel(samples), m);
    const p = predict(m, at({ uses_tls: 0.8, active_minute_share: 0.03, periodicity: 0.9 }));
    assert.equal(p.category, "sensor");
    assert.ok(p.probability > MODEL_MIN_PROBABILITY);
    const telling = new Set(["uses_tls", "active_minute_share", "periodicity", "uses_rtsp", "serves_rtsp", "long_flow_share"]);
    assert.ok(p.because.length > 0 && p.because.every((b) => telling.has(b.feature) && b.push > 0), JSON.stringify(p.because));
    assert.equal(predict(m, at({ serves_rtsp: 0.9, long_flow_share: 1 })).category, "camera");
  });

  it("rejects model files that do not fit this version", () => {
    const m = trainModel(samples);
    assert.doesNotThrow(() => validateModel(JSON.parse(JSON.stringify(m)), "m.json"));
    assert.throws(() => validateModel({ ...m, features: m.features.slice(1) }, "m.json"), /m\.json: trained on other behaviour features/);
    assert.throws(() => validateModel({ ...m, classes: ["camera", "toaster"] }, "m.json"), /class "toaster"/);
    assert.throws(() => validateModel({ ...m, weights: [m.weights[0]] }, "m.json"), /weights do not match/);
    assert.throws(() => validateModel({ ...m, format: "x" }, "m.json"), /format/);
    assert.throws(() => trainModel([{ x: [1], y: "camera" }]), new RegExp(`expected ${dims}`));
    assert.throws(() => trainModel([]), /no labelled devices/);
  });

  it("the shipped model loads and was trained on this version's features", () => {
    const m = loadModel(DEFAULT_MODEL_PATH);
    assert.ok(m, `${DEFAULT_MODEL_PATH} missing: run npm run train-model`);
    assert.deepEqual(m.features, BEHAVIOUR_FEATURES);
    assert.ok(m.classes.length >= 10);
  });
});

describe("rules first, behaviour second", () => {
  const rules = compileRuleFile("t.json", { vendor: "Axis Communications", rules: [{ id: "vc", when: { "dhcp.vendor_class": "^AXIS" }, category: "camera", weight: 0.9 }] });
  const facts = (vendorClass?: string): DeviceFacts => ({
    router: false, hostnames: [], facts: new Map(vendorClass ? [["dhcp.vendor_class", [vendorClass]]] : []),
  });
  const sensorLike = BEHAVIOUR_FEATURES.map((f) => (f === "uses_tls" ? 0.9 : f === "active_minute_share" ? 0.03 : f === "periodicity" ? 0.8 : 0));
  const samples: Sample[] = [];
  for (let i = 0; i < 30; i++) {
    samples.push({ y: "sensor", x: sensorLike.map((v) => v + (i % 5) / 100) });
    samples.push({ y: "camera", x: BEHAVIOUR_FEATURES.map((f) => (f === "serves_rtsp" ? 0.8 + (i % 5) / 100 : 0)) });
  }
  const model = trainModel(samples);

  it("never overrides a category the rules found, and names the model when it speaks", () => {
    const byRules = decide(facts("AXIS,Network Camera"), rules, sensorLike, model);
    assert.equal(byRules.category, "camera");
    assert.ok(!byRules.evidence.some((e) => e.rule === BEHAVIOUR_EVIDENCE));
    const byBehaviour = decide(facts(), rules, sensorLike, model);
    assert.equal(byBehaviour.category, "sensor");
    assert.equal(byBehaviour.evidence[0].rule, BEHAVIOUR_EVIDENCE);
    assert.ok(byBehaviour.evidence[0].facts.every((f) => f.kind.startsWith("behaviour.")));
    assert.equal(decide(facts(), rules, undefined, model).category, "unknown");
    assert.equal(decide(facts(), rules, sensorLike, undefined).category, "unknown");
  });

  it("a category the model guessed does not make a device known to the NAC: onboarding until the rules or a person name it", () => {
    const store = new Store(join(tmpDir("guess"), "g.db"));
    const inv = new Inventory();
    const [camera, guessed] = [0x02000000000a, 0x02000000000b].map((m) => inv.byMacNumber("plant", m)!);
    saveInventory(store, inv);
    const byBehaviour = decide(facts(), rules, sensorLike, model);
    assert.ok(JSON.stringify(byBehaviour.evidence).startsWith(BEHAVIOUR_EVIDENCE_PREFIX), "the store tells a guess by how its evidence begins");
    store.saveVerdicts([
      { deviceId: camera.storeId!, verdict: { ...decide(facts("AXIS,Network Camera"), rules, sensorLike, model), decidedUs: 1 } },
      { deviceId: guessed.storeId!, verdict: { ...byBehaviour, decidedUs: 1 } },
    ]);
    const settings: NacSettings = { vlans: { onboarding: "900", quarantine: "666", registered: "20" }, groupVlans: {}, quarantineAllow: [], unknown: "onboard" };
    const nac = new NacStore(store.sql);
    const table = (): NacTable => nacTableFromStore(store, nac, settings);
    assert.deepEqual(store.identifiedMacs().map((d) => d.mac), ["02:00:00:00:00:0a"]);
    assert.deepEqual(store.groupingInputs().map((d) => d.mac), ["02:00:00:00:00:0a"], "nor does the guess move a group");
    assert.equal(nacDecide(table(), "plant", "02:00:00:00:00:0a").state, "registered");
    assert.equal(nacDecide(table(), "plant", "02:00:00:00:00:0b").profile?.vlan, "900", "behaviour anyone can imitate does not leave onboarding");
    // The rules name it later: the rules' category replaces the guess, and the device is known.
    store.saveVerdicts([{ deviceId: guessed.storeId!, verdict: { ...decide(facts("AXIS,Network Camera"), rules, sensorLike, model), decidedUs: 2 } }]);
    assert.equal(nacDecide(table(), "plant", "02:00:00:00:00:0b").state, "registered");
    store.saveVerdicts([{ deviceId: guessed.storeId!, verdict: { ...byBehaviour, decidedUs: 3 } }]);
    assert.equal(nacDecide(table(), "plant", "02:00:00:00:00:0b").state, "unknown");
    // A person's word makes it known, whatever the model said.
    store.setOverride(guessed.storeId!, { category: "sensor", setBy: "olga", setAt: "2026-12-07T00:00:00Z" });
    assert.equal(nacDecide(table(), "plant", "02:00:00:00:00:0b").state, "registered");
    store.close();
  });

  it("stays unknown when the model is unsure", () => {
    const between = sensorLike.map((v, i) => (v + (BEHAVIOUR_FEATURES[i] === "serves_rtsp" ? 0.8 : 0)) / 2);
    const p = predict(model, between);
    assert.ok(p.probability < MODEL_MIN_PROBABILITY, `probability ${p.probability}`);
    assert.equal(decide(facts(), rules, between, model).category, "unknown");
  });

  it("stays unknown when the device behaves unlike any device the model learned from", () => {
    // Every training device had flows_log 0: its spread is the floor, MIN_SCALE.
    assert.ok(model.scale.every((sc) => sc >= MIN_SCALE));
    const near = sensorLike.map((v, i) => (BEHAVIOUR_FEATURES[i] === "flows_log" ? 3 * MIN_SCALE : v));
    assert.equal(predict(model, near).unfamiliar, undefined);
    assert.equal(decide(facts(), rules, near, model).category, "sensor");
    const far = sensorLike.map((v, i) => (BEHAVIOUR_FEATURES[i] === "flows_log" ? (FAMILIAR_Z + 1) * MIN_SCALE : v));
    const p = predict(model, far);
    assert.equal(p.unfamiliar?.feature, "flows_log");
    assert.ok(p.unfamiliar.z > FAMILIAR_Z);
    assert.equal(decide(facts(), rules, far, model).category, "unknown");
  });

  it("lets what a device says replace what its behaviour suggested, never the reverse", () => {
    const fromModel = decide(facts(), rules, sensorLike, model);
    const fromRules = decide(facts("AXIS,Network Camera"), rules, sensorLike, model);
    assert.equal(shouldReplace({ ...fromModel, confidence: 0.99 }, { ...fromRules, confidence: 0.6 }), true);
    assert.equal(shouldReplace({ ...fromRules, confidence: 0.6 }, { ...fromModel, confidence: 0.99 }), false);
    assert.equal(shouldReplace({ category: "unknown", confidence: 0, evidence: [] }, fromModel), true);
  });
});

describe("model trained on one lab site, judged on another", () => {
  const train = generateLab(tmpDir("cordon-train-"), { ...DEFAULT_LAB, devices: 150, durationS: 7200, seed: 11 });
  const test = generateLab(tmpDir("cordon-judge-"), { ...DEFAULT_LAB, devices: 120, durationS: 3600, seed: 12 });
  const modelPath = join(tmpDir(), "model.json");

  it("cordon train writes a model that places battery sensors the rules cannot, and guesses no wrong category", () => {
    const t = runCli(["train", "--labels", train.labels, "--out", modelPath, train.pcap]);
    assert.equal(t.status, 0, t.stderr);
    assert.match(t.stdout, /categories \(.*sensor \d+/);
    const withModel = JSON.parse(runCli(["eval", "--labels", test.labels, "--model", modelPath, "--format", "json", test.pcap]).stdout) as
      { category_correct: number; misses: { mac: string; expected: string; got: string }[] };
    const rulesOnly = JSON.parse(runCli(["eval", "--labels", test.labels, "--model", "none", "--format", "json", test.pcap]).stdout) as typeof withModel;
    const labels = (JSON.parse(readFileSync(test.labels, "utf8")) as { captures: Record<string, Record<string, { category: string }>> }).captures["lab.pcapng"];
    const sensors = Object.entries(labels).filter(([, l]) => l.category === "sensor").map(([m]) => m);
    assert.ok(sensors.length > 0);
    for (const mac of sensors) {
      assert.ok(rulesOnly.misses.some((x) => x.mac === mac), `rules alone should not place sensor ${mac}`);
      assert.ok(!withModel.misses.some((x) => x.mac === mac && x.expected.startsWith("category")), `model should place sensor ${mac}`);
    }
    assert.ok(withModel.category_correct > rulesOnly.category_correct);
    const wrong = withModel.misses.filter((x) => x.expected.startsWith("category") && x.got !== "unknown");
    assert.deepEqual(wrong, [], "the model guessed a wrong category instead of leaving the device unknown");
  });

  it("refuses a model file that is not one", () => {
    const bad = join(tmpDir(), "bad.json");
    writeFileSync(bad, "{\"format\": \"something else\"}");
    const r = runCli(["eval", "--labels", test.labels, "--model", bad, test.pcap]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /bad\.json: format/);
  });
});
