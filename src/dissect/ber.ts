/**
 * Minimal BER (X.690) reading for SNMP, GOOSE and X.509: a tag, its length (short or long form)
 * and where its value starts. `readBer` returns undefined when the element does not fit in `end`.
 */
export interface BerElement {
  tag: number;
  start: number;
  len: number;
  /** Offset just after the element. */
  next: number;
}

/**
 * A tag and length whose value may run past `end` (a certificate cut by its segment is read as
 * far as it goes). Undefined when the header itself does not fit.
 */
export function readBerHeader(b: Buffer, p: number, end: number): BerElement | undefined {
  if (p + 2 > end) return undefined;
  const tag = b[p];
  if ((tag & 0x1f) === 0x1f) return undefined; // multi-byte tags are not used by these protocols
  let len = b[p + 1];
  let q = p + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || q + n > end) return undefined;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + b[q + i];
    q += n;
  }
  return { tag, start: q, len, next: q + len };
}

export function readBer(b: Buffer, p: number, end: number): BerElement | undefined {
  const e = readBerHeader(b, p, end);
  return e && e.next <= end ? e : undefined;
}

export function berInteger(b: Buffer, e: BerElement): number {
  let v = e.len > 0 && b[e.start] & 0x80 ? -1 : 0;
  for (let i = 0; i < e.len && i < 6; i++) v = v * 256 + b[e.start + i];
  return v;
}

/** Dotted text of an OBJECT IDENTIFIER value. */
export function berOid(b: Buffer, e: BerElement): string {
  if (e.len === 0) return "";
  const parts: number[] = [];
  const first = b[e.start];
  parts.push(first < 40 ? 0 : first < 80 ? 1 : 2, first < 80 ? first % 40 : first - 80);
  let v = 0;
  for (let i = 1; i < e.len; i++) {
    const c = b[e.start + i];
    v = v * 128 + (c & 0x7f);
    if (!(c & 0x80)) {
      parts.push(v);
      v = 0;
    }
  }
  return parts.join(".");
}
