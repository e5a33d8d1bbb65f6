import { ipv4ToString } from "../net/addr.js";
import type { FlowRecord } from "../model/flow-record.js";

/**
 * Finished flows stored many to a row: one BLOB holds a batch of flows, so storing a flow costs
 * a few array writes instead of a 22-parameter INSERT (about 3 µs a row in better-sqlite3,
 * which kept NetFlow ingest and `analyze` far from their peers; nfcapd also writes flows as
 * binary blocks).
 *
 * Little-endian. A 16-byte header: u8 version, u8×3 zero, u32 flows, u32 bytes of the text
 * table, u32 zero (what follows starts 8-aligned). Then, by version:
 *   4 (columns, written whenever the small numbers fit 16 bits):
 *     f64×6 a flow: packets and bytes each way, first and last seen
 *     u32×12 a flow: source and destination IPv4 address, then the 10 text references; an
 *         address whose reference is 0 is the IPv4 number, else the referenced text (IPv6)
 *     u16×6 a flow: VLAN, protocol, source port, destination port, TCP flags each way
 *     u8 a flow: initiator known (1) or not (0)
 *   3 (rows, written when a number does not fit):
 *     f64×13 a flow: VLAN, protocol, ports, initiator known, packets and bytes each way,
 *         first and last seen, TCP flags each way
 *     u32×10 a flow: text references
 *   2 and 1: as 4 and 3 with 9 text references (no app service), written before flows named
 *     their service; read still.
 * Text references: site, source, source MAC, source address, destination MAC, destination
 * address, app protocol, app confidence, end reason, app service; 0 for an absent field, else
 * 1 + index in the text table. The text table: distinct texts in UTF-8, separated by NUL (no
 * path, address or name holds a NUL). The column versions leave IPv4 addresses out of it: a
 * NetFlow chunk's many addresses cost a number each instead of a text each (the chunk is about
 * 40% smaller and faster to write).
 */

const ROWS_9 = 1;
const COLUMNS_9 = 2;
const ROWS = 3;
const COLUMNS = 4;
const HEADER = 16;
const NUMBERS = 13;
/** Text references a flow has in the versions written now, and in versions 1 and 2. */
const TEXTS = 10;
const TEXTS_9 = 9;
const WIDE = 6;
const WORDS = 2 + TEXTS;
const SMALL = 6;

/** Flows a chunk holds at most. */
export const FLOWS_PER_CHUNK = 10_000;

export class FlowChunkError extends Error {}

/** The first and last seen of a chunk's flows, stored beside it. */
export function flowSpan(flows: readonly FlowRecord[]): { firstUs: number; lastUs: number } {
  let firstUs = Infinity;
  let lastUs = -Infinity;
  for (const f of flows) {
    if (f.firstUs < firstUs) firstUs = f.firstUs;
    if (f.lastUs > lastUs) lastUs = f.lastUs;
  }
  return { firstUs, lastUs };
}

/** Distinct texts of a chunk, in first-use order; a reference is 1 + index, 0 for none. */
class TextTable {
  private readonly index = new Map<string, number>();
  readonly texts: string[] = [];
  // Each column's previous text and reference: site, source and end reason rarely change from
  // one flow to the next, and a comparison with the same string is cheaper than a lookup.
  private readonly lastText: (string | undefined)[] = new Array<string | undefined>(TEXTS).fill(undefined);
  private readonly lastRef = new Uint32Array(TEXTS);

  ref(s: string | undefined, column: number): number {
    if (s === undefined) return 0;
    if (s === this.lastText[column]) return this.lastRef[column];
    let i = this.index.get(s);
    if (i === undefined) {
      if (s.includes("\0")) throw new FlowChunkError(`a flow text holds a NUL: ${JSON.stringify(s)}`);
      i = this.texts.push(s);
      this.index.set(s, i);
    }
    this.lastText[column] = s;
    this.lastRef[column] = i;
    return i;
  }
}

function header(version: number, count: number, textBytes: number): Buffer {
  const h = Buffer.alloc(HEADER);
  h[0] = version;
  h.writeUInt32LE(count, 4);
  h.writeUInt32LE(textBytes, 8);
  return h;
}

