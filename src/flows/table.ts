import type { Packet } from "../dissect/packet.js";
import { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN } from "../dissect/tcp.js";
import { Flow } from "./flow.js";

export interface FlowTableOptions {
  /** A flow that sees no packet for this long ends. */
  idleTimeoutUs: number;
  /** A flow older than this ends and a new one starts (as NetFlow exporters do). */
  activeTimeoutUs: number;
  /** Hard cap on live flows: the least recently seen is evicted past it. */
  maxFlows: number;
}

export const DEFAULT_FLOW_OPTIONS: FlowTableOptions = {
  idleTimeoutUs: 120_000_000,
  activeTimeoutUs: 1_800_000_000,
  maxFlows: 500_000,
};

export type FlowEndReason = "idle" | "active" | "evicted" | "closed" | "flush";
export type FlowEndHandler = (flow: Flow, reason: FlowEndReason) => void;

const SWEEP_EVERY_US = 1_000_000;

function fold6(b: Buffer, o: number): number {
  let h = Math.imul(b.readInt32BE(o), 0x85ebca6b);
  h ^= Math.imul(b.readInt32BE(o + 4), 0xc2b2ae35);
  h ^= Math.imul(b.readInt32BE(o + 8), 0x27d4eb2f);
  h ^= Math.imul(b.readInt32BE(o + 12), 0x165667b1);
  return h ^ (h >>> 15);
}

function mix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) | 0;
}

function same6(buf: Buffer, off: number, kept: Buffer): boolean {
  return buf.readInt32BE(off) === kept.readInt32BE(0) && buf.readInt32BE(off + 4) === kept.readInt32BE(4)
    && buf.readInt32BE(off + 8) === kept.readInt32BE(8) && buf.readInt32BE(off + 12) === kept.readInt32BE(12);
}

/**
 * Bidirectional flows keyed by VLAN, protocol and both endpoints. Keys are numbers: a
 * direction-independent hash selects a bucket chain whose flows are compared field by field,
 * so no string is built per packet. Flows end on idle and active timeouts, on a new SYN
 * after a close, and by eviction of the least recently seen when the cap is reached.
 */
export class FlowTable {
  private readonly buckets = new Map<number, Flow>();
  private oldest: Flow | undefined;
  private newest: Flow | undefined;
  private nextSweepUs = 0;
  size = 0;
  evictions = 0;
  created = 0;
  /** Set by `lookup`: whether the packet went from side a to side b. */
  forward = true;

  constructor(private readonly onEnd: FlowEndHandler, private readonly opts: FlowTableOptions = DEFAULT_FLOW_OPTIONS) {}

  /**
   * Finds or creates the flow of an IP packet and counts it. `nowUs` is the table's clock;
   * `offsetUs` is how far the clock is ahead of the packet's timeline (0 unless record time
   * stepped back: the pipeline then keeps the clock going and timers resume from there).
   */
  update(p: Packet, nowUs: number, ipBytes: number, offsetUs = 0): Flow {
    const v6 = p.ipVersion === 6;
    const b = p.buf;
    const sHash = v6 ? fold6(b, p.src6Off) : p.src4;
    const dHash = v6 ? fold6(b, p.dst6Off) : p.dst4;
    const hash = mix(((sHash + dHash) | 0) ^ Math.imul(p.srcPort + p.dstPort, 0x9e3779b1) ^ ((p.proto << 12) | p.vlan));
    let f = this.buckets.get(hash);
    let found: Flow | undefined;
    while (f !== undefined) {
      if (f.proto === p.proto && f.vlan === p.vlan && f.ipVersion === p.ipVersion) {
        if (f.aPort === p.srcPort && f.bPort === p.dstPort
          && (v6 ? same6(b, p.src6Off, f.aIp6!) && same6(b, p.dst6Off, f.bIp6!) : f.aIp4 === p.src4 && f.bIp4 === p.dst4)) {
          this.forward = true;
          found = f;
          break;
        }
        if (f.aPort === p.dstPort && f.bPort === p.srcPort
          && (v6 ? same6(b, p.dst6Off, f.aIp6!) && same6(b, p.src6Off, f.bIp6!) : f.aIp4 === p.dst4 && f.bIp4 === p.src4)) {
          this.forward = false;
          found = f;
          break;
        }
      }
      f = f.next;
    }
    const flags = p.tcpFlags;
    if (found !== undefined) {
      let reason: FlowEndReason | undefined;
      if (nowUs - (found.lastUs + found.offsetUs) > this.opts.idleTimeoutUs) reason = "idle";
      else if (nowUs - (found.firstUs + found.offsetUs) > this.opts.activeTimeoutUs) reason = "active";
      else if (p.proto === 6 && (flags & (TCP_SYN | TCP_ACK)) === TCP_SYN && (found.reset || (found.finAB && found.finBA))) reason = "closed";
      if (reason !== undefined) {
        this.remove(found);
        this.onEnd(found, reason);
        found = undefined;
      }
    }
    if (found === undefined) found = this.create(p, hash);
    else this.touch(found);
    const fl = found;
    if (this.forward) {
      fl.packetsAB++;
      fl.bytesAB += ipBytes;
      fl.tcpFlagsAB |= flags;
      if (flags & TCP_FIN) fl.finAB = true;
    } else {
      fl.packetsBA++;
      fl.bytesBA += ipBytes;
      fl.tcpFlagsBA |= flags;
      if (flags & TCP_FIN) fl.finBA = true;
    }
    if (flags & TCP_RST) fl.reset = true;
    if (p.tsUs > fl.lastUs) fl.lastUs = p.tsUs;
    fl.offsetUs = offsetUs;
    if (this.forward) {
      if (fl.aMac < 0) fl.aMac = p.srcMac;
      if (fl.bMac < 0) fl.bMac = p.dstMac;
    } else {
      if (fl.bMac < 0) fl.bMac = p.srcMac;
      if (fl.aMac < 0) fl.aMac = p.dstMac;
    }
    return fl;
  }

