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

/**
 * Runs as columns, one array per field: how a batch crosses to the worker. Copying a few
 * arrays of strings and numbers between threads costs a third of copying as many objects
 * of sixteen fields each (measured: about 1.2 µs against 3.9 µs a run).
 */
export interface DecisionColumns {
  atMs: number[];
  lastAtMs: number[];
  count: number[];
  site: string[];
  mac: string[];
  nas: string[];
  nasIp: string[];
  nasPortId: (string | undefined)[];
  callingStationId: (string | undefined)[];
  userName: (string | undefined)[];
  auditSessionId: (string | undefined)[];
  state: DecisionRun["state"][];
  accept: boolean[];
  vlan: (string | undefined)[];
  profile: (string | undefined)[];
  reason: string[];
  identity: (string | undefined)[];
}

const COLUMNS = ["atMs", "lastAtMs", "count", "site", "mac", "nas", "nasIp", "nasPortId", "callingStationId", "userName", "auditSessionId", "state", "accept", "vlan", "profile",
  "reason", "identity"] as const satisfies readonly (keyof DecisionColumns)[];

export function toColumns(runs: readonly DecisionRun[]): DecisionColumns {
  const out = {} as Record<keyof DecisionColumns, unknown[]>;
  for (const k of COLUMNS) {
    const col = new Array<unknown>(runs.length);
    for (let i = 0; i < runs.length; i++) col[i] = runs[i][k];
    out[k] = col;
  }
  return out as unknown as DecisionColumns;
}

export function fromColumns(c: DecisionColumns): DecisionRun[] {
  const out: DecisionRun[] = new Array<DecisionRun>(c.mac.length);
  for (let i = 0; i < out.length; i++) {
    out[i] = {
      atMs: c.atMs[i], lastAtMs: c.lastAtMs[i], count: c.count[i], site: c.site[i], mac: c.mac[i], nas: c.nas[i], nasIp: c.nasIp[i], nasPortId: c.nasPortId[i],
      callingStationId: c.callingStationId[i], userName: c.userName[i], auditSessionId: c.auditSessionId[i], state: c.state[i], accept: c.accept[i], vlan: c.vlan[i],
      profile: c.profile[i], reason: c.reason[i], ...(c.identity[i] === undefined ? {} : { identity: c.identity[i] }),
    };
  }
  return out;
}
