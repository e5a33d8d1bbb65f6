import { type X509Certificate, randomBytes } from "node:crypto";
import { Duplex } from "node:stream";
import { type SecureContext, TLSSocket } from "node:tls";
import type { ClientCertificateCheck } from "../pki/client-certificate.js";
import { EAP_CODE, EAP_TYPE, TLS_FLAG, decodeEap, decodeTlsFragment, encodeEap, encodeTlsFragment } from "./radius/eap.js";

/**
 * EAP-TLS (RFC 5216; TLS 1.3 as RFC 9190 says) for the RADIUS server: one TLS server
 * handshake per supplicant, run by node:tls over an in-memory stream, its records carried in
 * EAP-TLS fragments over Access-Challenge rounds tied together by State.
 *
 * Bounded: at most `maxSessions` handshakes at once (the oldest idle goes first), each idle
 * for at most `timeoutMs`, each taking at most `maxMessageBytes` from the supplicant. A
 * response out of order (not answering the last request's identifier) is dropped, as EAP
 * says; a fragment past the budget, a TLS alert, a refused certificate, or a Nak end the
 * session with EAP-Failure. Nothing of an ended session is kept.
 */

/** What the certificate check (the CA's chain, validity, revocation, EKU, the MAC) concluded. */
export type CertificateVerdict = ClientCertificateCheck;

export interface EapTlsOptions {
  secureContext: SecureContext;
  /** The certificate check (pki/client-certificate.ts) of the presented certificate, as TLS parsed it. */
  verify(presented: X509Certificate | undefined, callingMac: string): CertificateVerdict;
  fragmentSize?: number;
  maxMessageBytes?: number;
  maxSessions?: number;
  timeoutMs?: number;
  now?: () => number;
}

export type EapOutcome =
  | { kind: "challenge"; eap: Buffer; state: Buffer }
  | { kind: "accept"; eap: Buffer; msk: Buffer; identity: string; certificate: Extract<CertificateVerdict, { ok: true }>; tlsVersion: string }
  | { kind: "reject"; eap: Buffer; reason: string; identity?: string; certificate?: CertificateVerdict }
  | { kind: "drop"; reason: string };

interface Session {
  state: string;
  mac: string;
  identity: string;
  /** The identifier of the last request sent: the next response must carry it. */
  lastId: number;
  touchedMs: number;
  tls: TLSSocket;
  /** The stream TLS reads the supplicant's records from. */
  duplex: Duplex;
  /** TLS records the server wrote, not yet sent. */
  written: Buffer[];
  /** The flight being sent in fragments, and how far. */
  outbound?: Buffer;
  outOffset: number;
  /** The supplicant's message being reassembled. */
  inbound: Buffer[];
  inboundBytes: number;
  expected?: number;
  totalBytes: number;
  secure: boolean;
  error?: string;
  verdict?: CertificateVerdict;
}

const EMPTY = Buffer.alloc(0);

export class EapTlsServer {
  private readonly sessions = new Map<string, Session>();
  private readonly fragmentSize: number;
  private readonly maxMessageBytes: number;
  private readonly maxSessions: number;
  private readonly timeoutMs: number;
  private readonly now: () => number;
  /** Counters by outcome and defect. */
  readonly stats: Record<string, number> = {};

  constructor(private readonly o: EapTlsOptions) {
    this.fragmentSize = o.fragmentSize ?? 1000;
    this.maxMessageBytes = o.maxMessageBytes ?? 65_536;
    this.maxSessions = o.maxSessions ?? 4096;
    this.timeoutMs = o.timeoutMs ?? 30_000;
    this.now = o.now ?? Date.now;
  }

  get size(): number {
    return this.sessions.size;
  }

  private count(what: string): void {
    this.stats[what] = (this.stats[what] ?? 0) + 1;
  }