/**
 * The address as a number when it is IPv4 written the one way `ipv4ToString` writes it (so
 * the text comes back exactly), else undefined.
 */
export function canonicalIpv4(s: string): number | undefined {
  if (s.length < 7 || s.length > 15) return undefined;
  let value = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      if (digits === 1 && part === 0) return undefined; // a leading zero
      part = part * 10 + (c - 48);
      if (++digits > 3 || part > 255) return undefined;
    } else if (c === 46 && digits > 0 && dots < 3) {
      value = value * 256 + part;
      part = 0;
      digits = 0;
      dots++;
    } else {
      return undefined;
    }
  }
  return dots === 3 && digits > 0 ? value * 256 + part : undefined;
}

const fitsU16 = (n: number): boolean => n >= 0 && n <= 0xffff && Number.isInteger(n);

/**
 * Encodes a chunk as columns (version 4) when every flow's small numbers fit 16 bits, as they
 * do from every source Cordon has; otherwise flow by flow (version 3), which keeps any number.
 */
export function encodeFlowChunk(flows: readonly FlowRecord[]): Buffer {
  return encodeWithHosts(flows).data;
}

/** A chunk and its hosts (`chunkHosts`), the hosts' keys collected while the columns are written. */
export function encodeWithHosts(flows: readonly FlowRecord[]): { data: Buffer; hosts: Buffer } {
  for (const f of flows) {
    if (!fitsU16(f.vlan) || !fitsU16(f.proto) || !fitsU16(f.srcPort) || !fitsU16(f.dstPort) || !fitsU16(f.tcpFlagsSrc) || !fitsU16(f.tcpFlagsDst)) return { data: encodeRows(flows), hosts: chunkHosts(flows) };
  }
  return encodeColumns(flows);
}

/** Version 4: see the layout above. IPv4 addresses go in a number column, not the text table. */
function encodeColumns(flows: readonly FlowRecord[]): { data: Buffer; hosts: Buffer } {
  const count = flows.length;
  // Host keys: an IPv4 address's number as written below; a text's hash once per distinct text (by its reference).
  const keys = new Uint32Array(count * 4);
  let nk = 0;
  const textKeys: number[] = [];
  const keyOfRef = (ref: number, text: string): number => (textKeys[ref] ??= textKey(text));
  const wide = new Float64Array(count * WIDE);
  const words = new Uint32Array(count * WORDS);
  const small = new Uint16Array(count * SMALL);
  const flags = new Uint8Array(count);
  const table = new TextTable();
  for (let k = 0, w = 0, u = 0, h = 0; k < count; k++) {
    const f = flows[k];
    wide[w++] = f.packetsSrcToDst;
    wide[w++] = f.bytesSrcToDst;
    wide[w++] = f.packetsDstToSrc;
    wide[w++] = f.bytesDstToSrc;
    wide[w++] = f.firstUs;
    wide[w++] = f.lastUs;
    const src4 = canonicalIpv4(f.srcIp);
    const dst4 = canonicalIpv4(f.dstIp);
    words[u++] = src4 ?? 0;
    words[u++] = dst4 ?? 0;
    words[u++] = table.ref(f.site, 0);
    words[u++] = table.ref(f.source, 1);
    const srcMac = table.ref(f.srcMac, 2);
    const srcText = src4 === undefined ? table.ref(f.srcIp, 3) : 0;
    const dstMac = table.ref(f.dstMac, 4);
    const dstText = dst4 === undefined ? table.ref(f.dstIp, 5) : 0;
    words[u++] = srcMac;
    words[u++] = srcText;
    words[u++] = dstMac;
    words[u++] = dstText;
    keys[nk++] = src4 ?? keyOfRef(srcText, f.srcIp);
    keys[nk++] = dst4 ?? keyOfRef(dstText, f.dstIp);
    if (srcMac !== 0) keys[nk++] = keyOfRef(srcMac, f.srcMac!);
    if (dstMac !== 0) keys[nk++] = keyOfRef(dstMac, f.dstMac!);
    words[u++] = table.ref(f.appProtocol, 6);
    words[u++] = table.ref(f.appConfidence, 7);
    words[u++] = table.ref(f.endReason, 8);
    words[u++] = table.ref(f.appService, 9);
    small[h++] = f.vlan;
    small[h++] = f.proto;
    small[h++] = f.srcPort;
    small[h++] = f.dstPort;
    small[h++] = f.tcpFlagsSrc;
    small[h++] = f.tcpFlagsDst;
    flags[k] = f.initiatorKnown ? 1 : 0;
  }
  const text = Buffer.from(table.texts.join("\0"), "utf8");
  return { data: Buffer.concat([header(COLUMNS, count, text.length), new Uint8Array(wide.buffer), new Uint8Array(words.buffer), new Uint8Array(small.buffer), flags, text]), hosts: sortedHosts(keys.subarray(0, nk)) };
}

