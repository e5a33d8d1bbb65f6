import { ipv4ToString, isPrivateIp, isPrivateIpv4 } from "../net/addr.js";
import { type FlowColumns, canonicalIpv4 } from "../store/flow-chunk.js";
import type { Store } from "../store/store.js";
import { type BaselineElement, type BaselineOptions, type DeviceBaseline, type Direction, finishBaseline, peerOf, protoName } from "./baseline.js";
import type { DeviceIndex, SiteDevice } from "./device-index.js";

/**
 * What a device's flows add up to, kept per end of flow (a MAC and address as the flows name
 * them) and brought up to date from the flows stored since the last fold, so a long-lived
 * reader (serve's flows reader thread) answers a device's baseline and peers without reading its flow
 * history: a device in every chunk of a million flows cost a read of every chunk.
 *
 * Ends are kept rather than devices because which device an end belongs to is decided when
 * the summary is read, by the same index (baseline/device-index.ts) and the same naming of
 * peers (`peerOf`) as `buildBaselines`: a baseline read from the summaries equals one built
 * from the flows (test/flow-summaries.test.ts holds them to that), whatever the inventory
 * learned since the flows were folded. Two things differ, and a reader checks `covers` first:
 *   - ends with a public address and no MAC are not kept (the outside world of a NetFlow
 *     export would fill the budget), so a device with a public address is read from its flows;
 *   - an end keeps at most `maxElementsPerEnd` elements, and all ends `maxElements`; flows past
 *     that count in the totals and mark the end `overflowed`, and the baseline read says it is
 *     incomplete (`truncated`).
 * A flow between two ends of one device (two of its addresses) counts for it both ways here,
 * once in `buildBaselines`; a flow from an end to itself counts once in both.
 *
 * Bounded: at most `maxEnds` ends; once an end is refused for room, the summaries say they are
 * `full` and readers go to the flows.
 */

/** One raw element of an end: its peer as the flow named it, not yet named as a baseline names it. */
interface RawElement {
  direction: Direction;
  peerMac: string | undefined;
  /** An IPv4 address as its number, another as its text (as store/flow-chunk.ts `FlowColumns` gives them). */
  peerIp: number | string;
  proto: number;
  port: number;
  flows: number;
  bytesOut: number;
  bytesIn: number;
  firstUs: number;
  lastUs: number;
}

const HOUR_US = 3_600_000_000;
/** Hours an end's active-hour bits span at most (5 years): hours past it are not marked. */
const MAX_HOUR_BITS = 5 * 366 * 24;

/** How many more elements the summaries may keep, and how many one end may. */
interface ElementRoom {
  left: number;
  readonly perEnd: number;
}

/** The flows of one end of flow. */
class EndSummary {
  readonly elements: RawElement[] = [];
  /** Its elements by peer address: a few each, searched in turn. */
  private readonly byPeer = new Map<number | string, RawElement[]>();
  private last: RawElement | undefined;
  flows = 0;
  initiated = 0;
  firstUs = Infinity;
  lastUs = -Infinity;
  readonly hours: number[] = new Array<number>(24).fill(0);
  readonly weekdays: number[] = new Array<number>(7).fill(0);
  /** Clock hours with traffic, as bits from `hourBase` (flows end out of start order: the base moves back when one starts earlier). */
  hourBits = new Uint8Array(8);
  hourBase = NaN;
  overflowed = false;

  constructor(readonly mac: string | undefined, readonly ip: number | string) {}

  /** Flow `k` of `c`, this end on its `direction` side. */
  add(c: FlowColumns, k: number, direction: Direction, room: ElementRoom): void {
    const initiates = direction === "initiates";
    const firstUs = c.firstUs[k];
    const lastUs = c.lastUs[k];
    this.flows++;
    if (initiates) this.initiated++;
    if (firstUs < this.firstUs) this.firstUs = firstUs;
    if (lastUs > this.lastUs) this.lastUs = lastUs;
    // The UTC hour of day and weekday by arithmetic (1970-01-01 was a Thursday).
    const hour = Math.floor(firstUs / HOUR_US);
    const day = Math.floor(hour / 24);
    this.hours[hour - day * 24]++;
    this.weekdays[(((day + 4) % 7) + 7) % 7]++;
    this.markHour(hour);
    const proto = c.proto[k];
    const port = proto === 6 || proto === 17 || proto === 132 ? c.dstPort[k] : 0;
    const peerIp = initiates ? c.dstIp[k] : c.srcIp[k];
    const peerMac = initiates ? c.dstMac[k] : c.srcMac[k];
    // A device repeats itself: the element of its last flow is tried first.
    let e = this.last;
    if (e === undefined || e.port !== port || e.peerIp !== peerIp || e.direction !== direction || e.proto !== proto || e.peerMac !== peerMac) {
      e = undefined;
      const list = this.byPeer.get(peerIp);
      if (list !== undefined) {
        for (const x of list) {
          if (x.port === port && x.direction === direction && x.proto === proto && x.peerMac === peerMac) {
            e = x;
            break;
          }
        }
      }
      if (e === undefined) {
        if (this.elements.length >= room.perEnd || room.left <= 0) {
          this.overflowed = true;
          return;
        }
        room.left--;
        e = { direction, peerMac, peerIp, proto, port, flows: 0, bytesOut: 0, bytesIn: 0, firstUs, lastUs };
        if (list === undefined) this.byPeer.set(peerIp, [e]);
        else list.push(e);
        this.elements.push(e);
      }
      this.last = e;
    }
    e.flows++;
    e.bytesOut += initiates ? c.bytesSrcToDst[k] : c.bytesDstToSrc[k];
    e.bytesIn += initiates ? c.bytesDstToSrc[k] : c.bytesSrcToDst[k];
    if (firstUs < e.firstUs) e.firstUs = firstUs;
    if (lastUs > e.lastUs) e.lastUs = lastUs;
  }

