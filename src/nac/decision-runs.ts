import { sameAnswer } from "../store/nac.js";
import type { DecisionEvent } from "./radius-server.js";

/**
 * A run of identical decisions for one device (a switch re-authenticating a port gets the
 * same answer every time): the first request's event with the count, the last one's time and
 * the names its session had then.
 */
export interface DecisionRun extends DecisionEvent {
  count: number;
  lastAtMs: number;
}

/**
 * Decisions between two hand-overs to the worker, as runs: a repeat of a device's open run
 * only counts, so the RADIUS thread copies and posts one record per device and answer, not
 * one per request. The store keeps runs the same way (one record with a count), so what
 * is stored does not change.
 */
export class DecisionRuns {
  private readonly open = new Map<string, DecisionRun>();
  private closed: DecisionRun[] = [];

  /** How many runs are waiting. */
  get size(): number {
    return this.open.size + this.closed.length;
  }

  add(e: DecisionEvent): void {
    const k = `${e.site} ${e.mac}`;
    const run = this.open.get(k);
    if (run && sameAnswer(run, e)) {
      run.count++;
      run.lastAtMs = e.atMs;
      run.nasIp = e.nasIp;
      run.callingStationId = e.callingStationId;
      run.userName = e.userName;
      run.auditSessionId = e.auditSessionId;
      return;
    }
    if (run) this.closed.push(run);
    this.open.set(k, { ...e, count: 1, lastAtMs: e.atMs });
  }

  /** The runs so far, each device's in the order they happened; the batch starts empty again. */
  take(): DecisionRun[] {
    const out = this.closed;
    for (const r of this.open.values()) out.push(r);
    this.open.clear();
    this.closed = [];
    return out;
  }
}
