import { readFileSync, realpathSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { classify } from "../classify/classify.js";
import { deviceFacts } from "../classify/device-facts.js";
import { type Evaluation, type LabelledDevice, type Prediction, evaluate } from "../classify/evaluate.js";
import { loadRules } from "../classify/rules.js";
import { Store } from "../store/sqlite.js";
import { analyzeCaptures } from "./analyze.js";
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

/**
 * `cordon eval --labels LABELS.json CAPTURE...`: each capture is analysed on its own (an
 * in-memory database), its devices classified, and the labelled ones scored.
 */
export async function evaluateCaptures(labelsPath: string, captures: string[]): Promise<Evaluation> {
  let labels: LabelsFile;
  try {
    labels = JSON.parse(readFileSync(labelsPath, "utf8")) as LabelsFile;
  } catch (e) {
    throw new UsageError(`${labelsPath}: ${(e as Error).message}`);
  }
  if (typeof labels.captures !== "object" || labels.captures === null) throw new UsageError(`${labelsPath}: no "captures" object`);
  const base = dirname(labelsPath);
  const byFile = new Map(Object.entries(labels.captures).map(([k, v]) => [real(resolve(base, k)), { key: k, devices: v }]));
  const rules = loadRules();
  const all: LabelledDevice[] = [];
  const predictions = new Map<string, Prediction>();
  for (const c of captures) {
    const entry = byFile.get(real(c));
    if (!entry) throw new UsageError(`${c}: no labels for this capture in ${labelsPath}`);
    const store = new Store(":memory:");
    try {
      await analyzeCaptures(store, [c], "default");
      for (const d of store.devices()) {
        if (d.mac && entry.devices[d.mac]) {
          const v = classify(deviceFacts(d), rules);
          predictions.set(`${entry.key}|${d.mac}`, { category: v.category, vendor: v.vendor });
        }
      }
    } finally {
      store.close();
    }
    for (const [mac, l] of Object.entries(entry.devices)) {
      all.push({ capture: entry.key, mac: mac.toLowerCase(), category: l.category ?? "unknown", vendor: l.vendor ?? "" });
    }
  }
  return evaluate(all, (l) => predictions.get(`${l.capture}|${l.mac}`));
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
