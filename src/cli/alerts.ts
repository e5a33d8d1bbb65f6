import type { StoredAlert, Store, Suppression } from "../store/store.js";
import { reportJson } from "../app/report-json.js";
import { alertView, listAlerts } from "../app/queries.js";
import { csv, shortIds, table } from "./output.js";

const iso = (us: number): string => new Date(us / 1000).toISOString();


/** One alert whole, for `cordon alerts show ID`: every field, the whole title and all its evidence. */
export function renderAlert(a: StoredAlert, format: "table" | "json"): string {
  if (format === "json") return reportJson(alertView(a));
  const lines = [
    `alert ${a.id}: ${a.severity} ${a.class}, ${a.status}`,
    `  ${a.title}`,
    `  detector ${a.detector}${a.technique ? `, ATT&CK ${a.technique}` : ""}, site ${a.site}`,
    `  source ${a.source ?? "-"}${a.device ? ` (device ${a.device})` : ""}, target ${a.target ?? "-"}`,
    `  seen ${a.count} time${a.count === 1 ? "" : "s"}, ${iso(a.firstUs)} to ${iso(a.lastUs)}`,
  ];
  if (a.statusBy) lines.push(`  ${a.status} by ${a.statusBy} at ${a.statusAt}${a.statusNote ? `: ${a.statusNote}` : ""}`);
  const e = a.evidence;
  if (e.flowRecordsOnly) lines.push("  from flow records only (NetFlow, IPFIX, Zeek conn): no automatic response starts from it");
  lines.push(`  evidence: ${e.packets.length} packet${e.packets.length === 1 ? "" : "s"}, ${e.flows.length} flow${e.flows.length === 1 ? "" : "s"}, ${e.observations.length} observation${e.observations.length === 1 ? "" : "s"}`);
  for (const p of e.packets) lines.push(`    packet ${p.source} #${p.packet} at ${iso(p.tsUs)}`);
  for (const f of e.flows) lines.push(`    flow ${f}`);
  for (const o of e.observations) lines.push(`    ${o}`);
  return lines.join("\n");
}

const COLUMNS = ["id", "severity", "class", "source", "target", "count", "first_seen", "last_seen", "status", "title"];

export function renderAlerts(store: Store, o: { format: "table" | "json" | "csv"; all?: boolean; class?: string; site?: string; wide?: boolean }): string {
  const found: StoredAlert[] = [];
  let after: string | undefined;
  do {
    const page = listAlerts(store, { status: o.all ? "all" : "active", class: o.class, site: o.site, after, limit: 10_000 });
    found.push(...page.items);
    after = page.next;
  } while (after !== undefined);
  const list = found.map(alertView);
  if (o.format === "json") return reportJson(list);
  if (o.format === "csv") return csv(COLUMNS, list.map((a) => COLUMNS.map((c) => a[c])));
  if (list.length === 0) return "no alerts";
  const short = shortIds(list.map((a) => a.id as string));
  return table(COLUMNS, list.map((a) => COLUMNS.map((c) => (c === "id" && !o.wide ? short.get(a.id as string) : a[c]))),
    { wide: o.wide, wideOnly: ["class", "target", "first_seen"], flex: ["title", "source"] });
}

export function renderSuppressions(list: readonly Suppression[], format: "table" | "json", wide = false): string {
  if (format === "json") return reportJson(list);
  if (list.length === 0) return "no suppressions";
  return table(["ID", "DEVICE", "DETECTOR", "PEER", "EXPIRES", "BY", "REASON"], list.map((s) => [s.id, s.device, s.detector, s.peer, s.expiresAt ?? "never", s.createdBy, s.reason]), { wide, flex: ["REASON", "PEER"] });
}
