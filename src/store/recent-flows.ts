import { canonicalMac } from "../model/mac.js";
import { isPrivateIp } from "../net/addr.js";
import type { StoredFlow } from "./records.js";
import type { Store } from "./store.js";

/**
 * The newest flows of each end of flow (a MAC and address as the flows name them), kept by a
 * long-lived reader (serve's flows reader thread) and brought up to date from the flows stored
 * since the last fold, so a device's newest flows are read without reading chunks: its flows
 * may be a few in each of hundreds of chunks of 10,000, and each chunk costs about a
 * millisecond to read and filter (a sparse device's newest 100 took 70 ms on the 10,000-device
 * lab), where the kept flows take a few microseconds each.
 *
 * Exact: every flow at an end whose MAC or address is one of a device's hosts is the device's
 * flow, so the device's newest N (N at most `perEnd`) are among the newest `perEnd` of the
 * ends that name its hosts; `newest` merges those. It answers nothing (the reader then reads the
 * chunks) when it may lack one:
 *   - ends with a public address and no MAC are not kept (as baseline/flow-summaries.ts), so
 *     a device with a public address is read from the chunks;
 *   - a flow whose small numbers (VLAN, protocol, ports, TCP flags) do not fit 16 bits, as in
 *     store/flow-chunk.ts, is not kept, and its ends say so (`lossy`);
 *   - past `maxEnds` ends or `maxFlows` kept flows, it is `full` and answers nothing.
 *
 * A kept flow is one slot of typed arrays (106 bytes; texts shared, counted and freed
 * with the last flow naming them), held by the one or two ends whose newest it is, and freed
 * when neither holds it.
 */

/** Flows an end keeps: the newest this many by first seen (then id). */
export const RECENT_PER_END = 100;

/** Numbers a slot keeps as f64: id, packets and bytes each way, first and last seen. */
const WIDE = 7;
/** As u32: text references (0: absent): source, the MACs and addresses, app protocol, confidence and service, end reason. */
const WORDS = 9;
/** As u16: VLAN, protocol, source port, destination port, TCP flags each way. */
const SMALL = 6;

/** Texts shared by the kept flows, each counted and freed when no kept flow names it. */
class Texts {
  private readonly ids = new Map<string, number>();
  private readonly texts: (string | undefined)[] = [undefined];
  private readonly counts: number[] = [0];
  private readonly free: number[] = [];

  /** Per field of a flow, the last text referred to and its reference: flows repeat their source, protocols and end reasons. */
  private readonly lastText: (string | undefined)[] = [];
  private readonly lastRef: number[] = [];

  /** The reference of `text` (0 for none), counted once more; `field` names where it comes from (for the repeat check). */
  ref(text: string | undefined, field: number): number {
    if (text === undefined) return 0;
    let r = this.lastText[field] === text ? this.lastRef[field] : this.ids.get(text);
    if (r !== undefined && this.texts[r] !== text) r = this.ids.get(text);
    if (r === undefined) {
      r = this.free.pop() ?? this.texts.length;
      this.texts[r] = text;
      this.counts[r] = 0;
      this.ids.set(text, r);
    }
    this.counts[r]++;
    this.lastText[field] = text;
    this.lastRef[field] = r;
    return r;
  }

  release(r: number): void {
    if (r === 0 || --this.counts[r] > 0) return;
    this.ids.delete(this.texts[r]!);
    this.texts[r] = undefined;
    this.free.push(r);
  }

  text(r: number): string | undefined {
    return this.texts[r];
  }
}

/** An end's newest flows: slots in a min-heap by first seen (then id), its root the oldest kept. */
interface End {
  slots: number[];
  /** A flow of this end could not be kept: the end's newest are unknown. */
  lossy: boolean;
}

/** A site's ends by MAC ("" for none) then address, and by host (MAC or address) for `newest`. */
interface SiteEnds {
  ends: Map<string, Map<string, End>>;
  byHost: Map<string, End[]>;
}

