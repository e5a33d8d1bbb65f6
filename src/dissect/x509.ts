import { printable } from "../model/values.js";
import { type BerElement, readBerHeader } from "./ber.js";

/**
 * The names in an X.509 certificate (RFC 5280) as a TLS 1.2 server sends it: the subject's
 * common name and the DNS names of the subject alternative name extension, and what a device's
 * own certificate says of its maker and model (subject and issuer CN, O, OU; serial; validity). Reads DER as far as
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

/** Attributes of a distinguished name that say who made or runs a device, by OID (hex). */
const DN_ATTRIBUTES: Record<string, string> = { "550403": "CN", "55040b": "OU", "55040a": "O" };
const MAX_DN_VALUE = 128;

/** A directory string as written (case kept, spaces allowed), for a distinguished name; no control characters. */
function dnText(b: Buffer, h: Header): string | undefined {
  if (![0x0c, 0x13, 0x16, 0x14, 0x1e].includes(h.tag) || h.len === 0 || h.len > 4 * MAX_DN_VALUE || h.next > b.length) return undefined;
  if (h.tag === 0x1e && h.len % 2 !== 0) return undefined;
  // BMPString is UTF-16 big-endian: swapped in a copy, the packet's bytes stay as they are.
  const s = h.tag === 0x1e ? Buffer.from(b.subarray(h.start, h.next)).swap16().toString("utf16le") : b.toString(h.tag === 0x0c ? "utf8" : "latin1", h.start, h.next);
  const t = printable(s).replace(/\s+/g, " ").trim();
  return t.length === 0 ? undefined : t.slice(0, MAX_DN_VALUE);
}

/** The CN of a Name (lower case, for names), and its CN, O and OU as written, when the whole Name fits. */
function readName(b: Buffer, name: Header, end: number): { cn?: string; dn: string[] } {
  const out: { cn?: string; dn: string[] } = { dn: [] };
  if (name.tag !== SEQUENCE || name.next > end) return out;
  for (let p = name.start; p < name.next;) {
    const set = header(b, p, name.next);
    if (!set || set.tag !== SET || set.next > name.next) return out;
    const atv = header(b, set.start, set.next);
    const oid = atv && header(b, atv.start, atv.next);
    if (oid && oid.tag === OID) {
      const key = b.toString("hex", oid.start, oid.next);
      const v = header(b, oid.next, atv!.next);
      if (v && v.next <= atv!.next) {
        if (key === CN) out.cn = text(b, v) ?? out.cn;
        const attr = DN_ATTRIBUTES[key];
        const value = attr ? dnText(b, v) : undefined;
        if (attr && value && out.dn.length < 8) out.dn.push(`${attr}=${value.replace(/[,\\]/g, "\\$&")}`);
      }
    }
    p = set.next;
  }
  return out;
}

/** UTCTime (YYMMDDHHMMSSZ) or GeneralizedTime (YYYYMMDDHHMMSSZ) as ISO 8601. */
function time(b: Buffer, h: Header | undefined): string | undefined {
  if (!h || (h.tag !== 0x17 && h.tag !== 0x18) || h.len > 20) return undefined;
  const s = b.toString("latin1", h.start, h.next);
  const m = (h.tag === 0x17 ? /^(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)Z$/ : /^(\d{4})(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)Z$/).exec(s);
  if (!m) return undefined;
  const year = h.tag === 0x17 ? (Number(m[1]) >= 50 ? 1900 : 2000) + Number(m[1]) : Number(m[1]);
  const d = new Date(Date.UTC(year, Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])));
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString().replace(".000Z", "Z");
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
  /** The subject's CN, lower case (a host name). */
  subject?: string;
  dnsNames: string[];
  /** The subject's and the issuer's CN, O and OU as written: `CN=P3 D24M, O=MOBOTIX AG`. */
  subjectDn?: string;
  issuerDn?: string;
  /** The serial number, hex. */
  serial?: string;
  notBefore?: string;
  notAfter?: string;
  /** The key: "rsa 2048", "ec P-256", "ed25519" (what the inventory calls weak or not). */
  key?: string;
  /** The signature algorithm: "sha256WithRSAEncryption", "ecdsa-with-SHA1". */
  signature?: string;
}

