import type { DomainStats } from "../sources/netflow/collector.js";

/** Counters of one configured source, as /metrics shows them. */
export interface SourceSnapshot {
  kind: "netflow" | "capture" | "zeek";
  site: string;
  /** Datagrams (NetFlow), frames (capture) or log lines (Zeek). */
  packets: number;
  bytes: number;
  /** Flow records decoded (NetFlow) or log records read (Zeek). */
  records: number;
  /** Dropped before decoding because the ingest queue was full. */
  drops: number;
  /** Dropped by the kernel before the capture read them. */
  kernelDrops: number;
  errors: Record<string, number>;
  exporters: number;
  domains: DomainStats[];
}

export interface StatsSnapshot {
  pipeline: { packets: number; flows: number; devices: number; liveFlows: number; evictions: number; errors: Record<string, number>; alerts: number; detectorFailures: number };
  sources: Record<string, SourceSnapshot>;
}

/** Main thread → ingest worker. */
export type ToWorker =
  | {
    type: "datagrams";
    source: string;
    /** The datagrams back to back; datagram i is bytes offsets[i] to offsets[i + 1]. */
    data: ArrayBuffer;
    offsets: number[];
    exporters: string[];
    receivedMs: number[];
    /** Datagrams this source has dropped on the main thread so far. */
    dropsSoFar: number;
  }
  | { type: "stop" };

/** Ingest worker → main thread. */
export type ToMain =
  | { type: "ready"; devices: number }
  | { type: "ack"; count: number }
  | { type: "stats"; stats: StatsSnapshot }
  | { type: "stopped" }
  | { type: "fatal"; message: string };
