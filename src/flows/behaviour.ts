import { isPrivateIp, isPrivateIpv4, parseIpv4 } from "../net/addr.js";
import type { FlowSummary } from "../model/flow-record.js";

/**
 * Behavioural features of a device: what its flows look like, whatever it says about itself.
 * The pipeline adds each finished flow to both its devices; the learned model
 * (classify/model.ts) reads the vector for devices whose own words (DHCP, mDNS, banners, OT
 * identity) gave the rules nothing to go on. Every feature is a number of the same scale
 * whatever the capture's length: shares, logarithms, rates.
 */

/** Application protocols the features count, used (the device initiated) and served. */
const PROTOCOLS = [
  "dns", "mdns", "llmnr", "dhcp", "ssdp", "ntp", "http", "tls", "rtsp", "sip", "mqtt", "coap", "snmp",
  "modbus", "s7comm", "enip", "bacnet", "dnp3", "iec104", "opcua", "ot-other", "tcp-other", "udp-other", "other",
] as const;
const OT_OTHER = new Set(["mms", "fox", "fins", "hart-ip", "knxnet-ip", "cip-io", "ptp", "c37.118", "dlms", "c12.22", "egd", "profinet-io", "ads"]);
const PROTOCOL_INDEX = new Map<string, number>(PROTOCOLS.map((p, i) => [p, i]));

const SCALARS = [
  "flows_log", "initiated_share", "peers_log", "internal_peers_log", "external_share", "broadcast_share",
  "bytes_out_share", "packet_size_out_log", "packet_size_in_log", "bytes_per_hour_log", "flows_per_hour_log",
  "duration_log_mean", "long_flow_share", "active_minute_share", "periodicity", "served_ports_log",
] as const;

/** Names of the feature vector's entries, in order. A model file names the features it was trained on. */
export const BEHAVIOUR_FEATURES: readonly string[] = [
  ...SCALARS,
  ...PROTOCOLS.map((p) => `uses_${p}`),
  ...PROTOCOLS.map((p) => `serves_${p}`),
];

/** Fewer flows than this say too little to judge a device by its behaviour. */
export const MIN_BEHAVIOUR_FLOWS = 5;

/**
 * Flows over less time than this say too little as well: rates per hour, the share of active
 * minutes and periodicity measured over the two minutes of a device's setup describe a burst,
 * not how the device behaves (the shipped model learned from hours of each device).
 */
export const MIN_BEHAVIOUR_SPAN_US = 10 * 60_000_000;

const MAX_PEERS = 4096;
const MAX_STARTS = 4096;
const LONG_FLOW_US = 60_000_000;
const MINUTE_US = 60_000_000;
/** Silence between two wakes of a battery device. */
const WAKE_GAP_MINUTES = 15;
/** Two weeks of minutes: the duty cycle of a long-running watch is measured on its first fortnight. */
const MAX_MINUTES = 20_160;

function protocolSlot(f: FlowSummary): number {
  const app = f.appProtocol;
  if (app) {
    const i = PROTOCOL_INDEX.get(app);
    if (i !== undefined) return i;
    if (OT_OTHER.has(app)) return PROTOCOL_INDEX.get("ot-other")!;
  }
  if (f.proto === 6) return PROTOCOL_INDEX.get("tcp-other")!;
  if (f.proto === 17) return PROTOCOL_INDEX.get("udp-other")!;
  return PROTOCOL_INDEX.get("other")!;
}

/** Where a flow's other end is: on the site, outside it, or a broadcast/multicast group. */
export const PeerKind = { Internal: 0, External: 1, Group: 2 } as const;
export type PeerKind = (typeof PeerKind)[keyof typeof PeerKind];

/** The peer kind of an address in text form (the pipeline passes it precomputed). */
export function peerKindOf(ip: string): PeerKind {
  const v4 = parseIpv4(ip);
  if (v4 !== undefined) {
    const a = v4 >>> 24;
    if ((a >= 224 && a <= 239) || v4 === 0xffffffff || (v4 & 0xff) === 0xff) return PeerKind.Group;
    return isPrivateIpv4(v4) ? PeerKind.Internal : PeerKind.External;
  } else if (ip.toLowerCase().startsWith("ff")) {
    return PeerKind.Group;
  }
  return isPrivateIp(ip) ? PeerKind.Internal : PeerKind.External;
}