/** Version 3: see the layout above. */
function encodeRows(flows: readonly FlowRecord[]): Buffer {
  const count = flows.length;
  const numbers = new Float64Array(count * NUMBERS);
  const refs = new Uint32Array(count * TEXTS);
  const table = new TextTable();
  for (let k = 0, n = 0, t = 0; k < count; k++) {
    const f = flows[k];
    numbers[n++] = f.vlan;
    numbers[n++] = f.proto;
    numbers[n++] = f.srcPort;
    numbers[n++] = f.dstPort;
    numbers[n++] = f.initiatorKnown ? 1 : 0;
    numbers[n++] = f.packetsSrcToDst;
    numbers[n++] = f.bytesSrcToDst;
    numbers[n++] = f.packetsDstToSrc;
    numbers[n++] = f.bytesDstToSrc;
    numbers[n++] = f.firstUs;
    numbers[n++] = f.lastUs;
    numbers[n++] = f.tcpFlagsSrc;
    numbers[n++] = f.tcpFlagsDst;
    refs[t++] = table.ref(f.site, 0);
    refs[t++] = table.ref(f.source, 1);
    refs[t++] = table.ref(f.srcMac, 2);
    refs[t++] = table.ref(f.srcIp, 3);
    refs[t++] = table.ref(f.dstMac, 4);
    refs[t++] = table.ref(f.dstIp, 5);
    refs[t++] = table.ref(f.appProtocol, 6);
    refs[t++] = table.ref(f.appConfidence, 7);
    refs[t++] = table.ref(f.endReason, 8);
    refs[t++] = table.ref(f.appService, 9);
  }
  const text = Buffer.from(table.texts.join("\0"), "utf8");
  return Buffer.concat([header(ROWS, count, text.length), new Uint8Array(numbers.buffer), new Uint8Array(refs.buffer), text]);
}

/** A typed array of `n` elements copied out of the blob (a Buffer from SQLite need not be aligned). */
function column<T extends Float64Array | Uint32Array | Uint16Array>(make: new (n: number) => T, n: number, blob: Uint8Array, at: number): T {
  const out = new make(n);
  new Uint8Array(out.buffer).set(blob.subarray(at, at + out.byteLength));
  return out;
}

/**
 * A chunk's hosts, as a reader looks them up before reading the chunk (Store
 * flowChunksTouching): every address and MAC at either end of its flows, each as a 32-bit key
 * (an IPv4 address its number, anything else an FNV-1a hash of its text), sorted and
 * distinct, little-endian. A hash may collide: then a chunk is read for nothing, never missed.
 */
export function chunkHosts(flows: readonly FlowRecord[]): Buffer {
  const keys = new Uint32Array(flows.length * 4);
  let n = 0;
  for (const f of flows) {
    keys[n++] = hostKey(f.srcIp);
    keys[n++] = hostKey(f.dstIp);
    if (f.srcMac !== undefined) keys[n++] = hostKey(f.srcMac);
    if (f.dstMac !== undefined) keys[n++] = hostKey(f.dstMac);
  }
  return sortedHosts(keys.subarray(0, n));
}

