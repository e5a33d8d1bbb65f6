import { InputError } from "./errors.js";
import { readFileSync, realpathSync } from "node:fs";
import { dirname, resolve } from "node:path";
import type { DeviceFacts } from "../classify/classify.js";
import { decide } from "../classify/decide.js";
import { inMemoryFacts } from "../classify/device-facts.js";
import { type Evaluation, type LabelledDevice, type Prediction, evaluate } from "../classify/evaluate.js";
import { type BehaviourModel, type Sample, trainModel } from "../classify/model.js";
import { loadRules } from "../classify/rules.js";
import { Store } from "../store/store.js";
import { analyzeCaptures } from "./analyze-captures.js";

interface LabelsFile {
  captures: Record<string, Record<string, { vendor?: string; category?: string; model?: string }>>;
}

function real(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return resolve(p);
  }
}

/** A labelled device as one capture shows it: its facts and its behaviour vector (when it had enough flows). */
interface Seen {
  label: LabelledDevice;
  facts?: DeviceFacts;
  behaviour?: number[];
}

/**
 * Analyses each capture on its own (an in-memory database) and returns its labelled devices
 * with what the traffic showed of them.
 */
async function seeLabelled(labelsPath: string, captures: string[]): Promise<Seen[]> {
  let labels: LabelsFile;
  try {
    labels = JSON.parse(readFileSync(labelsPath, "utf8")) as LabelsFile;
  } catch (e) {
    throw new InputError(`${labelsPath}: ${(e as Error).message}`);
  }
  if (typeof labels.captures !== "object" || labels.captures === null) throw new InputError(`${labelsPath}: no "captures" object`);
  const base = dirname(labelsPath);
  const byFile = new Map(Object.entries(labels.captures).map(([k, v]) => [real(resolve(base, k)), { key: k, devices: v }]));
  const out: Seen[] = [];
  for (const c of captures) {
    const entry = byFile.get(real(c));
    if (!entry) throw new InputError(`${c}: no labels for this capture in ${labelsPath}`);
    const store = new Store(":memory:");
    try {
      const { inventory } = await analyzeCaptures(store, [c], "default");
      const byMac = new Map([...inventory.devices.values()].filter((d) => d.mac && entry.devices[d.mac]).map((d) => [d.mac!, d]));
      for (const [mac, l] of Object.entries(entry.devices)) {
        const d = byMac.get(mac.toLowerCase());
        out.push({
          label: { capture: entry.key, mac: mac.toLowerCase(), category: l.category ?? "unknown", vendor: l.vendor ?? "" },
          facts: d ? inMemoryFacts(d).facts : undefined,
          behaviour: d && !d.router ? d.behaviour?.vector() : undefined,
        });
      }
    } finally {
      store.close();
    }
  }
  return out;
}

/**
 * `cordon eval --labels LABELS.json CAPTURE...`: each capture is analysed on its own, its
 * devices classified (rules, then the behavioural model when one is given), and the labelled
 * ones scored.
 */
export async function evaluateCaptures(labelsPath: string, captures: string[], model?: BehaviourModel): Promise<Evaluation> {
  const rules = loadRules();
  const seen = await seeLabelled(labelsPath, captures);
  const predictions = new Map<LabelledDevice, Prediction>();
  for (const s of seen) {
    if (!s.facts) continue;
    const v = decide(s.facts, rules, s.behaviour, model);
    predictions.set(s.label, { category: v.category, vendor: v.vendor });
  }
  const e = evaluate(seen.filter((s) => s.facts).map((s) => s.label), (l) => predictions.get(l));
  e.absent = seen.filter((s) => !s.facts).map((s) => ({ capture: s.label.capture, mac: s.label.mac }));
  return e;
}

/**
 * `cordon train`: the behavioural model from labelled captures. Every labelled device with
 * enough flows is a sample, whatever the rules make of it; routers and unlabelled
 * ("unknown") devices are not.
 */
export async function trainOnCaptures(labelsPath: string, captures: string[]): Promise<BehaviourModel> {
  const seen = await seeLabelled(labelsPath, captures);
  const samples: Sample[] = [];
  for (const s of seen) {
    if (!s.behaviour || s.label.category === "unknown" || s.label.category === "router") continue;
    samples.push({ x: s.behaviour, y: s.label.category });
  }
  return trainModel(samples, { sources: [...new Set(seen.map((s) => s.label.capture))] });
}
