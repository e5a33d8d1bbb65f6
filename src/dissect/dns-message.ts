/**
 * DNS message encoding shared by DNS, mDNS and LLMNR (RFC 1035, 6762, 4795): header,
 * questions and resource records, with name compression followed safely.
 */

export interface DnsQuestion { name: string; type: number }
export interface DnsRecord {
  name: string;
  type: number;
  /** Text form of the data for A, AAAA, CNAME, PTR, NS, SRV (target), TXT (strings). */
  data: string;
  txt?: string[];
  section: "answer" | "authority" | "additional";
}
export interface DnsMessage {
  id: number;
  response: boolean;
  opcode: number;
  rcode: number;
  questions: DnsQuestion[];
  records: DnsRecord[];
}

import { ipv6ToString } from "../net/addr.js";

const MAX_RECORDS = 256;

export class DnsError extends Error {
  constructor(readonly kind: string) {
    super(kind);
  }
}

/** Reads a possibly compressed name; returns it and the offset after it in the message. */
export function readName(b: Buffer, start: number, off: number, end: number): [string, number] {
  let name = "";
  let p = off;
  let after = -1;
  let jumps = 0;
  let total = 0;
  for (;;) {
    if (p >= end) throw new DnsError("name-truncated");
    const len = b[p];
    if (len === 0) {
      p++;
      break;
    }
    if ((len & 0xc0) === 0xc0) {
      if (p + 1 >= end) throw new DnsError("name-truncated");
      const ptr = start + (((len & 0x3f) << 8) | b[p + 1]);
      if (after < 0) after = p + 2;
      if (++jumps > 32 || ptr >= end) throw new DnsError("name-pointer-loop");
      p = ptr;
      continue;
    }
    if ((len & 0xc0) !== 0) throw new DnsError("name-bad-label");
    if (p + 1 + len > end) throw new DnsError("name-truncated");
    total += len + 1;
    if (total > 255) throw new DnsError("name-too-long");
    let label = b.toString("latin1", p + 1, p + 1 + len);
    for (let i = p + 1; i <= p + len; i++) {
      if (b[i] < 0x20 || b[i] === 0x7f) {
        label = label.replace(/[\x00-\x1f\x7f]/g, "?");
        break;
      }
    }
    name = name === "" ? label : `${name}.${label}`;
    p += 1 + len;
  }
  return [name, after >= 0 ? after : p];
}

export function parseDnsMessage(b: Buffer, off: number, len: number): DnsMessage {
  const end = off + len;
  if (len < 12) throw new DnsError("truncated-header");
  const flags = b.readUInt16BE(off + 2);
  const qd = b.readUInt16BE(off + 4);
  const an = b.readUInt16BE(off + 6);
  const ns = b.readUInt16BE(off + 8);
  const ar = b.readUInt16BE(off + 10);
  if (qd + an + ns + ar > MAX_RECORDS * 4) throw new DnsError("absurd-counts");
  const msg: DnsMessage = {
    id: b.readUInt16BE(off),
    response: (flags & 0x8000) !== 0,
    opcode: (flags >> 11) & 0x0f,
    rcode: flags & 0x0f,
    questions: [],
    records: [],
  };
  let p = off + 12;
  for (let i = 0; i < qd; i++) {
    const [name, q] = readName(b, off, p, end);
    if (q + 4 > end) throw new DnsError("question-truncated");
    msg.questions.push({ name, type: b.readUInt16BE(q) });
    p = q + 4;
  }
  const sections: [number, DnsRecord["section"]][] = [[an, "answer"], [ns, "authority"], [ar, "additional"]];
  for (const [count, section] of sections) {
    for (let i = 0; i < count; i++) {
      const [name, q] = readName(b, off, p, end);
      if (q + 10 > end) throw new DnsError("record-truncated");
      const type = b.readUInt16BE(q);
      const rdlen = b.readUInt16BE(q + 8);
      const rd = q + 10;
      if (rd + rdlen > end) throw new DnsError("record-truncated");
      if (msg.records.length < MAX_RECORDS) msg.records.push(readRecord(b, off, name, type, rd, rdlen, section));
      p = rd + rdlen;
    }
  }
  return msg;
}

function readRecord(
  b: Buffer, start: number, name: string, type: number, rd: number, rdlen: number,
  section: DnsRecord["section"],
): DnsRecord {
  const r: DnsRecord = { name, type, data: "", section };
  const end = rd + rdlen;
  switch (type) {
    case 1:
      if (rdlen === 4) r.data = `${b[rd]}.${b[rd + 1]}.${b[rd + 2]}.${b[rd + 3]}`;
      break;
    case 28:
      if (rdlen === 16) r.data = ipv6ToString(b, rd);
      break;
    case 2:
    case 5:
    case 12:
      r.data = readName(b, start, rd, end)[0];
      break;
    case 33:
      if (rdlen >= 7) r.data = readName(b, start, rd + 6, end)[0];
      break;
    case 16: {
      const strings: string[] = [];
      let p = rd;
      while (p < end && strings.length < 64) {
        const l = b[p];
        if (p + 1 + l > end) break;
        strings.push(b.toString("utf8", p + 1, p + 1 + l));
        p += 1 + l;
      }
      r.txt = strings;
      r.data = strings.join(" ");
      break;
    }
    default:
      break;
  }
  return r;
}
