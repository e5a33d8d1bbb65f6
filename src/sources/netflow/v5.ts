import { ipv4ToString } from "../../net/addr.js";
import type { DecodedFlow } from "./templates.js";

/** NetFlow v5 export header: 24 bytes, then `count` records of 48 bytes. */
export const V5_HEADER = 24;
export const V5_RECORD = 48;
export const V5_MAX_RECORDS = 30;

export interface V5Header {
  count: number;
  sysUptimeMs: number;
  unixMs: number;
  /** Flows the exporter had sent before this packet. */
  sequence: number;
  engine: number;
  /** 1 when unsampled. */
  samplingInterval: number;
}

/** Reads the header; a string names the defect. */
export function v5Header(b: Buffer): V5Header | string {
  if (b.length < V5_HEADER) return "v5.truncated-header";
  const count = b.readUInt16BE(2);
  if (count === 0 || count > V5_MAX_RECORDS) return "v5.bad-count";
  if (b.length < V5_HEADER + count * V5_RECORD) return "v5.truncated";
  const sampling = b.readUInt16BE(22);
  return {
    count,
    sysUptimeMs: b.readUInt32BE(4),
    unixMs: b.readUInt32BE(8) * 1000 + Math.floor(b.readUInt32BE(12) / 1e6),
    sequence: b.readUInt32BE(16),
    engine: (b[20] << 8) | b[21],
    samplingInterval: (sampling & 0x3fff) || 1,
  };
}

/** Decodes record `i` into `f` (times stay relative to the exporter's uptime). */
export function v5Record(b: Buffer, i: number, f: DecodedFlow): void {
  const p = V5_HEADER + i * V5_RECORD;
  f.srcIp = ipv4ToString(b.readUInt32BE(p));
  f.dstIp = ipv4ToString(b.readUInt32BE(p + 4));
  f.packets = b.readUInt32BE(p + 16);
  f.bytes = b.readUInt32BE(p + 20);
  f.startUptimeMs = b.readUInt32BE(p + 24);
  f.endUptimeMs = b.readUInt32BE(p + 28);
  f.srcPort = b.readUInt16BE(p + 32);
  f.dstPort = b.readUInt16BE(p + 34);
  f.tcpFlags = b[p + 37];
  f.proto = b[p + 38];
  f.srcMac = -1;
  f.dstMac = -1;
  f.vlan = 0;
  f.startUs = f.endUs = f.startDeltaUs = f.endDeltaUs = -1;
  f.samplingInterval = 0;
}
