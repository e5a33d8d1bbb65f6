import { canonicalMac } from "../model/mac.js";
import { ipv4ToString, isPrivateIp, isPrivateIpv4 } from "../net/addr.js";
import { type RawFlowChunk, canonicalIpv4 } from "./flow-chunk.js";
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
 * A kept flow is one slot of typed arrays (114 bytes; IPv4 addresses as numbers, other texts
 * shared, counted and freed with the last flow naming them), held by the one or two ends whose
 * newest it is, and freed when neither holds it. A fold reads the chunks' columns as stored
 * (store/flow-chunk.ts `RawFlowChunk`), each text looked up once a chunk, no record made.
 */

/** Flows an end keeps: the newest this many by first seen (then id). */
export const RECENT_PER_END = 100;

/** Numbers a slot keeps as f64: id, packets and bytes each way, first and last seen. */
const WIDE = 7;
/**
 * As u32: the source and destination IPv4 numbers, then text ids (0: none): source, source
 * MAC, source address, destination MAC, destination address, app protocol, app confidence,
 * end reason, app service; an address's 0 means the IPv4 number.
 */
const WORDS = 11;
/** As u16: VLAN, protocol, source port, destination port, TCP flags each way. */
const SMALL = 6;

/**
 * Texts of the kept flows and ends, by id (from 1), each counted: a kept flow counts its
 * texts and gives them back when freed; an end counts its MAC and address for good (they key
 * it). Texts met in a chunk that nothing kept are freed when the chunk is done.
 */
class Texts {
  private readonly ids = new Map<string, number>();
  private readonly texts: (string | undefined)[] = [undefined];
  private counts = new Int32Array(1024);
  private readonly free: number[] = [];
  /** Made since the last `sweep`. */
  private readonly made: number[] = [];

  /** The id of `text`, made (uncounted) when new. */
  idOf(text: string): number {
    let r = this.ids.get(text);
    if (r !== undefined) return r;
    r = this.free.pop() ?? this.texts.length;
    this.texts[r] = text;
    if (r >= this.counts.length) {
      const grown = new Int32Array(this.counts.length * 2);
      grown.set(this.counts);
      this.counts = grown;
    }
    this.counts[r] = 0;
    this.ids.set(text, r);
    this.made.push(r);
    return r;
  }

  /** The id of `text` if it is held, else undefined. */
  find(text: string): number | undefined {
    return this.ids.get(text);
  }

  hold(r: number): void {
    if (r !== 0) this.counts[r]++;
  }

  release(r: number): void {
    if (r !== 0 && --this.counts[r] === 0) this.drop(r);
  }

  /** Frees the texts made since the last sweep that nothing holds. */
  sweep(): void {
    for (const r of this.made) if (this.counts[r] === 0 && this.texts[r] !== undefined) this.drop(r);
    this.made.length = 0;
  }

  text(r: number): string | undefined {
    return this.texts[r];
  }

  private drop(r: number): void {
    this.ids.delete(this.texts[r]!);
    this.texts[r] = undefined;
    this.free.push(r);
  }
}

/** An end's newest flows: slots in a min-heap by first seen (then id), its root the oldest kept. */
interface End {
  slots: number[];
  /** A flow of this end could not be kept: the end's newest are unknown. */
  lossy: boolean;
}

/**
 * A site's ends by MAC (its text id, 0 for none) then address (an IPv4 number, or minus the
 * text id of another), and by MAC and by address for `newest`.
 */
interface SiteEnds {
  ends: Map<number, Map<number, End>>;
  byMac: Map<number, End[]>;
  byIp: Map<number, End[]>;
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

