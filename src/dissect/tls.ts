import { hash } from "node:crypto";
import { type AppDissector, type DissectContext, packetAddress } from "./context.js";
import { certificateNames } from "./x509.js";

const HANDSHAKE = 0x16;
const CLIENT_HELLO = 1;
const SERVER_HELLO = 2;
const EXT_SNI = 0x0000;
const EXT_ALPN = 0x0010;
const EXT_SIG_ALGS = 0x000d;
const EXT_SUPPORTED_VERSIONS = 0x002b;

/** GREASE values (RFC 8701): 0x?a?a with both bytes equal. */
function isGrease(v: number): boolean {
  return (v & 0x0f0f) === 0x0a0a && (v >> 8) === (v & 0xff);
}

const VERSION_CODE: Record<number, string> = {
  0x0304: "13", 0x0303: "12", 0x0302: "11", 0x0301: "10", 0x0300: "s3", 0x0002: "s2",
  0xfeff: "d1", 0xfefd: "d2", 0xfefc: "d3",
};
const VERSION_NAME: Record<number, string> = {
  0x0304: "TLSv1.3", 0x0303: "TLSv1.2", 0x0302: "TLSv1.1", 0x0301: "TLSv1.0", 0x0300: "SSLv3",
};

export interface ClientHello {
  version: number;
  ciphers: number[];
  extensions: number[];
  sni?: string;
  alpn: string[];
  supportedVersions: number[];
  sigAlgs: number[];
}

class Cut extends Error {}

/** Bounds-checked reader over one handshake message. */
class Reader {
  constructor(private readonly b: Buffer, public p: number, private readonly end: number) {}
  need(n: number): void {
    if (this.p + n > this.end) throw new Cut();
  }
  u8(): number {
    this.need(1);
    return this.b[this.p++];
  }
  u16(): number {
    this.need(2);
    const v = this.b.readUInt16BE(this.p);
    this.p += 2;
    return v;
  }
  skip(n: number): void {
    this.need(n);
    this.p += n;
  }
}

export function parseClientHello(b: Buffer, off: number, end: number): ClientHello {
  const r = new Reader(b, off, end);
  const ch: ClientHello = { version: r.u16(), ciphers: [], extensions: [], alpn: [], supportedVersions: [], sigAlgs: [] };
  r.skip(32);
  r.skip(r.u8());
  const cipherLen = r.u16();
  const cipherEnd = r.p + cipherLen;
  r.need(cipherLen);
  while (r.p + 2 <= cipherEnd) ch.ciphers.push(r.u16());
  r.p = cipherEnd;
  r.skip(r.u8());
  if (r.p >= end) return ch;
  const extLen = r.u16();
  const extEnd = Math.min(r.p + extLen, end);
  while (r.p + 4 <= extEnd) {
    const type = r.u16();
    const len = r.u16();
    const v = r.p;
    r.need(len);
    ch.extensions.push(type);
    const er = new Reader(b, v, v + len);
    if (type === EXT_SNI && len >= 5) {
      er.u16();
      const nameType = er.u8();
      const nlen = er.u16();
      er.need(nlen);
      if (nameType === 0) ch.sni = b.toString("latin1", er.p, er.p + nlen).replace(/[\x00-\x1f\x7f]/g, "");
    } else if (type === EXT_ALPN && len >= 2) {
      const l = er.u16();
      const stop = Math.min(v + 2 + l, v + len);
      while (er.p < stop) {
        const sl = er.u8();
        er.need(sl);
        ch.alpn.push(b.toString("latin1", er.p, er.p + sl));
        er.p += sl;
      }
    } else if (type === EXT_SUPPORTED_VERSIONS && len >= 1) {
      const l = er.u8();
      for (let i = 0; i + 1 < l && er.p + 2 <= v + len; i += 2) ch.supportedVersions.push(er.u16());
    } else if (type === EXT_SIG_ALGS && len >= 2) {
      const l = er.u16();
      for (let i = 0; i + 1 < l && er.p + 2 <= v + len; i += 2) ch.sigAlgs.push(er.u16());
    }
    r.p = v + len;
  }
  return ch;
}

function hex4(v: number): string {
  return v.toString(16).padStart(4, "0");
}