/** Keys as `chunkHosts` stores them: sorted, distinct, little-endian. */
function sortedHosts(keys: Uint32Array): Buffer {
  const sorted = keys.sort();
  let m = 0;
  for (let i = 0; i < sorted.length; i++) if (i === 0 || sorted[i] !== sorted[m - 1]) sorted[m++] = sorted[i];
  const out = Buffer.alloc(m * 4);
  for (let i = 0; i < m; i++) out.writeUInt32LE(sorted[i], i * 4);
  return out;
}

/** The key `chunkHosts` stores for a host. */
export function hostKey(host: string): number {
  const v4 = canonicalIpv4(host);
  return v4 ?? textKey(host);
}

/** FNV-1a of a text: the key of a host that is not an IPv4 address in its one spelling. */
function textKey(host: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < host.length; i++) {
    h ^= host.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** Whether a chunk's hosts (as `chunkHosts` wrote them) hold any of `keys`: a binary search each. */
export function chunkHasAny(hosts: Uint8Array, keys: readonly number[]): boolean {
  const view = new DataView(hosts.buffer, hosts.byteOffset, hosts.length);
  const n = hosts.length >>> 2;
  for (const k of keys) {
    let lo = 0;
    let hi = n - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const v = view.getUint32(mid * 4, true);
      if (v === k) return true;
      if (v < k) lo = mid + 1;
      else hi = mid - 1;
    }
  }
  return false;
}

/**
 * The hosts a reader wants the flows of (a device's MAC and addresses): a flow is wanted when
 * either end's MAC or address is one of them. IPv4 addresses are matched as the numbers the
 * column versions store, the rest as text-table entries, so a chunk is filtered without
 * decoding the flows it does not return.
 */
export interface HostFilter {
  ipv4: ReadonlySet<number>;
  texts: readonly Buffer[];
}

export function hostFilter(hosts: readonly string[]): HostFilter {
  const ipv4 = new Set<number>();
  for (const h of hosts) {
    const n = canonicalIpv4(h);
    if (n !== undefined) ipv4.add(n);
  }
  return { ipv4, texts: hosts.map((h) => Buffer.from(h, "utf8")) };
}

/**
 * The text-table references (1 + index) of the filter's texts that this chunk's table holds:
 * each found as a whole entry (NUL or the table's ends either side), its index the NULs before it.
 */
function wantedRefs(blob: Uint8Array, textAt: number, end: number, texts: readonly Buffer[]): Set<number> {
  const refs = new Set<number>();
  const buf = Buffer.from(blob.buffer, blob.byteOffset, blob.length);
  for (const t of texts) {
    for (let at = buf.indexOf(t, textAt); at !== -1 && at + t.length <= end; at = buf.indexOf(t, at + 1)) {
      if ((at === textAt || buf[at - 1] === 0) && (at + t.length === end || buf[at + t.length] === 0)) {
        let nuls = 0;
        for (let p = buf.indexOf(0, textAt); p !== -1 && p < at; p = buf.indexOf(0, p + 1)) nuls++;
        refs.add(nuls + 1);
        break;
      }
    }
  }
  return refs;
}

/** A chunk's text table read one entry at a time, as far as the highest reference asked for (for the few flows a filter keeps). */
function lazyTable(blob: Uint8Array, textAt: number, end: number): { get(r: number): string | undefined; size(): number } {
  const buf = Buffer.from(blob.buffer, blob.byteOffset, blob.length);
  const starts: number[] = [textAt];
  const cache = new Map<number, string>();
  const reach = (r: number): void => {
    while (starts.length < r && starts[starts.length - 1] <= end) {
      const nul = buf.indexOf(0, starts[starts.length - 1]);
      starts.push(nul === -1 || nul >= end ? end + 1 : nul + 1);
    }
  };
  return {
    get(r) {
      let s = cache.get(r);
      if (s !== undefined) return s;
      reach(r);
      const from = starts[r - 1];
      if (from === undefined || from > end || end === textAt) return undefined;
      const nul = buf.indexOf(0, from);
      s = buf.toString("utf8", from, nul === -1 || nul > end ? end : nul);
      cache.set(r, s);
      return s;
    },
    size: () => starts.length,
  };
}

