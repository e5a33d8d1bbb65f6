import type { FlowRecord } from "../model/flow-record.js";
import { isLoopbackIp } from "../net/addr.js";
import type { ObservationKind } from "../model/observation.js";
import { type Alert, AlertBook, type AlertInput } from "./alert.js";
import type { PacketEvent } from "./event.js";

/** What a detector may do: raise alerts. */
export interface DetectorContext {
  raise(a: Omit<AlertInput, "detector">): void;
}

/**
 * A detector: reads observations as they happen and flows as they end, keeps its own bounded
 * state, and raises alerts with evidence. `finish` closes its windows at the end of input.
 */
export interface Detector {
  readonly name: string;
  /** The observation kinds `observation` reads (only these are built and handed to it). */
  readonly kinds?: readonly ObservationKind[];
  observation?(e: PacketEvent, ctx: DetectorContext): void;
  flow?(f: FlowRecord, ctx: DetectorContext): void;
  finish?(ctx: DetectorContext): void;
  /** Entries its bounded state let go to take new ones (the oldest first), for /metrics. */
  evicted?(): number;
}

export type DetectorLog = (detector: string, error: Error, count: number) => void;

interface Bound { d: Detector; ctx: DetectorContext }

/**
 * Runs detectors side by side. A detector that throws is isolated: the event is dropped for
 * it alone, the failure is counted (and logged the first time and every thousandth), and the
 * other detectors go on.
 */
export class DetectionEngine {
  readonly book = new AlertBook();
  readonly failures = new Map<string, number>();
  private readonly contexts: Map<Detector, DetectorContext>;
  /** Per observation kind, the detectors that read it, each with its context (no lookup per event). */
  private readonly byKind = new Map<ObservationKind, Bound[]>();
  private readonly flowReaders: Bound[];

  /**
   * `loopback`: give the detectors traffic to or from a loopback address too. Off by default:
   * a host talking to itself (a capture on lo, a local proxy) is no device on the network and
   * its localhost HTTP, credentials and ports are not alerts.
   */
  constructor(private readonly detectors: readonly Detector[], private readonly log: DetectorLog = () => {}, private readonly o: { loopback?: boolean } = {}) {
    this.contexts = new Map(detectors.map((d) => [d, { raise: (a) => void this.book.raiseAs(d.name, a) }]));
    const bound = (d: Detector): Bound => ({ d, ctx: this.contexts.get(d)! });
    for (const d of detectors) {
      if (d.observation) for (const k of d.kinds ?? []) (this.byKind.get(k) ?? this.byKind.set(k, []).get(k)!).push(bound(d));
    }
    this.flowReaders = detectors.filter((d) => d.flow).map(bound);
  }

  /** Whether any detector reads this kind: the pipeline builds events for these only. */
  wants(kind: ObservationKind): boolean {
    return this.byKind.has(kind);
  }

  private run(d: Detector, f: (ctx: DetectorContext) => void): void {
    try {
      f(this.contexts.get(d)!);
    } catch (e) {
      this.failed(d, e);
    }
  }

  private failed(d: Detector, e: unknown): void {
    const n = (this.failures.get(d.name) ?? 0) + 1;
    this.failures.set(d.name, n);
    if (n === 1 || n % 1000 === 0) this.log(d.name, e as Error, n);
  }

  // The two hot paths call detectors directly (no closure per event), with the same isolation as run().
  observation(e: PacketEvent): void {
    const list = this.byKind.get(e.kind);
    if (!list) return;
    if (!this.o.loopback && ((e.srcIp !== undefined && isLoopbackIp(e.srcIp)) || (e.dstIp !== undefined && isLoopbackIp(e.dstIp)))) return;
    for (const { d, ctx } of list) {
      try {
        d.observation!(e, ctx);
      } catch (err) {
        this.failed(d, err);
      }
    }
  }

  /** A finished flow; `fromRecords` when it is a NetFlow/IPFIX/Zeek record, not measured from packets here. */
  flow(f: FlowRecord, fromRecords = false): void {
    if (!this.o.loopback && (isLoopbackIp(f.srcIp) || isLoopbackIp(f.dstIp))) return;
    if (fromRecords) this.book.measuredBy = "records";
    for (const { d, ctx } of this.flowReaders) {
      try {
        d.flow!(f, ctx);
      } catch (err) {
        this.failed(d, err);
      }
    }
    this.book.measuredBy = "packets";
  }

  /** Per detector, the state entries let go at their budgets so far. */
  evictions(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const d of this.detectors) if (d.evicted) out[d.name] = d.evicted();
    if (this.book.closedEarly > 0) out["alert-episodes"] = this.book.closedEarly;
    return out;
  }

  /** Ends every detector's windows; returns all alerts of the run. */
  finish(): Alert[] {
    for (const d of this.detectors) if (d.finish) this.run(d, (ctx) => d.finish!(ctx));
    return this.book.all();
  }
}

/** "tcp 10.0.0.1:51515 -> 10.0.0.2:23 @2024-01-01T00:00:00.000Z": a flow named by its ends and start. */
export function flowRef(f: FlowRecord): string {
  const p = f.proto === 6 ? "tcp" : f.proto === 17 ? "udp" : `ip-${f.proto}`;
  return `${p} ${f.srcIp}:${f.srcPort} -> ${f.dstIp}:${f.dstPort} @${new Date(f.firstUs / 1000).toISOString()}`;
}