  /** One EAP response from the supplicant of `mac`, with the State of the round (none for the first). */
  async handle(eapBytes: Buffer, state: string | undefined, mac: string): Promise<EapOutcome> {
    const eap = decodeEap(eapBytes);
    if (typeof eap === "string") return this.dropped(eap);
    if (eap.code !== EAP_CODE.response) return this.dropped("eap-not-a-response");
    if (state === undefined) {
      if (eap.type !== EAP_TYPE.identity) return this.dropped("eap-no-state");
      return this.start(eap.identifier, mac, eap.data.toString("utf8").replace(/[^\x20-\x7e]/g, "?").slice(0, 128));
    }
    const s = this.sessions.get(state);
    if (!s) return this.failure(eap.identifier, "no EAP-TLS session for this State (timed out or ended)", "eap-unknown-state");
    if (s.mac !== mac) return this.end(s, eap.identifier, "the session's State came from another MAC", "eap-state-mac");
    if (eap.identifier !== s.lastId) return this.dropped("eap-out-of-order");
    s.touchedMs = this.now();
    if (eap.type === EAP_TYPE.nak) return this.end(s, eap.identifier, "the supplicant refused EAP-TLS (Nak)", "eap-nak");
    if (eap.type !== EAP_TYPE.tls) return this.end(s, eap.identifier, `EAP type ${eap.type} where EAP-TLS was asked`, "eap-wrong-type");
    const f = decodeTlsFragment(eap.data);
    if (typeof f === "string") return this.end(s, eap.identifier, "an EAP-TLS response without flags", f);
    if (s.outbound) {
      // Mid-way through sending our flight, the supplicant only acknowledges fragments.
      if (f.data.length > 0) return this.end(s, eap.identifier, "TLS data where an acknowledgement of a fragment was due", "eap-tls-unexpected-data");
      return this.sendNext(s);
    }
    if (f.data.length === 0 && s.inbound.length === 0) {
      // An acknowledgement of our last flight: the handshake is over, or the supplicant is waiting.
      if (s.secure && s.verdict?.ok) return this.accept(s);
      return this.end(s, eap.identifier, "the supplicant acknowledged without finishing the handshake", "eap-tls-stalled");
    }
    if (f.total !== undefined) {
      if (s.inbound.length > 0 && s.expected !== f.total) return this.end(s, eap.identifier, "the TLS message length changed between fragments", "eap-tls-length-changed");
      if (f.total > this.maxMessageBytes) return this.end(s, eap.identifier, `a TLS message of ${f.total} bytes is over the ${this.maxMessageBytes}-byte budget`, "eap-tls-over-budget");
      s.expected = f.total;
    }
    s.inboundBytes += f.data.length;
    s.totalBytes += f.data.length;
    if (s.totalBytes > this.maxMessageBytes * 2 || (s.expected !== undefined && s.inboundBytes > s.expected)) {
      return this.end(s, eap.identifier, "more TLS data than announced or allowed", "eap-tls-over-budget");
    }
    s.inbound.push(Buffer.from(f.data));
    if (f.flags & TLS_FLAG.more) return this.request(s, encodeTlsFragment({ flags: 0, data: EMPTY }));
    if (s.expected !== undefined && s.inboundBytes !== s.expected) return this.end(s, eap.identifier, "the last fragment left the TLS message short", "eap-tls-short");
    const message = Buffer.concat(s.inbound);
    s.inbound = [];
    s.inboundBytes = 0;
    s.expected = undefined;
    return this.feed(s, message);
  }

  private dropped(reason: string): EapOutcome {
    this.count(reason);
    return { kind: "drop", reason };
  }

  private start(responseId: number, mac: string, identity: string): EapOutcome {
    this.sweep();
    const state = randomBytes(16).toString("hex");
    const written: Buffer[] = [];
    const duplex = new Duplex({
      read() {},
      write(chunk: Buffer, _e, cb) {
        written.push(chunk);
        cb();
      },
    });
    const tls = new TLSSocket(duplex, { isServer: true, secureContext: this.o.secureContext, requestCert: true, rejectUnauthorized: false });
    const s: Session = {
      state, mac, identity, lastId: responseId, touchedMs: this.now(), tls, duplex, written, outOffset: 0, inbound: [], inboundBytes: 0, totalBytes: 0, secure: false,
    };
    tls.on("error", (e: Error & { code?: string }) => {
      s.error ??= e.code ?? e.message;
    });
    tls.on("secure", () => {
      s.secure = true;
      // getPeerX509Certificate, not getPeerCertificate(true), which builds an object of every field of every certificate: 12% of a handshake's CPU.
      s.verdict = this.o.verify(tls.getPeerX509Certificate(), mac);
    });
    this.sessions.set(state, s);
    this.count("eap-tls-started");
    return this.request(s, encodeTlsFragment({ flags: TLS_FLAG.start, data: EMPTY }));
  }

