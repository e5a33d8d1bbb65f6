import type { FlowRecord } from "../model/flow-record.js";

/**
 * Finished flows stored many to a row: one BLOB holds a batch of flows as columns, so storing
 * a flow costs a few array writes instead of a 22-parameter INSERT (about 3 µs a row in
 * better-sqlite3, which kept NetFlow ingest and `analyze` far from their peers; nfcapd also
 * writes flows as binary blocks).
 *
 * Layout, little-endian:
 *   0   u8   version (1)
 *   1   u8×3 zero
 *   4   u32  flows
 *   8   u32  bytes of the text table
 *   12  u32  zero (the numbers start 8-aligned)
 *   16  f64  NUMBERS numbers a flow (see `encodeFlowChunk`)
 *   ..  u32  TEXTS text references a flow: 0 for an absent field, else 1 + index in the table
 *   ..  the text table: distinct texts in UTF-8, separated by NUL (no path, address or name
 *       holds a NUL)
 */

const VERSION = 1;
const HEADER = 16;
const NUMBERS = 13;
const TEXTS = 9;

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

export function encodeFlowChunk(flows: readonly FlowRecord[]): Buffer {
  const count = flows.length;
  const numbers = new Float64Array(count * NUMBERS);
  const refs = new Uint32Array(count * TEXTS);
  const table = new Map<string, number>();
  const texts: string[] = [];
  // Each column's previous text and reference: site, source and end reason rarely change from
  // one flow to the next, and a comparison with the same string is cheaper than a lookup.
  const lastText: (string | undefined)[] = new Array<string | undefined>(TEXTS).fill(undefined);
  const lastRef = new Uint32Array(TEXTS);
  const ref = (s: string | undefined, column: number): number => {
    if (s === undefined) return 0;
    if (s === lastText[column]) return lastRef[column];
    let i = table.get(s);
    if (i === undefined) {
      if (s.includes("\0")) throw new FlowChunkError(`a flow text holds a NUL: ${JSON.stringify(s)}`);
      i = texts.push(s);
      table.set(s, i);
    }
    lastText[column] = s;
    lastRef[column] = i;
    return i;
  };
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
    refs[t++] = ref(f.site, 0);
    refs[t++] = ref(f.source, 1);
    refs[t++] = ref(f.srcMac, 2);
    refs[t++] = ref(f.srcIp, 3);
    refs[t++] = ref(f.dstMac, 4);
    refs[t++] = ref(f.dstIp, 5);
    refs[t++] = ref(f.appProtocol, 6);
    refs[t++] = ref(f.appConfidence, 7);
    refs[t++] = ref(f.endReason, 8);
  }
  const text = Buffer.from(texts.join("\0"), "utf8");
  const header = Buffer.alloc(HEADER);
  header[0] = VERSION;
  header.writeUInt32LE(count, 4);
  header.writeUInt32LE(text.length, 8);
  return Buffer.concat([header, new Uint8Array(numbers.buffer), new Uint8Array(refs.buffer), text]);
}

/** The flows of a chunk, in the order they were stored. */
export function decodeFlowChunk(blob: Uint8Array): FlowRecord[] {
  if (blob.length < HEADER) throw new FlowChunkError(`flow chunk of ${blob.length} bytes is shorter than its header`);
  if (blob[0] !== VERSION) throw new FlowChunkError(`flow chunk version ${blob[0]} is not ${VERSION}`);
  const view = new DataView(blob.buffer, blob.byteOffset, blob.length);
  const count = view.getUint32(4, true);
  const textBytes = view.getUint32(8, true);
  const numbersAt = HEADER;
  const refsAt = numbersAt + count * NUMBERS * 8;
  const textAt = refsAt + count * TEXTS * 4;
  if (textAt + textBytes !== blob.length) throw new FlowChunkError(`flow chunk of ${blob.length} bytes does not hold ${count} flows and ${textBytes} bytes of text`);
  // Copied out, since a Buffer from SQLite need not be 8-aligned.
  const numbers = new Float64Array(count * NUMBERS);
  new Uint8Array(numbers.buffer).set(blob.subarray(numbersAt, refsAt));
  const refs = new Uint32Array(count * TEXTS);
  new Uint8Array(refs.buffer).set(blob.subarray(refsAt, textAt));
  const texts = textBytes === 0 && count === 0 ? [] : Buffer.from(blob.buffer, blob.byteOffset + textAt, textBytes).toString("utf8").split("\0");
  const text = (r: number): string | undefined => {
    if (r === 0) return undefined;
    const s = texts[r - 1];
    if (s === undefined) throw new FlowChunkError(`flow chunk refers to text ${r} of ${texts.length}`);
    return s;
  };
  const required = (r: number, what: string): string => {
    const s = text(r);
    if (s === undefined) throw new FlowChunkError(`flow chunk has a flow without ${what}`);
    return s;
  };
  const out: FlowRecord[] = new Array(count);
  for (let k = 0, n = 0, t = 0; k < count; k++, n += NUMBERS, t += TEXTS) {
    const f: FlowRecord = {
      site: required(refs[t], "site"), source: required(refs[t + 1], "source"), vlan: numbers[n], proto: numbers[n + 1],
      srcIp: required(refs[t + 3], "source address"), srcPort: numbers[n + 2],
      dstIp: required(refs[t + 5], "destination address"), dstPort: numbers[n + 3],
      initiatorKnown: numbers[n + 4] === 1,
      packetsSrcToDst: numbers[n + 5], bytesSrcToDst: numbers[n + 6], packetsDstToSrc: numbers[n + 7], bytesDstToSrc: numbers[n + 8],
      firstUs: numbers[n + 9], lastUs: numbers[n + 10], tcpFlagsSrc: numbers[n + 11], tcpFlagsDst: numbers[n + 12],
      endReason: required(refs[t + 8], "end reason"),
    };
    const srcMac = text(refs[t + 2]);
    if (srcMac !== undefined) f.srcMac = srcMac;
    const dstMac = text(refs[t + 4]);
    if (dstMac !== undefined) f.dstMac = dstMac;
    const app = text(refs[t + 6]);
    if (app !== undefined) f.appProtocol = app;
    const confidence = text(refs[t + 7]);
    if (confidence !== undefined) f.appConfidence = confidence as "dpi" | "port";
    out[k] = f;
  }
  return out;
}
