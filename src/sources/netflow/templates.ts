import { ipv4ToString, ipv6ToString, readMac } from "../../net/addr.js";
import { IE, VARIABLE_LENGTH, ntpToUs, readUnsigned } from "./fields.js";

/** One field of a template: information element, length (65535: variable), enterprise (0: IANA). */
export interface TemplateField {
  id: number;
  length: number;
  enterprise: number;
}

export interface Template {
  id: number;
  fields: TemplateField[];
  /** Options templates: how many leading fields are scope fields. */
  scopeCount: number;
  options: boolean;
  /** Bytes of a record without its variable-length contents (each of those takes at least 1). */
  minLength: number;
  /** Receipt time, for expiry over UDP. */
  receivedMs: number;
}

/** Bounds that keep a hostile or broken exporter from growing the collector without limit. */
export const MAX_TEMPLATE_FIELDS = 512;
export const MAX_TEMPLATES_PER_DOMAIN = 1024;

/** Checks and builds a template; a string names what is wrong. */
export function makeTemplate(id: number, fields: TemplateField[], scopeCount: number, options: boolean, nowMs: number): Template | string {
  if (id < 256) return "template.bad-id";
  if (fields.length === 0 || fields.length > MAX_TEMPLATE_FIELDS) return "template.bad-field-count";
  let minLength = 0;
  for (const f of fields) minLength += f.length === VARIABLE_LENGTH ? 1 : f.length;
  if (minLength === 0) return "template.empty";
  return { id, fields, scopeCount, options, minLength, receivedMs: nowMs };
}

/** A flow record as a NetFlow v5/v9 or IPFIX record gives it, before times are made absolute. */
export interface DecodedFlow {
  srcIp: string;
  dstIp: string;
  srcPort: number;
  dstPort: number;
  proto: number;
  packets: number;
  bytes: number;
  tcpFlags: number;
  /** -1 when absent. */
  srcMac: number;
  dstMac: number;
  vlan: number;
  /** Absolute times in µs since the epoch, or -1. */
  startUs: number;
  endUs: number;
  /** Times relative to the exporter's boot in ms (NetFlow v5/v9, IPFIX IE 21/22), or -1. */
  startUptimeMs: number;
  endUptimeMs: number;
  /** Times before the export time in µs (IPFIX IE 158/159), or -1. */
  startDeltaUs: number;
  endDeltaUs: number;
  /** Sampling interval carried in the record itself (IE 34/305), or 0. */
  samplingInterval: number;
}

export function emptyFlow(): DecodedFlow {
  return {
    srcIp: "", dstIp: "", srcPort: 0, dstPort: 0, proto: 0, packets: 0, bytes: 0, tcpFlags: 0, srcMac: -1, dstMac: -1, vlan: 0,
    startUs: -1, endUs: -1, startUptimeMs: -1, endUptimeMs: -1, startDeltaUs: -1, endDeltaUs: -1, samplingInterval: 0,
  };
}

function reset(f: DecodedFlow): void {
  f.srcIp = "";
  f.dstIp = "";
  f.srcPort = f.dstPort = f.proto = f.packets = f.bytes = f.tcpFlags = f.vlan = f.samplingInterval = 0;
  f.srcMac = f.dstMac = -1;
  f.startUs = f.endUs = f.startUptimeMs = f.endUptimeMs = f.startDeltaUs = f.endDeltaUs = -1;
}

/** What options records say about their exporter and domain. */
export interface OptionsValues {
  samplingInterval?: number;
  systemInitMs?: number;
}