/**
 * A chunk's flows as columns: what a reader that sums flows needs (baseline/flow-summaries.ts),
 * without a record or an address text made per flow. IPv4 addresses (written the one way
 * `ipv4ToString` writes them) are numbers, other addresses their text; a chunk's texts are one
 * string each, so a map keyed by them hashes each once.
 */
export interface FlowColumns {
  count: number;
  srcIp: (number | string)[];
  dstIp: (number | string)[];
  srcMac: (string | undefined)[];
  dstMac: (string | undefined)[];
  proto: ArrayLike<number>;
  dstPort: ArrayLike<number>;
  bytesSrcToDst: ArrayLike<number>;
  bytesDstToSrc: ArrayLike<number>;
  firstUs: ArrayLike<number>;
  lastUs: ArrayLike<number>;
}

/** A chunk's flows as columns (`FlowColumns`); a damaged chunk throws FlowChunkError, as decoding it would. */
export function flowChunkColumns(blob: Uint8Array): FlowColumns {
  const version = blob.length >= HEADER ? blob[0] : 0;
  if (version !== COLUMNS && version !== COLUMNS_9) {
    // Rows (and anything damaged, which decoding refuses): read as records.
    const flows = decodeFlowChunk(blob);
    const ip = (s: string): number | string => canonicalIpv4(s) ?? s;
    return {
      count: flows.length, srcIp: flows.map((f) => ip(f.srcIp)), dstIp: flows.map((f) => ip(f.dstIp)), srcMac: flows.map((f) => f.srcMac), dstMac: flows.map((f) => f.dstMac),
      proto: flows.map((f) => f.proto), dstPort: flows.map((f) => f.dstPort), bytesSrcToDst: flows.map((f) => f.bytesSrcToDst), bytesDstToSrc: flows.map((f) => f.bytesDstToSrc),
      firstUs: flows.map((f) => f.firstUs), lastUs: flows.map((f) => f.lastUs),
    };
  }
  const texts = version === COLUMNS_9 ? TEXTS_9 : TEXTS;
  const words = 2 + texts;
  const { count, table } = columnsLayout(blob, words);
  const text = (r: number): string | undefined => {
    if (r === 0) return undefined;
    const s = table[r - 1];
    if (s === undefined) throw new FlowChunkError(`flow chunk refers to text ${r} of ${table.length}`);
    return s;
  };
  const wordsAt = HEADER + count * WIDE * 8;
  const smallAt = wordsAt + count * words * 4;
  const wide = column(Float64Array, count * WIDE, blob, HEADER);
  const refs = column(Uint32Array, count * words, blob, wordsAt);
  const small = column(Uint16Array, count * SMALL, blob, smallAt);
  const out: FlowColumns = {
    count, srcIp: new Array(count), dstIp: new Array(count), srcMac: new Array(count), dstMac: new Array(count),
    proto: new Uint16Array(count), dstPort: new Uint16Array(count), bytesSrcToDst: new Float64Array(count), bytesDstToSrc: new Float64Array(count),
    firstUs: new Float64Array(count), lastUs: new Float64Array(count),
  };
  const proto = out.proto as Uint16Array;
  const dstPort = out.dstPort as Uint16Array;
  const bytesSD = out.bytesSrcToDst as Float64Array;
  const bytesDS = out.bytesDstToSrc as Float64Array;
  const first = out.firstUs as Float64Array;
  const last = out.lastUs as Float64Array;
  for (let k = 0, w = 0, u = 0, h = 0; k < count; k++, w += WIDE, u += words, h += SMALL) {
    const t = u + 2;
    // A reference of 0 for an address means the IPv4 number in the column before.
    out.srcIp[k] = refs[t + 3] === 0 ? refs[u] : text(refs[t + 3])!;
    out.dstIp[k] = refs[t + 5] === 0 ? refs[u + 1] : text(refs[t + 5])!;
    out.srcMac[k] = text(refs[t + 2]);
    out.dstMac[k] = text(refs[t + 4]);
    proto[k] = small[h + 1];
    dstPort[k] = small[h + 3];
    bytesSD[k] = wide[w + 1];
    bytesDS[k] = wide[w + 3];
    first[k] = wide[w + 4];
    last[k] = wide[w + 5];
  }
  return out;
}

