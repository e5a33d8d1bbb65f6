import { reportJson } from "../../app/report-json.js";
import { Store } from "../../store/store.js";
import { deviceDetailView, findDevices } from "../../app/queries.js";
import { UsageError, parseFormat } from "../output.js";
import { COMMON, dbPath } from "../options.js";
import { command } from "../command.js";

export default command({
  name: "device",
  summary: "print everything known about one device, with evidence",
  help: `Usage: cordon device [--db PATH] [--format table|json] MAC|IP

Prints every fact known about a device, each with its evidence (source, packet, time).

${COMMON}`,
  options: {
    db: { type: "string" },
    format: { type: "string" },
  },
  async run({ values, positionals }) {
    const format = parseFormat(values.format, ["table", "json"]);
    if (positionals.length !== 1) throw new UsageError("device needs one MAC or IP");
    const store = new Store(dbPath(values.db), { readOnly: true });
    try {
      const found = findDevices(store, positionals[0]).map(deviceDetailView);
      if (found.length === 0) {
        process.stderr.write(`cordon: no device with MAC or IP ${positionals[0]}\n`);
        return 1;
      }
      process.stdout.write(format === "json" ? `${reportJson(found)}\n` : `${found.map(textDetail).join("\n\n")}\n`);
    } finally {
      store.close();
    }
    return 0;
  },
});

/** Plain-text form of a device's detail for people. */
function textDetail(d: Record<string, unknown>): string {
  const lines: string[] = [];
  for (const [k, v] of Object.entries(d)) {
    if (k === "addresses" || k === "facts" || k === "evidence" || k === "verdict_history") continue;
    if (v === undefined || v === null || (Array.isArray(v) && v.length === 0)) continue;
    lines.push(`${k}: ${typeof v === "object" && !Array.isArray(v) ? JSON.stringify(v) : Array.isArray(v) ? v.join(", ") : String(v)}`);
  }
  lines.push("evidence:");
  for (const e of d.evidence as { rule: string; weight: number; supports: string; facts: { kind: string; value: string }[] }[]) {
    lines.push(`  ${e.rule} (${e.weight}) for ${e.supports}: ${e.facts.map((f) => `${f.kind}=${f.value}`).join("; ")}`);
  }
  lines.push("verdict history:");
  for (const h of d.verdict_history as { category: string; vendor: string | null; confidence: number; decided: string }[]) {
    lines.push(`  ${h.decided} ${h.category}${h.vendor ? ` (${h.vendor})` : ""} confidence ${h.confidence}`);
  }
  lines.push("addresses:");
  for (const a of d.addresses as { ip: string; origin: string; first_seen: string; last_seen: string; evidence: { source: string; packet: number } }[]) {
    lines.push(`  ${a.ip} (${a.origin}) ${a.first_seen} .. ${a.last_seen}  [${a.evidence.source} #${a.evidence.packet}]`);
  }
  lines.push("facts:");
  for (const f of d.facts as { kind: string; value: string; count: number; evidence: { source: string; packet: number; time: string } }[]) {
    lines.push(`  ${f.kind} = ${f.value}  ×${f.count}  [${f.evidence.source} #${f.evidence.packet} at ${f.evidence.time}]`);
  }
  return lines.join("\n");
}
