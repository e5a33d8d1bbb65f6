import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import { BEHAVIOUR_EVIDENCE } from "../src/model/verdict-evidence.js";
import { loadModel } from "../src/classify/model.js";
import { loadRules } from "../src/classify/rules.js";
import { settleVerdicts } from "../src/classify/verdicts.js";
import { DetectionEngine } from "../src/detect/engine.js";
import { scanDetector } from "../src/detect/scan.js";
import { DEFAULT_LAB, generateLab } from "../src/lab/generate.js";
import type { FlowRecord } from "../src/model/flow-record.js";
import { createPipeline } from "../src/pipeline.js";
import { planResponse } from "../src/respond/playbook.js";
import { readCapture } from "../src/sources/capture.js";
import { Store } from "../src/store/store.js";
import { tmpDir } from "./helpers.js";
import { saveInventory } from "../src/app/site-run.js";

/**
 * Flow records (NetFlow, IPFIX, Zeek conn) are told, not measured: whoever reaches a collector
 * can write them. Alone they never start an automatic quarantine and never give a device a
 * category (which would move it out of onboarding); captured packets or a person can.
 */

const T = 1_700_000_000_000_000;
const RESPOND = { minSeverity: "medium" as const, classes: [], quarantine: "coa" as const, approval: ["life-safety/physical-process"], evidenceDir: ".", captureSeconds: 60, ringKb: 16, ringDevices: 1, nftCommand: "nft" };

function probe(port: number, source: string): FlowRecord {
  return {
    site: "default", source, vlan: 0, proto: 6, srcIp: "10.0.0.66", srcMac: "aa:bb:cc:00:00:66", srcPort: 40000 + port, dstIp: "10.0.0.5", dstPort: port,
    initiatorKnown: true, packetsSrcToDst: 1, bytesSrcToDst: 44, packetsDstToSrc: 0, bytesDstToSrc: 0, firstUs: T + port * 1000, lastUs: T + port * 1000,
    tcpFlagsSrc: 0x02, tcpFlagsDst: 0, endReason: "idle",
  };
}

describe("flow records alone are not trusted to change the network", () => {
  it("a scan seen only in flow records is an alert that says so, and its response waits for a person", () => {
    const engine = new DetectionEngine([scanDetector()]);
    const p = createPipeline({ flows: () => undefined }, { detect: engine });
    for (let port = 1; port <= 20; port++) p.pushFlow(probe(port, "netflow:192.0.2.9"));
    p.flush();
    const [alert] = engine.finish();
    assert.equal(alert.class, "scan");
    assert.equal(alert.evidence.flowRecordsOnly, true);
    assert.ok(alert.evidence.observations.some((o) => /flow records alone .* no automatic response/.test(o)));
    const r = planResponse({ site: "default", mac: alert.sourceMac ?? "aa:bb:cc:00:00:66", at: "2026-01-01T00:00:00Z", device: { category: "camera", criticality: "standard" }, alert }, RESPOND);
    assert.equal(r.status, "proposed");
    assert.match(r.plan.waitsBecause ?? "", /flow records alone/);
    // A person's request is the approval: it is carried out whatever the evidence.
    const manual = planResponse({ site: "default", mac: "aa:bb:cc:00:00:66", at: "2026-01-01T00:00:00Z", device: { category: "camera", criticality: "standard" }, manual: { by: "alice", reason: "x" } }, RESPOND);
    assert.equal(manual.status, "running");
  });

  it("the same scan measured from packets starts the response at once", () => {
    const engine = new DetectionEngine([scanDetector()]);
    for (let port = 1; port <= 20; port++) engine.flow(probe(port, "capture:eth1"));
    const [alert] = engine.finish();
    assert.equal(alert.evidence.flowRecordsOnly, undefined);
    const r = planResponse({ site: "default", mac: "aa:bb:cc:00:00:66", at: "2026-01-01T00:00:00Z", device: { category: "camera", criticality: "standard" }, alert }, RESPOND);
    assert.equal(r.status, "running");
    // An episode that began in records and then met packets is no longer records-only.
    const mixed = new DetectionEngine([scanDetector()]);
    for (let port = 1; port <= 15; port++) mixed.flow(probe(port, "netflow:192.0.2.9"), true);
    for (let port = 16; port <= 30; port++) mixed.flow(probe(port, "capture:eth1"));
    const alerts = mixed.finish();
    assert.equal(alerts.length, 1);
    assert.equal(alerts[0].evidence.flowRecordsOnly, undefined);
    assert.ok(!alerts[0].evidence.observations.some((o) => o.startsWith("evidence: flow records alone")));
  });

  it("the behaviour model classifies devices from captured flows, never from the same flows as records", async () => {
    const model = loadModel();
    assert.ok(model, "the shipped behaviour model");
    const rules = loadRules();
    const dir = tmpDir("cordon-records-trust-");
    const lab = generateLab(dir, { ...DEFAULT_LAB, devices: 60, durationS: 1800, seed: 5 });

    const modelled = async (feed: (p: ReturnType<typeof createPipeline>, flows: FlowRecord[]) => Promise<void>, db: string, flows: FlowRecord[]): Promise<Set<string>> => {
      const store = new Store(join(dir, db));
      try {
        const p = createPipeline({ flows: (b) => void flows.push(...b) });
        await feed(p, flows);
        p.flush();
        saveInventory(store, p.inventory);
        settleVerdicts(store, p.inventory, rules, p.now(), model);
        const verdicts = store.latestVerdicts();
        const out = new Set<string>();
        for (const d of store.devices()) {
          const v = verdicts.get(d.id);
          if (v && v.evidence.some((e) => (e as { rule: string }).rule === BEHAVIOUR_EVIDENCE)) out.add(d.mac ?? d.key);
        }
        return out;
      } finally {
        store.close();
      }
    };
    const captured: FlowRecord[] = [];
    const byPackets = await modelled(async (p) => {
      p.beginSource(lab.pcap, "default");
      await readCapture(lab.pcap, p.push);
    }, "packets.db", captured);
    assert.ok(byPackets.size > 0, "the model places some lab devices from their captured flows");
    const byRecords = await modelled(async (p) => {
      for (const f of captured) p.pushFlow({ ...f, source: "netflow:192.0.2.9" });
    }, "records.db", []);
    assert.deepEqual([...byRecords], [], "no device classified by the model from flow records alone");
  });
});