const fitsU16 = (n: number): boolean => Number.isInteger(n) && n >= 0 && n <= 0xffff;

export class RecentFlows {
  /** The first flow id not yet folded, per site. */
  private readonly next = new Map<string, number>();
  private readonly bySite = new Map<string, SiteEnds>();
  private endCount = 0;
  /** An end or a flow was refused for room: nothing is answered from here. */
  full = false;

  private readonly texts = new Texts();
  private capacity = 0;
  /** Slots handed out so far; freed ones are on `free`. */
  private top = 0;
  private readonly free: number[] = [];
  private wide = new Float64Array(0);
  private words = new Uint32Array(0);
  private small = new Uint16Array(0);
  private initiator = new Uint8Array(0);
  /** How many ends hold each slot (1 or 2; 0 when free). */
  private holders = new Uint8Array(0);

  /** At most `maxEnds` ends and `maxFlows` kept flows, `perEnd` of each end. */
  constructor(readonly maxEnds = 200_000, readonly maxFlows = 1_000_000, readonly perEnd = RECENT_PER_END) {}

  nextId(site: string): number {
    return this.next.get(site) ?? 1;
  }

  /** Flows kept now (for tests and the bench). */
  get kept(): number {
    return this.top - this.free.length;
  }

  /**
   * Folds a site's flows stored since the last fold, at most about `budget` of them (whole
   * chunks); whether it caught up. A fold cut short goes on from there the next time.
   */
  fold(store: Store, site: string, budget = Number.POSITIVE_INFINITY): boolean {
    if (this.full) return true;
    let n = 0;
    const from = this.nextId(site);
    for (const { firstId, flows } of store.flowRecordChunks(site, from)) {
      if (n >= budget) return false;
      for (const f of flows) if (f.id >= from) this.add(site, f);
      n += flows.length;
      this.next.set(site, Math.max(this.nextId(site), firstId + flows.length));
    }
    return true;
  }

  /**
   * The `limit` newest flows (by first seen, then id; newest first) at `site` (every site when
   * undefined) with a MAC or address among `hosts` that `keep` keeps; undefined when these
   * cannot say (a host is a public address, an end is lossy, `limit` is past `perEnd`, or the
   * summaries are full). The caller folds first: flows not yet folded are not here.
   */
  newest(site: string | undefined, hosts: ReadonlySet<string>, limit: number, keep: (f: StoredFlow) => boolean): StoredFlow[] | undefined {
    if (this.full || limit > this.perEnd) return undefined;
    for (const h of hosts) if (canonicalMac(h) !== h && !isPrivateIp(h)) return undefined;
    const out: StoredFlow[] = [];
    for (const [s, ends] of this.bySite) {
      if (site !== undefined && s !== site) continue;
      const slots = new Set<number>();
      for (const h of hosts) {
        for (const e of ends.byHost.get(h) ?? []) {
          if (e.lossy) return undefined;
          for (const slot of e.slots) slots.add(slot);
        }
      }
      for (const slot of slots) {
        const f = this.flowAt(s, slot);
        if (keep(f)) out.push(f);
      }
    }
    out.sort((a, b) => b.firstUs - a.firstUs || b.id - a.id);
    if (out.length > limit) out.length = limit;
    return out;
  }

  private add(site: string, f: StoredFlow): void {
    if (this.full) return;
    const s = this.site(site);
    const src = this.end(s, f.srcMac, f.srcIp);
    let dst = this.end(s, f.dstMac, f.dstIp);
    if (dst === src) dst = undefined;
    if (!(fitsU16(f.vlan) && fitsU16(f.proto) && fitsU16(f.srcPort) && fitsU16(f.dstPort) && fitsU16(f.tcpFlagsSrc) && fitsU16(f.tcpFlagsDst))) {
      if (src !== undefined) src.lossy = true;
      if (dst !== undefined) dst.lossy = true;
      return;
    }
    const takesSrc = src !== undefined && this.takes(src, f);
    const takesDst = dst !== undefined && this.takes(dst, f);
    if (!(takesSrc || takesDst)) return;
    const slot = this.slot();
    if (slot === undefined) {
      this.full = true;
      return;
    }
    this.write(slot, f);
    this.holders[slot] = (takesSrc ? 1 : 0) + (takesDst ? 1 : 0);
    if (takesSrc) this.hold(src, slot);
    if (takesDst) this.hold(dst!, slot);
  }

