import { type Evaluation } from "../classify/evaluate.js";
import { reportJson } from "../app/report-json.js";

export function renderEvaluation(e: Evaluation, format: "table" | "json"): string {
  if (format === "json") return reportJson(e);
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