  private markHour(hour: number): void {
    if (Number.isNaN(this.hourBase)) this.hourBase = hour;
    if (hour < this.hourBase) {
      const shift = this.hourBase - hour;
      if (shift + this.hourBits.length * 8 > MAX_HOUR_BITS) return;
      // Move the bits up by `shift` hours: a new array, the old bits written in at their new place.
      const moved = new Uint8Array(Math.ceil((this.hourBits.length * 8 + shift) / 8));
      for (let i = 0; i < this.hourBits.length * 8; i++) if (this.hourBits[i >> 3] & (1 << (i & 7))) moved[(i + shift) >> 3] |= 1 << ((i + shift) & 7);
      this.hourBits = moved;
      this.hourBase = hour;
    }
    const i = hour - this.hourBase;
    if (i >= MAX_HOUR_BITS) return;
    if (i >> 3 >= this.hourBits.length) {
      const grown = new Uint8Array(Math.min(Math.ceil(MAX_HOUR_BITS / 8), Math.max(this.hourBits.length * 2, (i >> 3) + 1)));
      grown.set(this.hourBits);
      this.hourBits = grown;
    }
    this.hourBits[i >> 3] |= 1 << (i & 7);
  }

  /** Its active clock hours, into `into`. */
  activeHours(into: Set<number>): void {
    for (let i = 0; i < this.hourBits.length * 8; i++) if (this.hourBits[i >> 3] & (1 << (i & 7))) into.add(this.hourBase + i);
  }
}

/** What reading a device's baseline from the summaries gives: the baseline, and what it may lack. */
export interface SummaryBaseline {
  baseline: Omit<DeviceBaseline, "volume"> | undefined;
  /** Some end of the device kept no more peers: its elements are incomplete (its totals are not). */
  truncated: boolean;
}

export class FlowSummaries {
  /** The first flow id not yet folded, per site. */
  private readonly next = new Map<string, number>();
  private readonly bySite = new Map<string, { ends: Map<string, Map<number | string, EndSummary>>; byMac: Map<string, EndSummary[]>; byIp: Map<number | string, EndSummary[]> }>();
  private size = 0;
  /** An end was refused for room: a device's ends may be missing, so readers read its flows. */
  full = false;

  private readonly room: ElementRoom;

  /** At most `maxEnds` ends, `maxElements` elements in all and `maxElementsPerEnd` for one end (about 150 bytes each). */
  constructor(readonly maxEnds = 200_000, maxElements = 2_000_000, maxElementsPerEnd = 4096) {
    this.room = { left: maxElements, perEnd: maxElementsPerEnd };
  }

  nextId(site: string): number {
    return this.next.get(site) ?? 1;
  }

  /**
   * Folds a site's flows stored since the last fold, at most about `budget` of them (whole
   * chunks); whether it caught up. A fold cut short goes on from there the next time.
   */
  fold(store: Store, site: string, budget = Number.POSITIVE_INFINITY): boolean {
    let n = 0;
    const from = this.nextId(site);
    for (const { firstId, columns } of store.flowColumns(site, from)) {
      if (n >= budget) return false;
      const start = Math.max(0, from - firstId);
      for (let k = start; k < columns.count; k++) this.add(site, columns, k);
      n += columns.count - start;
      this.next.set(site, firstId + columns.count);
    }
    return true;
  }

  /** Adds flow `k` of `c` to its two ends (one, when both ends are the same MAC and address). */
  private add(site: string, c: FlowColumns, k: number): void {
    const src = this.end(site, c.srcMac[k], c.srcIp[k]);
    const dst = this.end(site, c.dstMac[k], c.dstIp[k]);
    src?.add(c, k, "initiates", this.room);
    if (dst !== undefined && dst !== src) dst.add(c, k, "serves", this.room);
  }