  /** Feeds the supplicant's message to TLS and answers with what TLS wrote, or ends the session. */
  private async feed(s: Session, message: Buffer): Promise<EapOutcome> {
    s.duplex.push(message);
    await settle(s);
    if (s.error) return this.end(s, s.lastId, `TLS failed: ${s.error}`, "eap-tls-alert");
    if (s.secure) {
      if (!s.verdict?.ok) return this.end(s, s.lastId, s.verdict?.reason ?? "no certificate", "eap-tls-certificate-refused");
      if (s.tls.getProtocol() === "TLSv1.3") {
        // RFC 9190 §2.5: one octet of application data says the server will send no more handshake messages.
        s.tls.write(Buffer.from([0]));
        await settle(s);
      }
    }
    const out = Buffer.concat(s.written);
    s.written.length = 0;
    if (out.length === 0) {
      if (s.secure) return this.accept(s);
      return this.end(s, s.lastId, "TLS wanted more than the supplicant sent", "eap-tls-stalled");
    }
    s.outbound = out;
    s.outOffset = 0;
    return this.sendNext(s);
  }

  private sendNext(s: Session): EapOutcome {
    const out = s.outbound!;
    const first = s.outOffset === 0;
    const end = Math.min(out.length, s.outOffset + this.fragmentSize);
    const more = end < out.length;
    const frag = encodeTlsFragment({ flags: more ? TLS_FLAG.more : 0, ...(first && more ? { total: out.length } : {}), data: out.subarray(s.outOffset, end) });
    s.outOffset = end;
    if (!more) s.outbound = undefined;
    return this.request(s, frag);
  }

  private request(s: Session, tlsData: Buffer): EapOutcome {
    s.lastId = (s.lastId + 1) & 0xff;
    return { kind: "challenge", eap: encodeEap({ code: EAP_CODE.request, identifier: s.lastId, type: EAP_TYPE.tls, data: tlsData }), state: Buffer.from(s.state, "latin1") };
  }

  private accept(s: Session): EapOutcome {
    const v = s.verdict as Extract<CertificateVerdict, { ok: true }>;
    const tls13 = s.tls.getProtocol() === "TLSv1.3";
    const material = tls13 ? s.tls.exportKeyingMaterial(128, "EXPORTER_EAP_TLS_Key_Material", Buffer.from([EAP_TYPE.tls])) : (s.tls.exportKeyingMaterial as (length: number, label: string) => Buffer)(128, "client EAP encryption"); // RFC 5216 §2.3: no context
    const tlsVersion = s.tls.getProtocol() ?? "";
    this.close(s);
    this.count("eap-tls-accepted");
    return { kind: "accept", eap: encodeEap({ code: EAP_CODE.success, identifier: s.lastId, data: EMPTY }), msk: material.subarray(0, 64), identity: s.identity, certificate: v, tlsVersion };
  }

  private end(s: Session, id: number, reason: string, counter: string): EapOutcome {
    this.count(counter);
    const certificate = s.verdict;
    this.close(s);
    return { kind: "reject", eap: encodeEap({ code: EAP_CODE.failure, identifier: id, data: EMPTY }), reason, identity: s.identity, ...(certificate ? { certificate } : {}) };
  }

  private failure(id: number, reason: string, counter: string): EapOutcome {
    this.count(counter);
    return { kind: "reject", eap: encodeEap({ code: EAP_CODE.failure, identifier: id, data: EMPTY }), reason };
  }

  private close(s: Session): void {
    this.sessions.delete(s.state);
    s.tls.destroy();
  }

  /** Ends sessions idle past the timeout, and the oldest when the table is full. */
  private sweep(): void {
    const now = this.now();
    for (const s of this.sessions.values()) {
      if (now - s.touchedMs <= this.timeoutMs && this.sessions.size < this.maxSessions) break;
      this.count(now - s.touchedMs > this.timeoutMs ? "eap-tls-timed-out" : "eap-tls-evicted");
      this.close(s);
    }
  }
}

/** Waits until TLS has written all it will for now: two turns of the event loop with nothing new. */
async function settle(s: Session): Promise<void> {
  let seen = -1;
  for (let quiet = 0, turns = 0; quiet < 2 && turns < 1000; turns++) {
    await new Promise((r) => setImmediate(r));
    const n = s.written.length + (s.secure ? 1000 : 0) + (s.error ? 2000 : 0);
    if (n === seen) quiet++;
    else {
      quiet = 0;
      seen = n;
    }
  }
}
