import { appendFileSync } from "node:fs";
import type { Alert } from "../../model/alert.js";

/** The alert as one JSON object (the shape `cordon alerts --format json` prints). */
export function alertJson(a: Alert & { device?: string }): Record<string, unknown> {
  const iso = (us: number): string => new Date(us / 1000).toISOString();
  return {
    id: a.id, detector: a.detector, class: a.class, severity: a.severity, technique: a.technique, site: a.site,
    device: a.device ?? a.sourceMac ?? null, source: a.source ?? null, target: a.target ?? null, title: a.title,
    first_seen: iso(a.firstUs), last_seen: iso(a.lastUs), count: a.count, status: a.status, evidence: a.evidence,
  };
}

/** Appends one JSON line per alert (one write, so concurrent readers never see half a batch). */
export function appendJsonLines(path: string, alerts: readonly Alert[]): void {
  if (alerts.length === 0) return;
  appendFileSync(path, alerts.map((a) => `${JSON.stringify(alertJson(a))}\n`).join(""));
}
