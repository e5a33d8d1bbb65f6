import { readFileSync, realpathSync } from "node:fs";
import { dirname, resolve } from "node:path";
import type { DeviceFacts } from "../classify/classify.js";
import { decide } from "../classify/decide.js";
import { inMemoryFacts } from "../classify/device-facts.js";
import { type Evaluation, type LabelledDevice, type Prediction, evaluate } from "../classify/evaluate.js";
import { type BehaviourModel, type Sample, trainModel } from "../classify/model.js";
import { loadRules } from "../classify/rules.js";
import { Store } from "../store/store.js";
import { analyzeCaptures } from "../app/analyze-captures.js";
import { UsageError } from "./output.js";

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
    throw new UsageError(`${labelsPath}: ${(e as Error).message}`);
  }
  if (typeof labels.captures !== "object" || labels.captures === null) throw new UsageError(`${labelsPath}: no "captures" object`);
  const base = dirname(labelsPath);
  const byFile = new Map(Object.entries(labels.captures).map(([k, v]) => [real(resolve(base, k)), { key: k, devices: v }]));
  const out: Seen[] = [];
  for (const c of captures) {
    const entry = byFile.get(real(c));
    if (!entry) throw new UsageError(`${c}: no labels for this capture in ${labelsPath}`);
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
  return evaluate(seen.map((s) => s.label), (l) => predictions.get(l));
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

export function renderEvaluation(e: Evaluation, format: "table" | "json"): string {
  if (format === "json") return JSON.stringify(e, null, 2);
  const pct = (n: number, d: number): string => (d === 0 ? "n/a" : `${((100 * n) / d).toFixed(1)}% (${n}/${d})`);
  const lines = [
    `devices: ${e.devices}`,
    `category accuracy: ${pct(e.categoryCorrect, e.devices)}`,
    `vendor accuracy: ${pct(e.vendorCorrect, e.vendorScored)}`,
    `unknown rate: ${pct(e.unknown, e.devices)}`,
    "",
    "confusion (rows: labelled, columns: predicted):",
  ];
  const cols = [...new Set(Object.values(e.confusion).flatMap((r) => Object.keys(r)))].sort();
  const rows = Object.keys(e.confusion).sort();
  const w = Math.max(10, ...rows.map((r) => r.length), ...cols.map((c) => c.length));
  lines.push(`${"".padEnd(w)}  ${cols.map((c) => c.padStart(w)).join("  ")}`);
  for (const r of rows) lines.push(`${r.padEnd(w)}  ${cols.map((c) => String(e.confusion[r][c] ?? 0).padStart(w)).join("  ")}`);
  if (e.misses.length > 0) {
    lines.push("", "misses:");
    for (const m of e.misses) lines.push(`  ${m.capture} ${m.mac}: expected ${m.expected}, got ${m.got}`);
  }
  return lines.join("\n");
}