/** Puts one field's value into the flow. Unknown and enterprise fields are skipped by the caller. */
function setField(f: DecodedFlow, id: number, b: Buffer, p: number, len: number): void {
  switch (id) {
    case IE.octetDeltaCount: case IE.octetTotalCount: f.bytes = readUnsigned(b, p, len); break;
    case IE.packetDeltaCount: case IE.packetTotalCount: f.packets = readUnsigned(b, p, len); break;
    case IE.protocolIdentifier: f.proto = b[p]; break;
    case IE.tcpControlBits: f.tcpFlags = readUnsigned(b, p, len) & 0xff; break;
    case IE.sourceTransportPort: f.srcPort = readUnsigned(b, p, len); break;
    case IE.destinationTransportPort: f.dstPort = readUnsigned(b, p, len); break;
    // ICMP type and code travel in the destination port, as NetFlow v5 and nfdump put them.
    case IE.icmpTypeCodeIPv4: case IE.icmpTypeCodeIPv6: f.dstPort = readUnsigned(b, p, len); break;
    case IE.sourceIPv4Address: if (len === 4) f.srcIp = ipv4ToString(b.readUInt32BE(p)); break;
    case IE.destinationIPv4Address: if (len === 4) f.dstIp = ipv4ToString(b.readUInt32BE(p)); break;
    case IE.sourceIPv6Address: if (len === 16) f.srcIp = ipv6ToString(b, p); break;
    case IE.destinationIPv6Address: if (len === 16) f.dstIp = ipv6ToString(b, p); break;
    case IE.flowStartSysUpTime: f.startUptimeMs = readUnsigned(b, p, len); break;
    case IE.flowEndSysUpTime: f.endUptimeMs = readUnsigned(b, p, len); break;
    case IE.flowStartSeconds: f.startUs = readUnsigned(b, p, len) * 1e6; break;
    case IE.flowEndSeconds: f.endUs = readUnsigned(b, p, len) * 1e6; break;
    case IE.flowStartMilliseconds: f.startUs = readUnsigned(b, p, len) * 1e3; break;
    case IE.flowEndMilliseconds: f.endUs = readUnsigned(b, p, len) * 1e3; break;
    case IE.flowStartMicroseconds: case IE.flowStartNanoseconds: if (len === 8) f.startUs = ntpToUs(b, p); break;
    case IE.flowEndMicroseconds: case IE.flowEndNanoseconds: if (len === 8) f.endUs = ntpToUs(b, p); break;
    case IE.flowStartDeltaMicroseconds: f.startDeltaUs = readUnsigned(b, p, len); break;
    case IE.flowEndDeltaMicroseconds: f.endDeltaUs = readUnsigned(b, p, len); break;
    case IE.sourceMacAddress: case IE.postSourceMacAddress: if (len === 6 && f.srcMac < 0) f.srcMac = readMac(b, p); break;
    case IE.destinationMacAddress: case IE.postDestinationMacAddress: if (len === 6 && f.dstMac < 0) f.dstMac = readMac(b, p); break;
    case IE.vlanId: case IE.dot1qVlanId: f.vlan = readUnsigned(b, p, len) & 0xfff; break;
    case IE.samplingInterval: case IE.samplingPacketInterval: f.samplingInterval = readUnsigned(b, p, len); break;
    default: break;
  }
}

function setOption(o: OptionsValues, id: number, b: Buffer, p: number, len: number, space: { v: number }): void {
  switch (id) {
    case IE.samplingInterval: case IE.samplerRandomInterval: case IE.samplingPacketInterval: o.samplingInterval = readUnsigned(b, p, len); break;
    case IE.samplingPacketSpace: space.v = readUnsigned(b, p, len); break;
    case IE.systemInitTimeMilliseconds: o.systemInitMs = readUnsigned(b, p, len); break;
    default: break;
  }
}

/**
 * Decodes the records of one data set (bytes `start` to `end`) with its template: flows go to
 * `onFlow` (one reused object, valid during the call), options records to `onOptions`.
 * Returns the number of records, or -1 when the set is cut inside a record (the records
 * before the cut are delivered). Trailing bytes shorter than a record are padding.
 */
export function decodeDataSet(
  b: Buffer, start: number, end: number, t: Template, flow: DecodedFlow,
  onFlow: (f: DecodedFlow) => void, onOptions: (o: OptionsValues) => void,
): number {
  let p = start;
  let n = 0;
  const space = { v: 0 };
  while (end - p >= t.minLength) {
    let q = p;
    if (!t.options) reset(flow);
    const opts: OptionsValues = {};
    space.v = 0;
    for (let i = 0; i < t.fields.length; i++) {
      const fd = t.fields[i];
      let len = fd.length;
      if (len === VARIABLE_LENGTH) {
        if (q >= end) return -1;
        len = b[q++];
        if (len === 255) {
          if (q + 2 > end) return -1;
          len = (b[q] << 8) | b[q + 1];
          q += 2;
        }
      }
      if (q + len > end) return -1;
      if (fd.enterprise === 0 && len > 0) {
        if (t.options) {
          if (i >= t.scopeCount) setOption(opts, fd.id, b, q, len, space);
        } else {
          setField(flow, fd.id, b, q, len);
        }
      }
      q += len;
    }
    if (t.options) {
      if (space.v > 0 && opts.samplingInterval) opts.samplingInterval = (opts.samplingInterval + space.v) / opts.samplingInterval;
      onOptions(opts);
    } else {
      onFlow(flow);
    }
    n++;
    if (q === p) break;
    p = q;
  }
  return n;
}
