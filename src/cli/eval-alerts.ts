import type { AlertEvaluation } from "../app/evaluate-alerts.js";
import { reportJson } from "../app/report-json.js";
import { table } from "./output.js";

export function renderAlertEvaluation(e: AlertEvaluation, format: "table" | "json"): string {
  if (format === "json") return reportJson(e);
  const pct = (x: number | null): string => (x === null ? "-" : `${(x * 100).toFixed(0)}%`);
  const lines = [
    table(["DETECTOR", "PRECISION", "RECALL", "TP", "FP", "FOUND", "EXPECTED"],
      e.detectors.map((d) => [d.detector, pct(d.precision), pct(d.recall), d.truePositives, d.falsePositives, d.found, d.expected])),
    "",
  ];
  for (const h of e.hostile.filter((x) => !x.found)) lines.push(`missed: ${h.capture}: ${h.class} from ${h.source ?? "?"}`);
  for (const b of e.benign) for (const x of b.bad) lines.push(`false alarm: ${b.capture}: ${x}`);
  const found = e.hostile.filter((h) => h.found).length;
  lines.push(`${found} of ${e.hostile.length} expected alerts raised; ${e.benign.reduce((n, b) => n + b.bad.length, 0)} forbidden alerts on ${e.benign.length} benign captures`);
  return lines.join("\n");
}
