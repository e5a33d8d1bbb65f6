import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

/**
 * The IEEE registry as oui-data ships it: one `"HEX": "Organisation\nAddress..."` entry a line,
 * keyed by the 24-bit (MA-L), 28-bit (MA-M) or 36-bit (MA-S) prefix in hex. Only the keys are
 * read at load (a prefix number and the offset of its text, per block size, sorted); an
 * organisation is decoded from the file's bytes when a lookup first finds it. Parsing all
 * 53,730 entries took about 100 ms at the start of every command for the few thousand any
 * run looks up.
 */
interface Block {
  prefixes: Float64Array;
  /** Offset of the entry's opening value quote in the file. */
  at: Uint32Array;
  names: (string | undefined)[];
}

interface Registry {
  bytes: Buffer;
  /** By prefix length in hex digits: 9 (MA-S), 7 (MA-M), 6 (MA-L). */
  blocks: Map<number, Block>;
}

let registry: Registry | undefined;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

function load(): Registry {
  if (registry) return registry;
  const require = createRequire(import.meta.url);
  const bytes = readFileSync(require.resolve("oui-data"));
  // As Latin-1 text, string offsets are byte offsets, and String#indexOf is cheap. The walk
  // goes from string to string (key, value, key...), so it does not depend on line breaks.
  const text = bytes.toString("latin1");
  const found = new Map<number, { prefixes: number[]; at: number[] }>();
  for (let open = text.indexOf('"'); open >= 0; ) {
    const close = text.indexOf('"', open + 1);
    const value = close < 0 ? -1 : text.indexOf('"', close + 1);
    if (value < 0) break;
    const digits = close - open - 1;
    const prefix = digits >= 6 && digits <= 9 ? Number(`0x${text.slice(open + 1, close)}`) : NaN;
    if (Number.isInteger(prefix) && text.slice(close + 1, value).trim() === ":") {
      let b = found.get(digits);
      if (!b) found.set(digits, (b = { prefixes: [], at: [] }));
      b.prefixes.push(prefix);
      b.at.push(value);
    }
    const end = stringEnd(text, value);
    open = end < 0 ? -1 : text.indexOf('"', end + 1);
  }
  const blocks = new Map<number, Block>();
  for (const [digits, b] of found) {
    const order = b.prefixes.map((_, i) => i);
    if (b.prefixes.some((p, i) => i > 0 && p <= b.prefixes[i - 1])) order.sort((x, y) => b.prefixes[x] - b.prefixes[y]);
    blocks.set(digits, {
      prefixes: Float64Array.from(order, (i) => b.prefixes[i]),
      at: Uint32Array.from(order, (i) => b.at[i]),
      names: new Array<string | undefined>(order.length),
    });
  }
  return (registry = { bytes, blocks });
}

/** The closing quote of the JSON string that opens at `quote`, or -1. */
function stringEnd(text: string, quote: number): number {
  for (let q = text.indexOf('"', quote + 1); q >= 0; q = text.indexOf('"', q + 1)) {
    let slashes = 0;
    while (text.charCodeAt(q - 1 - slashes) === BACKSLASH) slashes++;
    if (slashes % 2 === 0) return q;
  }
  return -1;
}

function indexOf(prefixes: Float64Array, p: number): number {
  let lo = 0;
  let hi = prefixes.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const v = prefixes[mid];
    if (v === p) return mid;
    if (v < p) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

/** The entry's first line: its text up to the first escaped newline or the closing quote. */
function organisation(bytes: Buffer, quote: number): string {
  let escaped = false;
  let i = quote + 1;
  for (; i < bytes.length; i++) {
    const c = bytes[i];
    if (c === QUOTE) break;
    if (c === BACKSLASH) {
      if (bytes[i + 1] === 0x6e) break;
      escaped = true;
      i++;
    }
  }
  const text = bytes.toString("utf8", quote + 1, i);
  return escaped ? (JSON.parse(`"${text}"`) as string) : text;
}

function lookup(r: Registry, digits: number, prefix: number): string | undefined {
  const b = r.blocks.get(digits);
  if (!b) return undefined;
  const i = indexOf(b.prefixes, prefix);
  if (i < 0) return undefined;
  return (b.names[i] ??= organisation(r.bytes, b.at[i]));
}

/**
 * The organisation the IEEE registry names for a MAC (first line of the entry). The small
 * MA-S (36-bit) and MA-M (28-bit) blocks are looked up before the MA-L (24-bit) OUI, which for
 * such blocks names only the IEEE Registration Authority.
 */
export function ouiVendor(mac: number): string | undefined {
  const r = load();
  return lookup(r, 9, Math.floor(mac / 0x1000)) ?? lookup(r, 7, Math.floor(mac / 0x100000)) ?? lookup(r, 6, Math.floor(mac / 0x1000000));
}
