import type { StoredAlert, Store, Suppression } from "../store/store.js";
import { listAlerts } from "../app/queries.js";
import { UsageError, csv, table } from "./output.js";

const iso = (us: number): string => new Date(us / 1000).toISOString();

/** An alert as `cordon alerts --format json` prints it. */
export function alertView(a: StoredAlert): Record<string, unknown> {
  return {
    id: a.id, detector: a.detector, class: a.class, severity: a.severity, technique: a.technique, site: a.site,
    device: a.device ?? null, source: a.source ?? null, target: a.target ?? null, title: a.title,
    first_seen: iso(a.firstUs), last_seen: iso(a.lastUs), count: a.count, status: a.status,
    ...(a.statusBy ? { status_by: a.statusBy, status_at: a.statusAt, status_note: a.statusNote ?? null } : {}),
    evidence: a.evidence,
  };
}

const COLUMNS = ["id", "severity", "class", "source", "target", "count", "first_seen", "status", "title"];

export function renderAlerts(store: Store, o: { format: "table" | "json" | "csv"; all?: boolean; class?: string; site?: string }): string {
  const found: StoredAlert[] = [];
  let after: string | undefined;
  do {
    const page = listAlerts(store, { status: o.all ? "all" : "active", class: o.class, site: o.site, after, limit: 10_000 });
    found.push(...page.items);
    after = page.next;
  } while (after !== undefined);
  const list = found.map(alertView);
  if (o.format === "json") return JSON.stringify(list, null, 2);
  if (o.format === "csv") return csv(COLUMNS, list.map((a) => COLUMNS.map((c) => a[c])));
  if (list.length === 0) return "no alerts";
  return table(COLUMNS.map((c) => c.toUpperCase()), list.map((a) => COLUMNS.map((c) => a[c])));
}

/** "7d", "12h", "30m" or an ISO time, to an ISO time. */
export function expiry(v: string, now = Date.now()): string {
  const m = /^(\d+)([dhm])$/.exec(v);
  if (m) return new Date(now + Number(m[1]) * { d: 86_400_000, h: 3_600_000, m: 60_000 }[m[2] as "d" | "h" | "m"]).toISOString();
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw new UsageError(`--expires: "${v}" is neither a duration (7d, 12h, 30m) nor a time`);
  return new Date(t).toISOString();
}

export function renderSuppressions(list: readonly Suppression[], format: "table" | "json"): string {
  if (format === "json") return JSON.stringify(list, null, 2);
  if (list.length === 0) return "no suppressions";
  return table(["ID", "DEVICE", "DETECTOR", "PEER", "EXPIRES", "BY", "REASON"], list.map((s) => [s.id, s.device, s.detector, s.peer, s.expiresAt ?? "never", s.createdBy, s.reason]));
}