  /** Whether `f` is among the newest of `e` (room left, or newer than its oldest). */
  private takes(e: End, f: StoredFlow): boolean {
    return e.slots.length < this.perEnd || this.older(e.slots[0], f.firstUs, f.id);
  }

  /** `slot` into `e`'s newest, pushing out its oldest when full (freed when no end holds it). */
  private hold(e: End, slot: number): void {
    const h = e.slots;
    if (h.length < this.perEnd) {
      h.push(slot);
      for (let i = h.length - 1; i > 0 && this.before(h[i], h[(i - 1) >> 1]); i = (i - 1) >> 1) [h[i], h[(i - 1) >> 1]] = [h[(i - 1) >> 1], h[i]];
      return;
    }
    const old = h[0];
    h[0] = slot;
    this.down(h);
    if (--this.holders[old] === 0) this.release(old);
  }

  private lastSite: { name: string; ends: SiteEnds } | undefined;

  /** A site's ends, made when first seen (the last one asked for at hand: a fold goes a site at a time). */
  private site(name: string): SiteEnds {
    if (this.lastSite?.name === name) return this.lastSite.ends;
    let ends = this.bySite.get(name);
    if (ends === undefined) this.bySite.set(name, (ends = { ends: new Map(), byHost: new Map() }));
    this.lastSite = { name, ends };
    return ends;
  }

  /** The end of a MAC and address at a site, made when first seen; undefined when not kept. */
  private end(s: SiteEnds, mac: string | undefined, ip: string): End | undefined {
    let ofMac = s.ends.get(mac ?? "");
    let e = ofMac?.get(ip);
    if (e !== undefined) return e;
    if (mac === undefined && !isPrivateIp(ip)) return undefined;
    if (this.endCount >= this.maxEnds) {
      this.full = true;
      return undefined;
    }
    this.endCount++;
    e = { slots: [], lossy: false };
    if (ofMac === undefined) s.ends.set(mac ?? "", (ofMac = new Map()));
    ofMac.set(ip, e);
    if (mac !== undefined) push(s.byHost, mac, e);
    push(s.byHost, ip, e);
    return e;
  }

  /** Whether the flow in `slot` is older than one first seen at `firstUs` with `id`. */
  private older(slot: number, firstUs: number, id: number): boolean {
    const w = slot * WIDE;
    return this.wide[w + 5] < firstUs || (this.wide[w + 5] === firstUs && this.wide[w] < id);
  }

  private before(a: number, b: number): boolean {
    return this.older(a, this.wide[b * WIDE + 5], this.wide[b * WIDE]);
  }