function hash12(s: string): string {
  return s === "" ? "000000000000" : hash("sha256", s, "hex").slice(0, 12);
}

/** Highest offered version: supported_versions when present, else the legacy field. */
export function offeredVersion(ch: ClientHello): number {
  const vs = ch.supportedVersions.filter((v) => !isGrease(v));
  return vs.length > 0 ? Math.max(...vs) : ch.version;
}

/**
 * JA4 client fingerprint (FoxIO, ja4 spec): transport, version, SNI present, cipher and
 * extension counts, first and last character of the first ALPN, then truncated SHA-256 of the
 * sorted ciphers and of the sorted extensions (without SNI and ALPN) with signature algorithms.
 */
export function ja4(ch: ClientHello, transport: "t" | "q" = "t"): string {
  const ciphers = ch.ciphers.filter((c) => !isGrease(c));
  const exts = ch.extensions.filter((e) => !isGrease(e));
  const version = VERSION_CODE[offeredVersion(ch)] ?? "00";
  // The extension's presence decides, whatever name it holds (JA4 spec).
  const sni = ch.extensions.includes(EXT_SNI) ? "d" : "i";
  const count = (n: number): string => String(Math.min(n, 99)).padStart(2, "0");
  const first = ch.alpn[0] ?? "";
  let alpn = "00";
  if (first.length > 0) {
    const a = first[0];
    const z = first[first.length - 1];
    const printable = (c: string): boolean => /[0-9A-Za-z]/.test(c);
    alpn = printable(a) && printable(z)
      ? a + z
      : Buffer.from(first, "latin1").toString("hex").replace(/^(.).*(.)$/, "$1$2");
  }
  const a = `${transport}${version}${sni}${count(ciphers.length)}${count(exts.length)}${alpn}`;
  const b = hash12(ciphers.map(hex4).sort().join(","));
  const extList = exts.filter((e) => e !== EXT_SNI && e !== EXT_ALPN).map(hex4).sort().join(",");
  const sig = ch.sigAlgs.map(hex4).join(",");
  const c = hash12(sig ? `${extList}_${sig}` : extList);
  return `${a}_${b}_${c}`;
}

function clientHello(b: Buffer, off: number, end: number, complete: boolean, ctx: DissectContext): void {
  let ch: ClientHello;
  try {
    ch = parseClientHello(b, off, end);
  } catch (e) {
    if (!(e instanceof Cut)) throw e;
    ctx.error(complete ? "tls.client-hello-malformed" : "tls.client-hello-cut");
    return;
  }
  if (ch.sni) ctx.emit("tls.sni", "src", ch.sni.toLowerCase());
  if (ch.alpn.length > 0) ctx.emit("tls.alpn", "src", ch.alpn.join(","));
  const v = VERSION_NAME[offeredVersion(ch)];
  if (v) ctx.emit("tls.client_version", "src", v);
  if (complete) ctx.emit("tls.ja4", "src", ja4(ch));
  if (complete && !ch.extensions.includes(EXT_SNI) && ctx.pkt.ipVersion !== 0) ctx.emit("tls.no_sni", "src", `to ${packetAddress(ctx.pkt, "dst")}:${ctx.pkt.dstPort}`);
}

function serverHello(b: Buffer, off: number, end: number, ctx: DissectContext): void {
  try {
    const r = new Reader(b, off, end);
    let version = r.u16();
    r.skip(32);
    r.skip(r.u8());
    r.skip(3);
    let alpn: string | undefined;
    if (r.p + 2 <= end) {
      const extEnd = Math.min(r.p + 2 + r.u16(), end);
      while (r.p + 4 <= extEnd) {
        const type = r.u16();
        const len = r.u16();
        r.need(len);
        if (type === EXT_SUPPORTED_VERSIONS && len === 2) version = b.readUInt16BE(r.p);
        else if (type === EXT_ALPN && len >= 3) alpn = b.toString("latin1", r.p + 3, r.p + 3 + b[r.p + 2]);
        r.p += len;
      }
    }
    const name = VERSION_NAME[version];
    if (name) ctx.emit("tls.server_version", "src", name);
    if (alpn) ctx.emit("tls.server_alpn", "src", alpn);
  } catch (e) {
    if (!(e instanceof Cut)) throw e;
    ctx.error("tls.server-hello-malformed");
  }
}

