import { type Evaluation } from "../classify/evaluate.js";
import { table } from "./output.js";
import { reportJson } from "../app/report-json.js";

/**
 * The evaluation for people: accuracies, then per labelled category how many devices, how many
 * placed right and what the others were taken for (fits 120 columns); --wide adds the whole
 * confusion matrix (rows labelled, columns predicted).
 */
export function renderEvaluation(e: Evaluation, format: "table" | "json", wide = false): string {
  if (format === "json") return reportJson(e);
  const pct = (n: number, d: number): string => (d === 0 ? "n/a" : `${((100 * n) / d).toFixed(1)}% (${n}/${d})`);
  const lines = [
    `devices: ${e.devices}`,
    `category accuracy: ${pct(e.categoryCorrect, e.devices)}`,
    `vendor accuracy: ${pct(e.vendorCorrect, e.vendorScored)}`,
    `unknown rate: ${pct(e.unknown, e.devices)}`,
    ...(e.absent.length > 0 ? [`not in their capture, not scored: ${e.absent.length}`] : []),
    "",
  ];
  const rows = Object.keys(e.confusion).sort();
  lines.push(table(["labelled", "devices", "right", "taken for"], rows.map((r) => {
    const got = Object.entries(e.confusion[r]);
    const wrong = got.filter(([c]) => c !== r).sort((a, b) => b[1] - a[1]).map(([c, n]) => `${c} ${n}`);
    return [r, got.reduce((n, [, k]) => n + k, 0), e.confusion[r][r] ?? 0, wrong.join(", ")];
  }), { wide }));
  if (wide) {
    const cols = [...new Set(Object.values(e.confusion).flatMap((r) => Object.keys(r)))].sort();
    const w = Math.max(10, ...rows.map((r) => r.length), ...cols.map((c) => c.length));
    lines.push("", "confusion (rows: labelled, columns: predicted):", `${"".padEnd(w)}  ${cols.map((c) => c.padStart(w)).join("  ")}`);
    for (const r of rows) lines.push(`${r.padEnd(w)}  ${cols.map((c) => String(e.confusion[r][c] ?? 0).padStart(w)).join("  ")}`);
  }
  if (e.misses.length > 0) {
    lines.push("", "misses:");
    for (const m of e.misses) lines.push(`  ${m.capture} ${m.mac}: expected ${m.expected}, got ${m.got}`);
  }
  if (e.absent.length > 0) {
    lines.push("", "not in their capture:");
    for (const a of e.absent) lines.push(`  ${a.capture} ${a.mac}`);
  }
  return lines.join("\n");
}