  private down(h: number[]): void {
    for (let i = 0; ;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && this.before(h[l], h[m])) m = l;
      if (r < h.length && this.before(h[r], h[m])) m = r;
      if (m === i) return;
      [h[i], h[m]] = [h[m], h[i]];
      i = m;
    }
  }

  /** A free slot, the arrays grown (doubling, up to `maxFlows`) when none is; undefined when full. */
  private slot(): number | undefined {
    const reused = this.free.pop();
    if (reused !== undefined) return reused;
    if (this.top === this.capacity) {
      if (this.capacity >= this.maxFlows) return undefined;
      const capacity = Math.min(this.maxFlows, Math.max(4096, this.capacity * 2));
      const grow = <T extends Float64Array | Uint32Array | Uint16Array | Uint8Array>(old: T, make: new (n: number) => T, width: number): T => {
        const a = new make(capacity * width);
        a.set(old);
        return a;
      };
      this.wide = grow(this.wide, Float64Array, WIDE);
      this.words = grow(this.words, Uint32Array, WORDS);
      this.small = grow(this.small, Uint16Array, SMALL);
      this.initiator = grow(this.initiator, Uint8Array, 1);
      this.holders = grow(this.holders, Uint8Array, 1);
      this.capacity = capacity;
    }
    return this.top++;
  }

  private write(slot: number, f: StoredFlow): void {
    const w = slot * WIDE;
    this.wide[w] = f.id;
    this.wide[w + 1] = f.packetsSrcToDst;
    this.wide[w + 2] = f.bytesSrcToDst;
    this.wide[w + 3] = f.packetsDstToSrc;
    this.wide[w + 4] = f.bytesDstToSrc;
    this.wide[w + 5] = f.firstUs;
    this.wide[w + 6] = f.lastUs;
    const u = slot * WORDS;
    const t = this.texts;
    this.words[u] = t.ref(f.source, 0);
    this.words[u + 1] = t.ref(f.srcMac, 1);
    this.words[u + 2] = t.ref(f.srcIp, 2);
    this.words[u + 3] = t.ref(f.dstMac, 3);
    this.words[u + 4] = t.ref(f.dstIp, 4);
    this.words[u + 5] = t.ref(f.appProtocol, 5);
    this.words[u + 6] = t.ref(f.appConfidence, 6);
    this.words[u + 7] = t.ref(f.appService, 7);
    this.words[u + 8] = t.ref(f.endReason, 8);
    const h = slot * SMALL;
    this.small[h] = f.vlan;
    this.small[h + 1] = f.proto;
    this.small[h + 2] = f.srcPort;
    this.small[h + 3] = f.dstPort;
    this.small[h + 4] = f.tcpFlagsSrc;
    this.small[h + 5] = f.tcpFlagsDst;
    this.initiator[slot] = f.initiatorKnown ? 1 : 0;
  }

  private release(slot: number): void {
    const u = slot * WORDS;
    for (let i = 0; i < WORDS; i++) this.texts.release(this.words[u + i]);
    this.free.push(slot);
  }

  /** The flow in `slot` as the store decodes it (optional fields present only when set). */
  private flowAt(site: string, slot: number): StoredFlow {
    const w = slot * WIDE;
    const u = slot * WORDS;
    const h = slot * SMALL;
    const text = (i: number): string | undefined => this.texts.text(this.words[u + i]);
    const f: StoredFlow = {
      site, source: text(0)!, vlan: this.small[h], proto: this.small[h + 1], srcIp: text(2)!, srcPort: this.small[h + 2], dstIp: text(4)!, dstPort: this.small[h + 3],
      initiatorKnown: this.initiator[slot] === 1, packetsSrcToDst: this.wide[w + 1], bytesSrcToDst: this.wide[w + 2], packetsDstToSrc: this.wide[w + 3], bytesDstToSrc: this.wide[w + 4],
      firstUs: this.wide[w + 5], lastUs: this.wide[w + 6], tcpFlagsSrc: this.small[h + 4], tcpFlagsDst: this.small[h + 5], endReason: text(8)!, id: this.wide[w],
    };
    const srcMac = text(1);
    if (srcMac !== undefined) f.srcMac = srcMac;
    const dstMac = text(3);
    if (dstMac !== undefined) f.dstMac = dstMac;
    const app = text(5);
    if (app !== undefined) f.appProtocol = app;
    const confidence = text(6);
    if (confidence !== undefined) f.appConfidence = confidence as "dpi" | "port";
    const service = text(7);
    if (service !== undefined) f.appService = service;
    return f;
  }
}

function push<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const list = m.get(k);
  if (list === undefined) m.set(k, [v]);
  else list.push(v);
}