/** Accumulates one device's flows, in any order, into its feature vector. Bounded memory. */
export class BehaviourAccumulator {
  flows = 0;
  /** Of `flows`, those from flow records (NetFlow, IPFIX, Zeek conn) rather than captured packets. */
  recordFlows = 0;
  private initiated = 0;
  private external = 0;
  private group = 0;
  private long = 0;
  private durationLogSum = 0;
  private bytesOut = 0;
  private bytesIn = 0;
  private packetsOut = 0;
  private packetsIn = 0;
  private firstUs = Number.POSITIVE_INFINITY;
  private lastUs = Number.NEGATIVE_INFINITY;
  private peers: Set<number | string> | undefined;
  private internalPeers = 0;
  private servedPorts: Set<number> | undefined;
  /** Active minutes as bits, from an hour before the first flow (flows end out of start order). */
  private minuteBits: Uint8Array | undefined;
  private minuteBase = 0;
  private activeMinutes = 0;
  private readonly starts: number[] = [];
  private readonly protocols = new Float64Array(2 * PROTOCOLS.length);

  /**
   * Adds a flow the device took part in: as its source (the initiator) or its destination.
   * `peer` and `peerKey` (the other end's kind, and a number or string naming it) save parsing
   * the address again when the caller has it in binary.
   */
  add(f: FlowSummary, selfIsSource: boolean, peer?: PeerKind, peerKey?: number | string): void {
    this.flows++;
    const peerIp = selfIsSource ? f.dstIp : f.srcIp;
    const kind = peer ?? peerKindOf(peerIp);
    if (selfIsSource) {
      this.initiated++;
      if (this.starts.length < MAX_STARTS) this.starts.push(f.firstUs);
      this.protocols[protocolSlot(f)]++;
    } else {
      this.protocols[PROTOCOLS.length + protocolSlot(f)]++;
      const served = (this.servedPorts ??= new Set());
      if (served.size < 256) served.add(f.proto * 65536 + f.dstPort);
    }
    if (kind === PeerKind.Group) this.group++;
    else if (kind === PeerKind.External) this.external++;
    const peers = (this.peers ??= new Set());
    const key = peerKey ?? peerIp;
    if (peers.size < MAX_PEERS && !peers.has(key)) {
      peers.add(key);
      if (kind === PeerKind.Internal) this.internalPeers++;
    }
    const durationUs = f.lastUs > f.firstUs ? f.lastUs - f.firstUs : 0;
    if (durationUs >= LONG_FLOW_US) this.long++;
    this.durationLogSum += Math.log1p(durationUs / 1e6);
    this.bytesOut += selfIsSource ? f.bytesSrcToDst : f.bytesDstToSrc;
    this.bytesIn += selfIsSource ? f.bytesDstToSrc : f.bytesSrcToDst;
    this.packetsOut += selfIsSource ? f.packetsSrcToDst : f.packetsDstToSrc;
    this.packetsIn += selfIsSource ? f.packetsDstToSrc : f.packetsSrcToDst;
    if (f.firstUs < this.firstUs) this.firstUs = f.firstUs;
    if (f.lastUs > this.lastUs) this.lastUs = f.lastUs;
    this.markMinutes(f.firstUs, f.lastUs);
  }

  private markMinutes(firstUs: number, lastUs: number): void {
    if (this.minuteBits === undefined) {
      this.minuteBits = new Uint8Array(16);
      this.minuteBase = Math.floor(firstUs / MINUTE_US) - 60;
    }
    const from = Math.max(0, Math.floor(firstUs / MINUTE_US) - this.minuteBase);
    const to = Math.min(MAX_MINUTES - 1, Math.floor(lastUs / MINUTE_US) - this.minuteBase);
    if (to >> 3 >= this.minuteBits.length) {
      const grown = new Uint8Array(Math.min(MAX_MINUTES >> 3, Math.max(this.minuteBits.length * 2, (to >> 3) + 1)));
      grown.set(this.minuteBits);
      this.minuteBits = grown;
    }
    const bits = this.minuteBits;
    for (let m = from; m <= to; m++) {
      const mask = 1 << (m & 7);
      if ((bits[m >> 3] & mask) === 0) {
        bits[m >> 3] |= mask;
        this.activeMinutes++;
      }
    }
  }