const CERTIFICATE = 11;

/**
 * The server's certificate in the handshake records from `p` (TLS 1.2 and older send it in
 * clear after the ServerHello, in the same record or the next ones): the name it was issued to
 * (subject CN, else its first DNS name), what a client without SNI reached.
 */
function serverCertificate(b: Buffer, firstMessage: number, recordEnd: number, end: number, ctx: DissectContext): void {
  let m = firstMessage;
  let next = recordEnd;
  for (let records = 0; records < 8; records++) {
    const readable = Math.min(next, end);
    while (m + 4 <= readable) {
      const type = b[m];
      if (type === CERTIFICATE) {
        // certificate_list length (3), then the first certificate's length (3) and DER.
        if (m + 10 > end) return;
        const names = certificateNames(b, m + 10, Math.min(m + 10 + b.readUIntBE(m + 7, 3), end));
        const name = names.subject && names.subject.includes(".") ? names.subject : names.dnsNames[0] ?? names.subject;
        if (name) ctx.emit("tls.server_name", "src", name);
        // A device's own certificate often names its maker and model (a camera's self-signed
        // O=MOBOTIX AG, CN=P3 D24M), and its validity says when it ends.
        if (names.subjectDn) ctx.emit("tls.cert_subject", "src", names.subjectDn);
        if (names.issuerDn) ctx.emit("tls.cert_issuer", "src", names.issuerDn);
        if (names.serial) ctx.emit("tls.cert_serial", "src", names.serial);
        if (names.notBefore && names.notAfter) ctx.emit("tls.cert_validity", "src", `${names.notBefore}/${names.notAfter}`);
        if (names.key) ctx.emit("tls.cert_key", "src", names.key);
        if (names.signature) ctx.emit("tls.cert_signature", "src", names.signature);
        return;
      }
      m += 4 + b.readUIntBE(m + 1, 3);
    }
    // A message that runs into the next record (fragmented handshake) ends the walk.
    if (m !== next || next + 5 > end || b[next] !== HANDSHAKE || b[next + 1] !== 3) return;
    m = next + 5;
    next = m + b.readUInt16BE(next + 3);
  }
}

function looksLikeHandshake(b: Buffer, off: number, len: number): boolean {
  return len >= 9 && b[off] === HANDSHAKE && b[off + 1] === 3 && b[off + 2] <= 4
    && (b[off + 5] === CLIENT_HELLO || b[off + 5] === SERVER_HELLO);
}

/** TLS handshake records: ClientHello (SNI, ALPN, versions, JA4) and ServerHello. */
export const tls: AppDissector = {
  name: "tls",
  transport: "tcp",
  ports: [443, 8443, 993, 995, 465, 636, 853, 5223, 8883, 5061, 4433, 10443],
  test: looksLikeHandshake,
  dissect(b, off, len, ctx) {
    if (!looksLikeHandshake(b, off, len)) {
      // Later records of a TLS flow (change cipher spec, application data) are still TLS; a
      // Certificate that starts a segment of its own is read.
      if (len >= 10 && b[off] === HANDSHAKE && b[off + 1] === 3 && b[off + 5] === CERTIFICATE) serverCertificate(b, off + 5, off + 5 + b.readUInt16BE(off + 3), off + len, ctx);
      return len >= 5 && b[off] >= 0x14 && b[off] <= 0x17 && b[off + 1] === 3;
    }
    const recLen = b.readUInt16BE(off + 3);
    const recEnd = Math.min(off + 5 + recLen, off + len);
    const hsLen = b.readUIntBE(off + 6, 3);
    const bodyStart = off + 9;
    const bodyEnd = Math.min(bodyStart + hsLen, recEnd);
    const complete = bodyStart + hsLen <= recEnd;
    if (b[off + 5] === CLIENT_HELLO) clientHello(b, bodyStart, bodyEnd, complete, ctx);
    else {
      serverHello(b, bodyStart, bodyEnd, ctx);
      // What follows the ServerHello, in the same record or the records after it.
      serverCertificate(b, bodyStart + hsLen, off + 5 + recLen, off + len, ctx);
    }
    return true;
  },
};