  private create(p: Packet, hash: number): Flow {
    const v6 = p.ipVersion === 6;
    // Orient the flow so that side a is the initiator.
    let swap = false;
    let known = false;
    if (p.proto === 6) {
      const syn = (p.tcpFlags & TCP_SYN) !== 0;
      const ack = (p.tcpFlags & TCP_ACK) !== 0;
      if (syn && !ack) known = true;
      else if (syn && ack) {
        swap = true;
        known = true;
      } else swap = p.srcPort < p.dstPort;
    } else if (p.proto === 17) {
      swap = p.srcPort < 1024 && p.dstPort >= 1024;
      known = !swap;
    } else {
      known = true;
    }
    const b = p.buf;
    const f = swap
      ? new Flow(hash, p.vlan, p.proto, p.ipVersion, p.dst4, p.src4,
        v6 ? Buffer.from(b.subarray(p.dst6Off, p.dst6Off + 16)) : undefined,
        v6 ? Buffer.from(b.subarray(p.src6Off, p.src6Off + 16)) : undefined,
        p.dstPort, p.srcPort, p.tsUs)
      : new Flow(hash, p.vlan, p.proto, p.ipVersion, p.src4, p.dst4,
        v6 ? Buffer.from(b.subarray(p.src6Off, p.src6Off + 16)) : undefined,
        v6 ? Buffer.from(b.subarray(p.dst6Off, p.dst6Off + 16)) : undefined,
        p.srcPort, p.dstPort, p.tsUs);
    f.initiatorKnown = known;
    this.forward = !swap;
    f.next = this.buckets.get(hash);
    this.buckets.set(hash, f);
    this.size++;
    this.created++;
    this.append(f);
    if (this.size > this.opts.maxFlows && this.oldest !== undefined && this.oldest !== f) {
      const victim = this.oldest;
      this.remove(victim);
      this.evictions++;
      this.onEnd(victim, "evicted");
    }
    return f;
  }

  /** Ends flows idle longer than the timeout; cheap to call per packet. */
  advance(nowUs: number): void {
    if (nowUs < this.nextSweepUs) return;
    this.nextSweepUs = nowUs + SWEEP_EVERY_US;
    const limit = nowUs - this.opts.idleTimeoutUs;
    while (this.oldest !== undefined && this.oldest.lastUs + this.oldest.offsetUs < limit) {
      const f = this.oldest;
      this.remove(f);
      this.onEnd(f, "idle");
    }
  }

  /** Ends every live flow (end of input, or shutdown). */
  flush(): void {
    while (this.oldest !== undefined) {
      const f = this.oldest;
      this.remove(f);
      this.onEnd(f, "flush");
    }
  }

  private append(f: Flow): void {
    f.older = this.newest;
    f.newer = undefined;
    if (this.newest) this.newest.newer = f;
    else this.oldest = f;
    this.newest = f;
  }

  private touch(f: Flow): void {
    if (this.newest === f) return;
    // unlink
    if (f.older) f.older.newer = f.newer;
    else this.oldest = f.newer;
    if (f.newer) f.newer.older = f.older;
    this.append(f);
  }

  private remove(f: Flow): void {
    if (f.older) f.older.newer = f.newer;
    else this.oldest = f.newer;
    if (f.newer) f.newer.older = f.older;
    else this.newest = f.older;
    f.older = f.newer = undefined;
    const head = this.buckets.get(f.hash);
    if (head === f) {
      if (f.next) this.buckets.set(f.hash, f.next);
      else this.buckets.delete(f.hash);
    } else {
      let c = head;
      while (c !== undefined && c.next !== f) c = c.next;
      if (c) c.next = f.next;
    }
    f.next = undefined;
    f.live = false;
    this.size--;
  }
}