  private end(site: string, mac: string | undefined, ip: number | string): EndSummary | undefined {
    let s = this.bySite.get(site);
    if (s === undefined) {
      s = { ends: new Map(), byMac: new Map(), byIp: new Map() };
      this.bySite.set(site, s);
    }
    // Ends by MAC ("" for none), then by address: two lookups, no key built per flow.
    let ofMac = s.ends.get(mac ?? "");
    let e = ofMac?.get(ip);
    if (e !== undefined) return e;
    if (mac === undefined && !(typeof ip === "number" ? isPrivateIpv4(ip) : isPrivateIp(ip))) return undefined;
    if (this.size >= this.maxEnds) {
      this.full = true;
      return undefined;
    }
    this.size++;
    e = new EndSummary(mac, ip);
    if (ofMac === undefined) s.ends.set(mac ?? "", (ofMac = new Map()));
    ofMac.set(ip, e);
    if (mac !== undefined) push(s.byMac, mac, e);
    push(s.byIp, ip, e);
    return e;
  }

  /**
   * Whether the summaries hold every flow of a device with this MAC and these addresses at
   * `site`, as far as folded: none of its addresses is public (ends with a public address and
   * no MAC are not kept), and no end was refused for room.
   */
  covers(site: string, ips: readonly string[]): boolean {
    return !this.full && this.bySite.has(site) && ips.every(isPrivateIp);
  }

  /** The ends that may be the device's: those with its MAC, or one of its addresses. */
  private candidates(site: string, mac: string | undefined, ips: readonly string[]): Set<EndSummary> {
    const s = this.bySite.get(site);
    const out = new Set<EndSummary>();
    if (s === undefined) return out;
    if (mac !== undefined) for (const e of s.byMac.get(mac) ?? []) out.add(e);
    for (const ip of ips) for (const e of s.byIp.get(canonicalIpv4(ip) ?? ip) ?? []) out.add(e);
    return out;
  }

  /**
   * The baseline of `device` from its ends: those of its candidate ends that `index` places on
   * it, their peers named as `buildBaselines` names them. `index` must hold the device and the
   * devices at its peers' addresses (as the one `buildBaselines` is given).
   */
  baselineOf(site: string, device: SiteDevice, index: DeviceIndex<SiteDevice>, o: BaselineOptions = {}): SummaryBaseline {
    const mine = [...this.candidates(site, device.mac, device.ips)].filter((e) => index.device(e.mac, ipText(e.ip)) === device);
    if (mine.length === 0) return { baseline: undefined, truncated: false };
    const elements = new Map<string, BaselineElement>();
    const hours = new Array<number>(24).fill(0);
    const weekdays = new Array<number>(7).fill(0);
    const active = new Set<number>();
    let flows = 0;
    let initiated = 0;
    let firstUs = Infinity;
    let lastUs = -Infinity;
    let truncated = false;
    for (const end of mine) {
      flows += end.flows;
      initiated += end.initiated;
      firstUs = Math.min(firstUs, end.firstUs);
      lastUs = Math.max(lastUs, end.lastUs);
      for (let h = 0; h < 24; h++) hours[h] += end.hours[h];
      for (let d = 0; d < 7; d++) weekdays[d] += end.weekdays[d];
      end.activeHours(active);
      truncated ||= end.overflowed;
      for (const r of end.elements) {
        const peerIp = ipText(r.peerIp);
        const peer = peerOf(index, index.device(r.peerMac, peerIp), peerIp);
        const proto = protoName(r.proto);
        const k = `${r.direction}|${peer.peer}|${proto}|${r.port}`;
        const e = elements.get(k);
        if (e === undefined) {
          elements.set(k, { direction: r.direction, peer: peer.peer, peerRole: peer.role, proto, port: r.port, flows: r.flows, bytesOut: r.bytesOut, bytesIn: r.bytesIn, firstUs: r.firstUs, lastUs: r.lastUs });
        } else {
          e.flows += r.flows;
          e.bytesOut += r.bytesOut;
          e.bytesIn += r.bytesIn;
          e.firstUs = Math.min(e.firstUs, r.firstUs);
          e.lastUs = Math.max(e.lastUs, r.lastUs);
        }
      }
    }
    const baseline = finishBaseline(device, { elements: elements.values(), flows, initiated, firstUs, lastUs, hours, weekdays, activeHours: active.size }, o);
    return { baseline, truncated };
  }

  /** The peers' addresses of these ends' flows (for finding the devices at them before reading a baseline). */
  peerAddresses(site: string, mac: string | undefined, ips: readonly string[]): Set<string> {
    const out = new Set<string>();
    for (const e of this.candidates(site, mac, ips)) {
      out.add(ipText(e.ip));
      for (const r of e.elements) out.add(ipText(r.peerIp));
    }
    return out;
  }
}

const ipText = (ip: number | string): string => (typeof ip === "number" ? ipv4ToString(ip) : ip);

function push<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const list = m.get(k);
  if (list === undefined) m.set(k, [v]);
  else list.push(v);
}