  /** Flows kept now. */
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
    let ends: SiteEnds | undefined;
    for (const { firstId, chunk } of store.flowRawChunks(site, from)) {
      if (n >= budget) return false;
      ends ??= this.site(site);
      this.addChunk(ends, chunk, firstId, Math.max(0, from - firstId));
      n += chunk.count;
      this.next.set(site, Math.max(this.nextId(site), firstId + chunk.count));
    }
    return true;
  }

  /**
   * The `limit` newest flows (by first seen, then id; newest first) at `site` (every site when
   * undefined) with a MAC or address among `hosts` that `keep` keeps; undefined when these
   * cannot say (a host is a public address, an end is lossy, `limit` is past `perEnd`, or they
   * are full). The caller folds first: flows not yet folded are not here.
   */
  newest(site: string | undefined, hosts: ReadonlySet<string>, limit: number, keep: (f: StoredFlow) => boolean): StoredFlow[] | undefined {
    if (this.full || limit > this.perEnd) return undefined;
    const macs: number[] = [];
    const ips: number[] = [];
    for (const h of hosts) {
      if (canonicalMac(h) === h) {
        const id = this.texts.find(h);
        if (id !== undefined) macs.push(id);
        continue;
      }
      if (!isPrivateIp(h)) return undefined;
      const v4 = canonicalIpv4(h);
      const id = v4 === undefined ? this.texts.find(h) : undefined;
      if (v4 !== undefined) ips.push(v4);
      else if (id !== undefined) ips.push(-id);
    }
    const out: StoredFlow[] = [];
    for (const [s, ends] of this.bySite) {
      if (site !== undefined && s !== site) continue;
      const slots = new Set<number>();
      for (const list of [...macs.map((m) => ends.byMac.get(m)), ...ips.map((ip) => ends.byIp.get(ip))]) {
        for (const e of list ?? []) {
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

  /** Flows `from` on of a chunk whose first flow is `firstId`. */
  private addChunk(s: SiteEnds, c: RawFlowChunk, firstId: number, from: number): void {
    // The chunk's text references as ids here, each looked up once (again when a flow pushed
    // out in this chunk freed it, and the id may name another text since).
    const ids = new Int32Array(c.table.length + 1);
    const id = (r: number): number => {
      if (r === 0) return 0;
      const known = ids[r];
      return known !== 0 && this.texts.text(known) === c.table[r - 1] ? known : (ids[r] = this.texts.idOf(c.table[r - 1]));
    };
    const checked = c.small instanceof Uint16Array;
    for (let k = from; k < c.count && !this.full; k++) {
      const u = k * 12;
      const w = k * 6;
      const h = k * 6;
      const srcMac = id(c.words[u + 4]);
      const srcText = id(c.words[u + 5]);
      const srcIp = srcText === 0 ? c.words[u] : -srcText;
      const dstMac = id(c.words[u + 6]);
      const dstText = id(c.words[u + 7]);
      const dstIp = dstText === 0 ? c.words[u + 1] : -dstText;
      const src = this.end(s, srcMac, srcIp);
      let dst = this.end(s, dstMac, dstIp);
      if (dst === src) dst = undefined;
      if (src === undefined && dst === undefined) continue;
      if (!checked) {
        let fits = true;
        for (let i = 0; i < SMALL; i++) fits &&= fitsU16(c.small[h + i]);
        if (!fits) {
          if (src !== undefined) src.lossy = true;
          if (dst !== undefined) dst.lossy = true;
          continue;
        }
      }
      const flowId = firstId + k;
      const firstUs = c.wide[w + 4];
      const takesSrc = src !== undefined && (src.slots.length < this.perEnd || this.older(src.slots[0], firstUs, flowId));
      const takesDst = dst !== undefined && (dst.slots.length < this.perEnd || this.older(dst.slots[0], firstUs, flowId));
      if (!(takesSrc || takesDst)) continue;
      const slot = this.slot();
      if (slot === undefined) {
        this.full = true;
        break;
      }
      const sw = slot * WIDE;
      this.wide[sw] = flowId;
      for (let i = 0; i < 6; i++) this.wide[sw + 1 + i] = c.wide[w + i];
      const su = slot * WORDS;
      this.words[su] = c.words[u];
      this.words[su + 1] = c.words[u + 1];
      // Source, source MAC, source address, destination MAC, destination address, app protocol, confidence, end reason, service.
      this.words[su + 2] = id(c.words[u + 3]);
      this.words[su + 3] = srcMac;
      this.words[su + 4] = srcText;
      this.words[su + 5] = dstMac;
      this.words[su + 6] = dstText;
      for (let i = 7; i < WORDS; i++) this.words[su + i] = id(c.words[u + 1 + i]);
      for (let i = 2; i < WORDS; i++) this.texts.hold(this.words[su + i]);
      for (let i = 0; i < SMALL; i++) this.small[slot * SMALL + i] = c.small[h + i];
      this.initiator[slot] = c.initiator[k];
      this.holders[slot] = (takesSrc ? 1 : 0) + (takesDst ? 1 : 0);
      if (takesSrc) this.hold(src, slot);
      if (takesDst) this.hold(dst!, slot);
    }
    this.texts.sweep();
  }

  /** `slot` into `e`'s newest, pushing out its oldest when full (freed when no end holds it). */
  private hold(e: End, slot: number): void {
    const h = e.slots;
    if (h.length < this.perEnd) {
      // Up from the bottom while older than its parent.
      let i = h.length;
      h.push(slot);
      while (i > 0) {
        const parent = (i - 1) >> 1;
        if (!this.before(slot, h[parent])) break;
        h[i] = h[parent];
        i = parent;
      }
      h[i] = slot;
      return;
    }
    const old = h[0];
    this.down(h, slot);
    if (--this.holders[old] === 0) this.release(old);
  }

  /** A site's ends, made when first seen. */
  private site(name: string): SiteEnds {
    let ends = this.bySite.get(name);
    if (ends === undefined) this.bySite.set(name, (ends = { ends: new Map(), byMac: new Map(), byIp: new Map() }));
    return ends;
  }

  /** The end of a MAC (text id, 0 for none) and address (IPv4 number, or minus a text id), made when first seen; undefined when not kept. */
  private end(s: SiteEnds, mac: number, ip: number): End | undefined {
    let ofMac = s.ends.get(mac);
    let e = ofMac?.get(ip);
    if (e !== undefined) return e;
    if (mac === 0 && !(ip >= 0 ? isPrivateIpv4(ip) : isPrivateIp(this.texts.text(-ip)!))) return undefined;
    if (this.endCount >= this.maxEnds) {
      this.full = true;
      return undefined;
    }
    this.endCount++;
    e = { slots: [], lossy: false };
    if (ofMac === undefined) s.ends.set(mac, (ofMac = new Map()));
    ofMac.set(ip, e);
    this.texts.hold(mac);
    if (ip < 0) this.texts.hold(-ip);
    if (mac !== 0) push(s.byMac, mac, e);
    push(s.byIp, ip, e);
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

  /** Puts `slot` at the root of the full heap `h` (its oldest pushed out) and down to its place. */
  private down(h: number[], slot: number): void {
    const n = h.length;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const child = r < n && this.before(h[r], h[l]) ? r : l;
      if (!this.before(h[child], slot)) break;
      h[i] = h[child];
      i = child;
    }
    h[i] = slot;
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

  private release(slot: number): void {
    const u = slot * WORDS;
    for (let i = 2; i < WORDS; i++) this.texts.release(this.words[u + i]);
    this.free.push(slot);
  }

  /** The flow in `slot` as the store decodes it (optional fields present only when set). */
  private flowAt(site: string, slot: number): StoredFlow {
    const w = slot * WIDE;
    const u = slot * WORDS;
    const h = slot * SMALL;
    const text = (i: number): string | undefined => this.texts.text(this.words[u + i]);
    const f: StoredFlow = {
      site, source: text(2)!, vlan: this.small[h], proto: this.small[h + 1],
      srcIp: this.words[u + 4] === 0 ? ipv4ToString(this.words[u]) : text(4)!, srcPort: this.small[h + 2],
      dstIp: this.words[u + 6] === 0 ? ipv4ToString(this.words[u + 1]) : text(6)!, dstPort: this.small[h + 3],
      initiatorKnown: this.initiator[slot] === 1, packetsSrcToDst: this.wide[w + 1], bytesSrcToDst: this.wide[w + 2], packetsDstToSrc: this.wide[w + 3], bytesDstToSrc: this.wide[w + 4],
      firstUs: this.wide[w + 5], lastUs: this.wide[w + 6], tcpFlagsSrc: this.small[h + 4], tcpFlagsDst: this.small[h + 5], endReason: text(9)!, id: this.wide[w],
    };
    const srcMac = text(3);
    if (srcMac !== undefined) f.srcMac = srcMac;
    const dstMac = text(5);
    if (dstMac !== undefined) f.dstMac = dstMac;
    const app = text(7);
    if (app !== undefined) f.appProtocol = app;
    const confidence = text(8);
    if (confidence !== undefined) f.appConfidence = confidence as "dpi" | "port";
    const service = text(10);
    if (service !== undefined) f.appService = service;
    return f;
  }
}

function push<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const list = m.get(k);
  if (list === undefined) m.set(k, [v]);
  else list.push(v);
}