/**
 * A chunk's flows as its stored columns, for readers that copy flows without making a record
 * of each (store/recent-flows.ts). Version 4 is read as it is stored; the others are decoded
 * and laid out the same way, their small numbers as they are (rows hold numbers that do not
 * fit 16 bits). Every reference is checked against the table, and the required ones (site,
 * source, end reason, a non-IPv4 address) are present, as decoding requires.
 */
export interface RawFlowChunk {
  count: number;
  /** 6 a flow: packets and bytes each way, first and last seen. */
  wide: Float64Array;
  /**
   * 12 a flow: the source and destination IPv4 numbers, then the 10 text references (site,
   * source, source MAC, source address, destination MAC, destination address, app protocol,
   * app confidence, end reason, app service): 0 for none, else 1 + index in `table`; an
   * address's 0 means the IPv4 number.
   */
  words: Uint32Array;
  /** 6 a flow: VLAN, protocol, source port, destination port, TCP flags each way. */
  small: Uint16Array | Float64Array;
  /** 1 when the initiator is known. */
  initiator: Uint8Array;
  table: string[];
}

/** A column version's flow count, where its text table starts, and the table; a chunk whose size does not add up is refused. */
function columnsLayout(blob: Uint8Array, words: number): { count: number; textAt: number; table: string[] } {
  const view = new DataView(blob.buffer, blob.byteOffset, blob.length);
  const count = view.getUint32(4, true);
  const textBytes = view.getUint32(8, true);
  const textAt = HEADER + count * (WIDE * 8 + words * 4 + SMALL * 2 + 1);
  if (textAt + textBytes !== blob.length) throw new FlowChunkError(`flow chunk of ${blob.length} bytes does not hold ${count} flows and ${textBytes} bytes of text`);
  return { count, textAt, table: count === 0 ? [] : Buffer.from(blob.buffer, blob.byteOffset + textAt, textBytes).toString("utf8").split("\0") };
}

export function flowChunkRaw(blob: Uint8Array): RawFlowChunk {
  if (blob.length < HEADER || blob[0] !== COLUMNS) return rawOfRecords(decodeFlowChunk(blob));
  const { count, textAt, table } = columnsLayout(blob, WORDS);
  const wordsAt = HEADER + count * WIDE * 8;
  const smallAt = wordsAt + count * WORDS * 4;
  const words = column(Uint32Array, count * WORDS, blob, wordsAt);
  for (let k = 0, u = 0; k < count; k++, u += WORDS) {
    for (let i = 2; i < WORDS; i++) if (words[u + i] > table.length) throw new FlowChunkError(`flow chunk refers to text ${words[u + i]} of ${table.length}`);
    if (words[u + 2] === 0 || words[u + 3] === 0 || words[u + 10] === 0) throw new FlowChunkError("flow chunk has a flow without site, source or end reason");
  }
  return {
    count, wide: column(Float64Array, count * WIDE, blob, HEADER), words, small: column(Uint16Array, count * SMALL, blob, smallAt),
    initiator: blob.slice(smallAt + count * SMALL * 2, textAt), table,
  };
}

/** `RawFlowChunk` of decoded flows (chunks stored as rows, or before flows named their service). */
function rawOfRecords(flows: readonly FlowRecord[]): RawFlowChunk {
  const count = flows.length;
  const wide = new Float64Array(count * WIDE);
  const words = new Uint32Array(count * WORDS);
  const small = new Float64Array(count * SMALL);
  const initiator = new Uint8Array(count);
  const table = new TextTable();
  for (let k = 0, w = 0, u = 0, h = 0; k < count; k++, w += WIDE, u += WORDS, h += SMALL) {
    const f = flows[k];
    wide.set([f.packetsSrcToDst, f.bytesSrcToDst, f.packetsDstToSrc, f.bytesDstToSrc, f.firstUs, f.lastUs], w);
    const src4 = canonicalIpv4(f.srcIp);
    const dst4 = canonicalIpv4(f.dstIp);
    words.set([src4 ?? 0, dst4 ?? 0, table.ref(f.site, 0), table.ref(f.source, 1), table.ref(f.srcMac, 2), src4 === undefined ? table.ref(f.srcIp, 3) : 0,
      table.ref(f.dstMac, 4), dst4 === undefined ? table.ref(f.dstIp, 5) : 0, table.ref(f.appProtocol, 6), table.ref(f.appConfidence, 7), table.ref(f.endReason, 8), table.ref(f.appService, 9)], u);
    small.set([f.vlan, f.proto, f.srcPort, f.dstPort, f.tcpFlagsSrc, f.tcpFlagsDst], h);
    initiator[k] = f.initiatorKnown ? 1 : 0;
  }
  return { count, wide, words, small, initiator, table: table.texts };
}

