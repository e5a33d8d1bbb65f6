import { type BerElement, readBerHeader } from "./ber.js";

/**
 * The names in an X.509 certificate (RFC 5280) as a TLS 1.2 server sends it: the subject's
 * common name and the DNS names of the subject alternative name extension. Reads DER as far as
 * the bytes go, since a certificate often runs past the segment that starts it: the subject
 * comes early, the extensions late.
 */

type Header = BerElement;
const header = readBerHeader;

const SEQUENCE = 0x30;
const SET = 0x31;
const OID = 0x06;
const CN = "550403";
const SAN = "551d11";
const MAX_NAME = 253;

/** Printable text of a directory string value (UTF8String, PrintableString, IA5String, T61String). */
function text(b: Buffer, h: Header): string | undefined {
  if (![0x0c, 0x13, 0x16, 0x14].includes(h.tag) || h.len === 0 || h.len > MAX_NAME) return undefined;
  const s = b.toString(h.tag === 0x0c ? "utf8" : "latin1", h.start, h.next);
  return /^[\x21-\x7e]+$/.test(s) ? s.toLowerCase() : undefined;
}

/** The CN of a Name, when the whole Name fits. */
function commonName(b: Buffer, name: Header, end: number): string | undefined {
  if (name.tag !== SEQUENCE || name.next > end) return undefined;
  let cn: string | undefined;
  for (let p = name.start; p < name.next;) {
    const set = header(b, p, name.next);
    if (!set || set.tag !== SET) return cn;
    const atv = header(b, set.start, set.next);
    const oid = atv && header(b, atv.start, atv.next);
    if (oid && oid.tag === OID && b.toString("hex", oid.start, oid.next) === CN) {
      const v = header(b, oid.next, atv!.next);
      if (v) cn = text(b, v) ?? cn;
    }
    p = set.next;
  }
  return cn;
}

/** The dNSName entries of a subjectAltName extension value. */
function altNames(b: Buffer, value: Header, out: string[]): void {
  const names = header(b, value.start, value.next);
  if (!names || names.tag !== SEQUENCE) return;
  for (let p = names.start; p < names.next && out.length < 32;) {
    const n = header(b, p, names.next);
    if (!n || n.next > names.next) return;
    if (n.tag === 0x82 && n.len > 0 && n.len <= MAX_NAME) {
      const s = b.toString("latin1", n.start, n.next);
      if (/^[\x21-\x7e]+$/.test(s)) out.push(s.toLowerCase());
    }
    p = n.next;
  }
}

export interface CertificateNames {
  subject?: string;
  dnsNames: string[];
}

/** The names of the DER certificate starting at `p`, as far as `end` holds them. */
export function certificateNames(b: Buffer, p: number, end: number): CertificateNames {
  const out: CertificateNames = { dnsNames: [] };
  const cert = header(b, p, end);
  const tbs = cert && cert.tag === SEQUENCE ? header(b, cert.start, end) : undefined;
  if (!tbs || tbs.tag !== SEQUENCE) return out;
  let q = tbs.start;
  const field = (): Header | undefined => {
    const h = header(b, q, end);
    if (h) q = h.next;
    return h;
  };
  let h = field();
  if (h && h.tag === 0xa0) h = field(); // version
  // serial (h), signature algorithm, issuer, validity, then the subject
  for (let i = 0; i < 3 && h; i++) h = field();
  const subject = h ? field() : undefined;
  if (!subject) return out;
  const cn = commonName(b, subject, end);
  if (cn !== undefined) out.subject = cn;
  // subjectPublicKeyInfo, optional unique ids, then [3] extensions
  for (h = field(); h && h.tag !== 0xa3; h = field()) if (q > end) return out;
  if (!h || h.next > end) return out;
  const exts = header(b, h.start, h.next);
  if (!exts || exts.tag !== SEQUENCE) return out;
  for (let e = exts.start; e < exts.next;) {
    const ext = header(b, e, exts.next);
    if (!ext || ext.next > exts.next) break;
    const oid = header(b, ext.start, ext.next);
    if (oid && oid.tag === OID && b.toString("hex", oid.start, oid.next) === SAN) {
      let v = header(b, oid.next, ext.next);
      if (v && v.tag === 0x01) v = header(b, v.next, ext.next); // critical
      if (v && v.tag === 0x04) altNames(b, v, out.dnsNames);
    }
    e = ext.next;
  }
  return out;
}