/** Signature algorithms by their OID's content octets (hex). */
const SIGNATURES: Record<string, string> = {
  "2a864886f70d010104": "md5WithRSAEncryption", "2a864886f70d010105": "sha1WithRSAEncryption", "2a864886f70d01010b": "sha256WithRSAEncryption",
  "2a864886f70d01010c": "sha384WithRSAEncryption", "2a864886f70d01010d": "sha512WithRSAEncryption", "2a864886f70d01010a": "rsassa-pss",
  "2a8648ce3d0401": "ecdsa-with-SHA1", "2a8648ce3d040302": "ecdsa-with-SHA256", "2a8648ce3d040303": "ecdsa-with-SHA384", "2a8648ce3d040304": "ecdsa-with-SHA512",
  "2b6570": "ed25519", "2a864886f70d010102": "md2WithRSAEncryption",
};
const RSA_KEY = "2a864886f70d010101";
const EC_KEY = "2a8648ce3d0201";
const CURVES: Record<string, string> = { "2a8648ce3d030107": "P-256", "2b81040022": "P-384", "2b81040023": "P-521", "2b8104000a": "secp256k1" };

/** The algorithm OID (hex) of an AlgorithmIdentifier, and where its parameters start. */
function algorithm(b: Buffer, h: Header | undefined, end: number): { oid: string; params?: Header } | undefined {
  if (!h || h.tag !== SEQUENCE || h.next > end) return undefined;
  const oid = header(b, h.start, h.next);
  if (!oid || oid.tag !== OID || oid.next > h.next) return undefined;
  return { oid: b.toString("hex", oid.start, oid.next), params: oid.next < h.next ? header(b, oid.next, h.next) : undefined };
}

/** "rsa BITS", "ec CURVE" or "ed25519" of a subjectPublicKeyInfo. */
function publicKeyName(b: Buffer, spki: Header, end: number): string | undefined {
  if (spki.tag !== SEQUENCE || spki.next > end) return undefined;
  const algHeader = header(b, spki.start, spki.next);
  const alg = algorithm(b, algHeader, spki.next);
  if (!alg || !algHeader) return undefined;
  if (alg.oid === EC_KEY) return alg.params?.tag === OID ? `ec ${CURVES[b.toString("hex", alg.params.start, alg.params.next)] ?? "other"}` : "ec";
  if (alg.oid === "2b6570") return "ed25519";
  if (alg.oid !== RSA_KEY) return undefined;
  // BIT STRING: unused-bits octet, then RSAPublicKey ::= SEQUENCE { modulus INTEGER, ... }
  const bits = header(b, algHeader.next, spki.next);
  const seq = bits && bits.tag === 0x03 ? header(b, bits.start + 1, bits.next) : undefined;
  const modulus = seq && seq.tag === SEQUENCE ? header(b, seq.start, seq.next) : undefined;
  if (!modulus || modulus.tag !== 0x02 || modulus.len === 0) return undefined;
  let first = modulus.start;
  while (first < modulus.next - 1 && b[first] === 0) first++;
  return `rsa ${(modulus.next - first - 1) * 8 + (32 - Math.clz32(b[first]))}`;
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
  if (h && h.tag === 0x02 && h.len > 0 && h.len <= 32 && h.next <= end) out.serial = b.toString("hex", h.start, h.next).replace(/^00(?=[89a-f])/, "");
  const sig = algorithm(b, field(), end);
  if (sig && SIGNATURES[sig.oid]) out.signature = SIGNATURES[sig.oid];
  const issuer = field();
  const validity = field();
  if (issuer) {
    const dn = readName(b, issuer, end).dn;
    if (dn.length) out.issuerDn = dn.join(", ");
  }
  if (validity && validity.tag === SEQUENCE && validity.next <= end) {
    const from = header(b, validity.start, validity.next);
    const until = from ? header(b, from.next, validity.next) : undefined;
    out.notBefore = time(b, from);
    out.notAfter = time(b, until);
    if (!out.notBefore) delete out.notBefore;
    if (!out.notAfter) delete out.notAfter;
  }
  const subject = validity ? field() : undefined;
  if (!subject) return out;
  const name = readName(b, subject, end);
  if (name.cn !== undefined) out.subject = name.cn;
  if (name.dn.length) out.subjectDn = name.dn.join(", ");
  // subjectPublicKeyInfo, optional unique ids, then [3] extensions
  h = field();
  if (h && h.next <= end) {
    const key = publicKeyName(b, h, end);
    if (key) out.key = key;
  }
  for (; h && h.tag !== 0xa3; h = field()) if (q > end) return out;
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
