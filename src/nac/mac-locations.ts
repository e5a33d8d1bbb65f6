/**
 * Where each MAC last authenticated (NAS and port), to notice one MAC at two ports at once:
 * the textbook MAC clone, which MAB alone cannot tell from the real device. A MAC that
 * authenticates at another place within `windowMs` of its last request at the first, with no
 * Accounting-Stop there in between, is a conflict; a device that moved (a stop, or a quiet
 * gap longer than the window) is not. Bounded: past `max` MACs the least recently seen goes.
 * Pure, fed by serve's worker with RADIUS decisions and accounting in time order.
 */
export interface MacConflict {
  site: string;
  mac: string;
  /** "NAS port" of the earlier and the later request. */
  first: string;
  second: string;
  gapMs: number;
  atMs: number;
}

interface Place { place: string; lastMs: number; stopped: boolean }

export class MacLocations {
  private readonly where = new Map<string, Place>();

  constructor(private readonly windowMs = 120_000, private readonly max = 200_000) {}

  /** An authentication or accounting update of `mac` at `place`; the conflict it makes, if any. */
  seen(site: string, mac: string, place: string, atMs: number, lastMs = atMs): MacConflict | undefined {
    const key = `${site}|${mac}`;
    const prev = this.where.get(key);
    let conflict: MacConflict | undefined;
    if (prev && prev.place !== place && !prev.stopped && atMs >= prev.lastMs - this.windowMs && atMs - prev.lastMs <= this.windowMs) {
      conflict = { site, mac, first: prev.place, second: place, gapMs: Math.abs(atMs - prev.lastMs), atMs };
    }
    if (prev) this.where.delete(key);
    else if (this.where.size >= this.max) this.where.delete(this.where.keys().next().value!);
    this.where.set(key, { place, lastMs: Math.max(lastMs, prev?.place === place ? prev.lastMs : 0), stopped: false });
    return conflict;
  }

  /** Accounting-Stop: the session at `place` ended, so the MAC may turn up elsewhere. */
  stopped(site: string, mac: string, place: string): void {
    const p = this.where.get(`${site}|${mac}`);
    if (p && p.place === place) p.stopped = true;
  }
}