  /**
   * How regular the device's own connections are: 1 when they start at a fixed interval
   * (a sensor's report, a heartbeat), towards 0 when they come in bursts. Intervals under a
   * second (one activity's several flows) are left out.
   */
  private periodicity(): number {
    const s = [...this.starts].sort((a, b) => a - b);
    const gaps: number[] = [];
    for (let i = 1; i < s.length; i++) if (s[i] - s[i - 1] >= 1_000_000) gaps.push(s[i] - s[i - 1]);
    if (gaps.length < 3) return 0;
    const mean = gaps.reduce((a, b) => a + b, 0) / gaps.length;
    const sd = Math.sqrt(gaps.reduce((a, g) => a + (g - mean) ** 2, 0) / gaps.length);
    return Math.max(0, 1 - sd / mean);
  }

  /**
   * A battery device's pattern: it wakes, reports for a minute or two and sleeps (its radio
   * off, so it is silent in between). Over at least three hours: three or more wakes separated
   * by at least 15 silent minutes, awake at most 10 minutes on average and at most a tenth of
   * the time, serving nothing. Described for a classifier rule; undefined otherwise.
   */
  dutyCycle(): string | undefined {
    const bits = this.minuteBits;
    if (bits === undefined || this.lastUs - this.firstUs < 3 * 3_600_000_000 || (this.servedPorts?.size ?? 0) > 0) return undefined;
    let wakes = 0;
    let awake = 0;
    let idle = Number.POSITIVE_INFINITY;
    for (let m = 0; m < bits.length * 8; m++) {
      if ((bits[m >> 3] & (1 << (m & 7))) !== 0) {
        if (idle >= WAKE_GAP_MINUTES) wakes++;
        awake++;
        idle = 0;
      } else idle++;
    }
    const spanMinutes = Math.max(1, Math.floor(this.lastUs / MINUTE_US) - Math.floor(this.firstUs / MINUTE_US) + 1);
    if (wakes < 3 || awake / wakes > 10 || awake / spanMinutes > 0.1) return undefined;
    return `battery-like: ${wakes} wakes in ${Math.round(spanMinutes / 60)} h, ${(awake / wakes).toFixed(1)} min awake each`;
  }

  /** The feature vector, in BEHAVIOUR_FEATURES order; undefined below MIN_BEHAVIOUR_FLOWS or MIN_BEHAVIOUR_SPAN_US. */
  vector(): number[] | undefined {
    if (this.flows < MIN_BEHAVIOUR_FLOWS || this.lastUs - this.firstUs < MIN_BEHAVIOUR_SPAN_US) return undefined;
    const n = this.flows;
    const hours = Math.max(1 / 60, (this.lastUs - this.firstUs) / 3.6e9);
    const spanMinutes = Math.max(1, Math.floor(this.lastUs / MINUTE_US) - Math.floor(this.firstUs / MINUTE_US) + 1);
    const scalars: Record<(typeof SCALARS)[number], number> = {
      flows_log: Math.log1p(n),
      initiated_share: this.initiated / n,
      peers_log: Math.log1p(this.peers?.size ?? 0),
      internal_peers_log: Math.log1p(this.internalPeers),
      external_share: this.external / n,
      broadcast_share: this.group / n,
      bytes_out_share: this.bytesOut / Math.max(1, this.bytesOut + this.bytesIn),
      packet_size_out_log: Math.log1p(this.bytesOut / Math.max(1, this.packetsOut)),
      packet_size_in_log: Math.log1p(this.bytesIn / Math.max(1, this.packetsIn)),
      bytes_per_hour_log: Math.log1p((this.bytesOut + this.bytesIn) / hours),
      flows_per_hour_log: Math.log1p(n / hours),
      duration_log_mean: this.durationLogSum / n,
      long_flow_share: this.long / n,
      active_minute_share: Math.min(1, this.activeMinutes / spanMinutes),
      periodicity: this.periodicity(),
      served_ports_log: Math.log1p(this.servedPorts?.size ?? 0),
    };
    return [
      ...SCALARS.map((k) => scalars[k]),
      ...Array.from(this.protocols, (c) => c / n),
    ];
  }
}
