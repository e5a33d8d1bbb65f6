import type { StatsSnapshot } from "./messages.js";

/**
 * Whether each source is delivering: the last time its counters moved, told apart from "never
 * sent anything" and "went quiet". A NetFlow exporter that stopped, a capture on an unplugged
 * port or a Zeek log no longer written all look like a quiet network otherwise.
 */
export interface SourceHealthRow {
  name: string;
  kind: string;
  site: string;
  /** receiving: counters moved within `quietAfterS`; quiet: not since; never: nothing yet since serve started. */
  state: "receiving" | "quiet" | "never";
  lastActivity: string | null;
  packets: number;
  records: number;
  drops: number;
  kernelDrops: number;
  errors: number;
  exporters: number;
}

export class SourceHealth {
  private readonly seen = new Map<string, { total: number; atMs: number | null }>();

  constructor(private readonly quietAfterS = 300) {}

  /** Notes a stats snapshot (and the RADIUS server's request count, when it runs). */
  observe(stats: StatsSnapshot, radiusReceived: number | undefined, nowMs = Date.now()): void {
    const note = (name: string, total: number): void => {
      const s = this.seen.get(name);
      if (!s) this.seen.set(name, { total, atMs: total > 0 ? nowMs : null });
      else if (total !== s.total) {
        s.total = total;
        s.atMs = nowMs;
      }
    };
    for (const [name, src] of Object.entries(stats.sources)) note(name, src.packets + src.records);
    if (radiusReceived !== undefined) note("radius", radiusReceived);
  }

  rows(stats: StatsSnapshot, radius: { received: number; drops: number } | undefined, nowMs = Date.now()): SourceHealthRow[] {
    const health = (name: string): Pick<SourceHealthRow, "state" | "lastActivity"> => {
      const s = this.seen.get(name);
      if (!s || s.atMs === null) return { state: "never", lastActivity: null };
      return { state: nowMs - s.atMs <= this.quietAfterS * 1000 ? "receiving" : "quiet", lastActivity: new Date(s.atMs).toISOString() };
    };
    const sum = (r: Record<string, number>): number => Object.values(r).reduce((a, b) => a + b, 0);
    const out: SourceHealthRow[] = Object.entries(stats.sources).map(([name, s]) => ({
      name, kind: s.kind, site: s.site, ...health(name), packets: s.packets, records: s.records, drops: s.drops, kernelDrops: s.kernelDrops, errors: sum(s.errors), exporters: s.exporters,
    }));
    if (radius) out.push({ name: "radius", kind: "radius", site: "", ...health("radius"), packets: radius.received, records: radius.received, drops: radius.drops, kernelDrops: 0, errors: 0, exporters: 0 });
    return out.sort((a, b) => a.name.localeCompare(b.name));
  }
}