/** The flows of a chunk, in the order they were stored; with a filter, only those touching its hosts, with their positions in the chunk. */
export function decodeFlowChunk(blob: Uint8Array): FlowRecord[];
export function decodeFlowChunk(blob: Uint8Array, only: HostFilter): { flows: FlowRecord[]; positions: number[] };
export function decodeFlowChunk(blob: Uint8Array, only?: HostFilter): FlowRecord[] | { flows: FlowRecord[]; positions: number[] } {
  if (blob.length < HEADER) throw new FlowChunkError(`flow chunk of ${blob.length} bytes is shorter than its header`);
  const version = blob[0];
  if (version < ROWS_9 || version > COLUMNS) throw new FlowChunkError(`flow chunk version ${version} is not ${ROWS_9} to ${COLUMNS}`);
  const rows = version === ROWS || version === ROWS_9;
  const texts = version <= COLUMNS_9 ? TEXTS_9 : TEXTS;
  const words = 2 + texts;
  const view = new DataView(blob.buffer, blob.byteOffset, blob.length);
  const count = view.getUint32(4, true);
  const textBytes = view.getUint32(8, true);
  const perFlow = rows ? NUMBERS * 8 + texts * 4 : WIDE * 8 + words * 4 + SMALL * 2 + 1;
  const textAt = HEADER + count * perFlow;
  if (textAt + textBytes !== blob.length) throw new FlowChunkError(`flow chunk of ${blob.length} bytes does not hold ${count} flows and ${textBytes} bytes of text`);
  // Every flow: the whole table at once. A filter's few flows: the entries they name.
  const lazy = only ? lazyTable(blob, textAt, blob.length) : undefined;
  const table = lazy || (textBytes === 0 && count === 0) ? [] : Buffer.from(blob.buffer, blob.byteOffset + textAt, textBytes).toString("utf8").split("\0");
  const text = (r: number): string | undefined => {
    if (r === 0) return undefined;
    const s = lazy ? lazy.get(r) : table[r - 1];
    if (s === undefined) throw new FlowChunkError(`flow chunk refers to text ${r} of ${lazy ? lazy.size() : table.length}`);
    return s;
  };
  const required = (r: number, what: string): string => {
    const s = text(r);
    if (s === undefined) throw new FlowChunkError(`flow chunk has a flow without ${what}`);
    return s;
  };
  const optional = (f: FlowRecord, refs: Uint32Array, t: number): FlowRecord => {
    const srcMac = text(refs[t + 2]);
    if (srcMac !== undefined) f.srcMac = srcMac;
    const dstMac = text(refs[t + 4]);
    if (dstMac !== undefined) f.dstMac = dstMac;
    const app = text(refs[t + 6]);
    if (app !== undefined) f.appProtocol = app;
    const confidence = text(refs[t + 7]);
    if (confidence !== undefined) f.appConfidence = confidence as "dpi" | "port";
    if (texts === TEXTS) {
      const service = text(refs[t + 9]);
      if (service !== undefined) f.appService = service;
    }
    return f;
  };
  const wanted = only ? wantedRefs(blob, textAt, blob.length, only.texts) : undefined;
  // A filter holds a device's few hosts: a loop over a short array beats a Set lookup per flow.
  const refList = wanted ? Uint32Array.from(wanted) : new Uint32Array(0);
  const v4List = only ? Float64Array.from(only.ipv4) : new Float64Array(0);
  const isRef = (r: number): boolean => {
    if (r === 0) return false;
    for (let i = 0; i < refList.length; i++) if (refList[i] === r) return true;
    return false;
  };
  const isV4 = (a: number): boolean => {
    for (let i = 0; i < v4List.length; i++) if (v4List[i] === a) return true;
    return false;
  };
  const positions: number[] = [];
  const out: FlowRecord[] = only ? [] : new Array(count);
  const result = (): FlowRecord[] | { flows: FlowRecord[]; positions: number[] } => (only ? { flows: out, positions } : out);
  if (rows) {
    const numbers = column(Float64Array, count * NUMBERS, blob, HEADER);
    const refs = column(Uint32Array, count * texts, blob, HEADER + count * NUMBERS * 8);
    for (let k = 0, n = 0, t = 0; k < count; k++, n += NUMBERS, t += texts) {
      if (wanted) {
        if (!(isRef(refs[t + 2]) || isRef(refs[t + 3]) || isRef(refs[t + 4]) || isRef(refs[t + 5]))) continue;
        positions.push(k);
      }
      out[wanted ? out.length : k] = optional({
        site: required(refs[t], "site"), source: required(refs[t + 1], "source"), vlan: numbers[n], proto: numbers[n + 1],
        srcIp: required(refs[t + 3], "source address"), srcPort: numbers[n + 2],
        dstIp: required(refs[t + 5], "destination address"), dstPort: numbers[n + 3],
        initiatorKnown: numbers[n + 4] === 1,
        packetsSrcToDst: numbers[n + 5], bytesSrcToDst: numbers[n + 6], packetsDstToSrc: numbers[n + 7], bytesDstToSrc: numbers[n + 8],
        firstUs: numbers[n + 9], lastUs: numbers[n + 10], tcpFlagsSrc: numbers[n + 11], tcpFlagsDst: numbers[n + 12],
        endReason: required(refs[t + 8], "end reason"),
      }, refs, t);
    }
    return result();
  }
  const wordsAt = HEADER + count * WIDE * 8;
  const smallAt = wordsAt + count * words * 4;
  const flagsAt = smallAt + count * SMALL * 2;
  const wide = column(Float64Array, count * WIDE, blob, HEADER);
  const refs = column(Uint32Array, count * words, blob, wordsAt);
  const small = column(Uint16Array, count * SMALL, blob, smallAt);
  // A reference of 0 for a (required) address means it is the IPv4 address in the column before.
  const address = (ip4: number, r: number, what: string): string => (r === 0 ? ipv4ToString(ip4) : required(r, what));
  for (let k = 0, w = 0, u = 0, h = 0; k < count; k++, w += WIDE, u += words, h += SMALL) {
    const t = u + 2;
    if (wanted) {
      const src = refs[t + 3] === 0 ? isV4(refs[u]) : isRef(refs[t + 3]);
      if (!(src || (refs[t + 5] === 0 ? isV4(refs[u + 1]) : isRef(refs[t + 5])) || isRef(refs[t + 2]) || isRef(refs[t + 4]))) continue;
      positions.push(k);
    }
    out[wanted ? out.length : k] = optional({
      site: required(refs[t], "site"), source: required(refs[t + 1], "source"), vlan: small[h], proto: small[h + 1],
      srcIp: address(refs[u], refs[t + 3], "source address"), srcPort: small[h + 2],
      dstIp: address(refs[u + 1], refs[t + 5], "destination address"), dstPort: small[h + 3],
      initiatorKnown: blob[flagsAt + k] === 1,
      packetsSrcToDst: wide[w], bytesSrcToDst: wide[w + 1], packetsDstToSrc: wide[w + 2], bytesDstToSrc: wide[w + 3],
      firstUs: wide[w + 4], lastUs: wide[w + 5], tcpFlagsSrc: small[h + 4], tcpFlagsDst: small[h + 5],
      endReason: required(refs[t + 8], "end reason"),
    }, refs, t);
  }
  return result();
}
