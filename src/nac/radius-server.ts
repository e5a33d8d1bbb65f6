import { type DaclContent, type Decision, type NacTable, type ReplyAttribute, decide } from "./authorization.js";
import { canonicalMac } from "../model/mac.js";
import type { AclStyle, NasConfig, NasRegistry } from "./nas.js";
import { type RadiusSecret, messageAuthenticatorOffset, requestAuthenticatorValid, requestMessageAuthenticatorValid, signReply } from "./radius/auth.js";
import { ACCT_STATUS_NAMES, ATTR, CISCO_AVPAIR, CODE, HEADER_LENGTH, SERVICE_TYPE, TUNNEL_MEDIUM_802, TUNNEL_TYPE_VLAN, VENDOR } from "./radius/constants.js";
import {
  type RadiusPacket, type OutAttribute, EncodeError, attribute, decodePacket, encodeAttributes, integer, ipv4Of, ipv6Of, taggedInteger, text, vendorAttribute, vendorStrings,
} from "./radius/packet.js";
import { type NacSession, SessionTable } from "./sessions.js";
import type { EapOutcome, EapTlsServer } from "./eap-tls.js";
import { EAP_CODE, eapAttributes, eapMessageOf, mppeKey } from "./radius/eap.js";
import type { NewDecision, SessionIds } from "../store/nac.js";

/**
 * The RADIUS server for MAC Authentication Bypass and accounting. `handle` takes one
 * datagram and returns the reply to send (or nothing: dropped), so the protocol logic is
 * tested without sockets; `radius-listener.ts` binds it to UDP.
 *
 * Order of work per datagram: decode → the NAS by source address (unknown sources dropped)
 * → authenticators → duplicate check → that NAS's rate limit → the decision from the
 * in-memory table. Every drop is counted by reason and by NAS.
 *
 * A NAS's rate limit and the duplicate cache are spent only on packets that carry the NAS's
 * secret: a flood spoofed from a switch's prefix fails verification (HMAC-MD5, about 2 µs
 * a packet, less than receiving it) and is dropped without touching either, so the switch's
 * real requests are still answered. A budget charged before verification could not tell the
 * two apart and would be drained by the flood.
 */

/** A decision as stored, plus what names the session (for the sessions table). */
export interface DecisionEvent extends NewDecision, Pick<SessionIds, "nasIp" | "callingStationId" | "userName" | "auditSessionId"> {
  state: Decision["state"];
}

export interface AccountingEvent {
  atMs: number;
  site: string;
  mac: string;
  nas: string;
  nasIp: string;
  status: string;
  ip?: string;
  nasPortId?: string;
  acctSessionId?: string;
  inputOctets?: number;
  outputOctets?: number;
  sessionTime?: number;
}

export interface RadiusServerEvents {
  decision(e: DecisionEvent): void;
  accounting(e: AccountingEvent): void;
  /** A datagram dropped unanswered: why, where from, and the NAS when it was one. */
  dropped?(reason: string, address: string, nas: string | undefined): void;
  /** A client certificate presented in EAP-TLS (accepted or not): for the certificate inventory. */
  certificate?(e: { site: string; mac: string; der: Buffer; atMs: number }): void;
}

export interface NasCounters {
  requests: number;
  accepts: number;
  rejects: number;
  accounting: number;
  statusServer: number;
  /** Downloadable ACL requests answered (each packet of a split dACL counts). */
  daclDownloads: number;
  duplicates: number;
  drops: Record<string, number>;
}

export interface RadiusStats {
  received: number;
  /** Drops not charged to a configured NAS (malformed datagrams, unknown sources). */
  drops: Record<string, number>;
  nas: Record<string, NasCounters>;
  sessions: number;
}

/** How long a reply is kept to answer a retransmission with (RFC 5080 §2.2.2). */
const DUPLICATE_WINDOW_MS = 5_000;
const MAX_CACHED_REPLIES = 65_536;

interface CachedReply {
  authenticator: Buffer;
  reply: Buffer;
  atMs: number;
}

interface Bucket {
  tokens: number;
  lastMs: number;
}

const MA_PLACEHOLDER = Buffer.from([ATTR.messageAuthenticator, 18, ...new Array<number>(16).fill(0)]);

function encodeReply(a: ReplyAttribute): OutAttribute {
  if (a.vendor !== undefined) return vendorAttribute(a.vendor, a.type, a.value);
  if (a.tag !== undefined && typeof a.value === "number") return { type: a.type, value: taggedInteger(a.tag, a.value) };
  return { type: a.type, value: a.value };
}

/** RFC 3580 VLAN attributes, tag 0 (untagged, as FreeRADIUS writes them). */
export function vlanAttributes(vlan: string): OutAttribute[] {
  return [
    { type: ATTR.tunnelType, value: taggedInteger(0, TUNNEL_TYPE_VLAN) },
    { type: ATTR.tunnelMediumType, value: taggedInteger(0, TUNNEL_MEDIUM_802) },
    { type: ATTR.tunnelPrivateGroupId, value: vlan },
  ];
}

/** The MAC a MAB request is about: Calling-Station-Id, else User-Name, when either is a MAC. */
export function mabMac(p: RadiusPacket): { mac: string; callingStationId?: string } | undefined {
  const calling = text(p, ATTR.callingStationId);
  const fromCalling = calling === undefined ? undefined : canonicalMac(calling);
  const user = text(p, ATTR.userName);
  const fromUser = user === undefined ? undefined : canonicalMac(user);
  const serviceType = integer(p, ATTR.serviceType);
  // MAB: Service-Type Call-Check, or a User-Name that is the MAC in one of its spellings.
  if (serviceType !== SERVICE_TYPE.callCheck && fromUser === undefined) return undefined;
  const mac = fromCalling ?? fromUser;
  return mac ? { mac, callingStationId: calling } : undefined;
}

export class RadiusServer {
  private table: NacTable;
  private readonly cache = new Map<string, CachedReply>();
  private readonly buckets = new Map<string, Bucket>();
  /** Encoded ACL + VLAN attributes per profile and ACL style, built once per table. */
  private encoded = new Map<string, Buffer | string>();
  /** The downloadable ACLs the table's profiles name, by name. */
  private dacls = new Map<string, DaclContent>();
  readonly sessions: SessionTable;
  readonly stats: RadiusStats = { received: 0, drops: {}, nas: {}, sessions: 0 };
  /** The address of the datagram being handled (for the drop event). */
  private from = "";
  /** EAP-TLS, when a CA is in use; without it EAP requests are rejected. */
  private eapTls?: EapTlsServer;
  /** Requests whose EAP answer is being worked out: a retransmission meanwhile is not worked on twice. */
  private readonly inFlight = new Set<string>();

  constructor(
    private readonly registry: NasRegistry,
    table: NacTable,
    private readonly events: RadiusServerEvents,
    private readonly now: () => number = Date.now,
    maxSessions = 200_000,
  ) {
    this.table = table;
    this.dacls = daclIndex(table);
    this.sessions = new SessionTable(maxSessions);
    for (const n of registry.list) this.stats.nas[n.name] = { requests: 0, accepts: 0, rejects: 0, accounting: 0, statusServer: 0, daclDownloads: 0, duplicates: 0, drops: {} };
  }

  /** A new authorisation table (the inventory, policy or quarantine list changed). */
  setTable(table: NacTable): void {
    this.table = table;
    this.encoded = new Map();
    this.dacls = daclIndex(table);
  }

  /** Turns EAP-TLS on (the CA's server certificate and trust anchors are ready) or off. */
  setEapTls(eap: EapTlsServer | undefined): void {
    this.eapTls = eap;
  }

  currentTable(): NacTable {
    return this.table;
  }

  private drop(reason: string, nas?: NasConfig): undefined {
    const d = nas ? this.stats.nas[nas.name].drops : this.stats.drops;
    d[reason] = (d[reason] ?? 0) + 1;
    this.events.dropped?.(reason, this.from, nas?.name);
    return undefined;
  }

  private allowed(nas: NasConfig, nowMs: number): boolean {
    let b = this.buckets.get(nas.name);
    if (!b) {
      b = { tokens: nas.rateLimit, lastMs: nowMs };
      this.buckets.set(nas.name, b);
    }
    b.tokens = Math.min(nas.rateLimit, b.tokens + ((nowMs - b.lastMs) * nas.rateLimit) / 1000);
    b.lastMs = nowMs;
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  /**
   * One datagram from `address:port` on the authentication (`auth`) or accounting (`acct`)
   * port. Returns the reply to send, or undefined when the datagram is dropped.
   */
  handle(msg: Buffer, address: string, port: number, service: "auth" | "acct"): Buffer | Promise<Buffer | undefined> | undefined {
    this.stats.received++;
    this.from = address;
    const p = decodePacket(msg);
    if (typeof p === "string") return this.drop(`malformed-${p}`);
    const nas = this.registry.lookup(address);
    if (!nas) return this.drop("unknown-nas");
    const nowMs = this.now();
    const counters = this.stats.nas[nas.name];
    const expected: number = service === "auth" ? CODE.accessRequest : CODE.accountingRequest;
    if (p.code !== expected && p.code !== CODE.statusServer) return this.drop(`unexpected-code-${p.code}`, nas);

    const secret = this.registry.secrets.get(nas.name)!;
    const ma = messageAuthenticatorOffset(p);
    if (ma === -2) return this.drop("bad-message-authenticator", nas);
    if (p.code === CODE.accountingRequest && !requestAuthenticatorValid(p, secret)) return this.drop("bad-authenticator", nas);
    if (ma >= 0 && !requestMessageAuthenticatorValid(p, ma, secret)) return this.drop("bad-message-authenticator", nas);
    // Status-Server must carry one (RFC 5997 §3); Access-Request must when the NAS requires it.
    if (ma < 0 && (p.code === CODE.statusServer || (p.code === CODE.accessRequest && nas.requireMessageAuthenticator))) {
      return this.drop("missing-message-authenticator", nas);
    }

    // A retransmission (same source, identifier and authenticator) gets the same reply.
    const key = `${service}|${address}|${port}|${p.identifier}`;
    const cached = this.cache.get(key);
    if (cached && nowMs - cached.atMs < DUPLICATE_WINDOW_MS && cached.authenticator.equals(msg.subarray(4, 20))) {
      counters.duplicates++;
      return cached.reply;
    }
    if (!this.allowed(nas, nowMs)) return this.drop("rate-limited", nas);

    let reply: Buffer | undefined;
    if (p.code === CODE.statusServer) {
      counters.statusServer++;
      reply = this.reply(p, service === "auth" ? CODE.accessAccept : CODE.accountingResponse, Buffer.alloc(0), secret, true);
    } else if (p.code === CODE.accessRequest) {
      counters.requests++;
      const eap = eapMessageOf(p);
      if (eap) {
        // RFC 3579 §3.2: an Access-Request with EAP-Message without Message-Authenticator is discarded.
        if (ma < 0) return this.drop("eap-without-message-authenticator", nas);
        if (this.inFlight.has(key)) {
          counters.duplicates++;
          return undefined;
        }
        this.inFlight.add(key);
        return this.eap(p, eap, nas, address, secret, nowMs).then((r) => {
          this.inFlight.delete(key);
          if (r) this.remember(key, msg, r, nowMs);
          return r;
        }, (e: unknown) => {
          this.inFlight.delete(key);
          throw e;
        });
      }
      reply = this.access(p, nas, address, secret, nowMs);
    } else {
      counters.accounting++;
      this.accounting(p, nas, address, nowMs);
      reply = this.reply(p, CODE.accountingResponse, Buffer.alloc(0), secret, false);
    }
    if (reply) this.remember(key, msg, reply, nowMs);
    return reply;
  }

  /**
   * Keeps a reply for retransmissions. Kept in the order answered (a reused key moves to the
   * end), so the oldest reply is first: each answer retires the replies past the window, and
   * the oldest past the bound, and stops at the first that stays. No sweep of the whole cache
   * ever stalls the socket.
   */
  private remember(key: string, msg: Buffer, reply: Buffer, nowMs: number): void {
    this.cache.delete(key);
    this.cache.set(key, { authenticator: Buffer.from(msg.subarray(4, 20)), reply, atMs: nowMs });
    for (const [k, v] of this.cache) {
      if (this.cache.size <= MAX_CACHED_REPLIES && nowMs - v.atMs < DUPLICATE_WINDOW_MS) break;
      this.cache.delete(k);
    }
  }

  /**
   * One round of EAP-TLS (nac/eap-tls.ts): an Access-Challenge carrying the next EAP-TLS
   * request, or the end: Access-Accept with EAP-Success, the MPPE keys and the same VLAN and
   * ACL as MAB gives the device, or Access-Reject with EAP-Failure and the reason. The device
   * is the Calling-Station-Id's MAC; its certificate must name that MAC.
   */
  private async eap(p: RadiusPacket, eapBytes: Buffer, nas: NasConfig, address: string, secret: RadiusSecret, nowMs: number): Promise<Buffer | undefined> {
    const counters = this.stats.nas[nas.name];
    const calling = text(p, ATTR.callingStationId);
    const mac = calling === undefined ? undefined : canonicalMac(calling);
    const fail = (eap: Buffer | undefined, reason: string): Buffer => {
      counters.rejects++;
      return this.reply(p, CODE.accessReject, encodeAttributes([...(eap ? eapAttributes(eap) : []), { type: ATTR.replyMessage, value: reason.slice(0, 200) }]), secret, true);
    };
    if (!this.eapTls) return fail(undefined, "EAP is not enabled: Cordon has no CA in use");
    if (!mac) return fail(undefined, "EAP-TLS needs the supplicant's MAC in Calling-Station-Id");
    const stateAttr = attribute(p, ATTR.state);
    const state = stateAttr ? p.raw.toString("latin1", stateAttr.offset, stateAttr.offset + stateAttr.length) : undefined;
    const out: EapOutcome = await this.eapTls.handle(eapBytes, state, mac);
    if (out.kind === "drop") return this.drop(out.reason, nas);
    if (out.kind === "challenge") return this.reply(p, CODE.accessChallenge, encodeAttributes([...eapAttributes(out.eap), { type: ATTR.state, value: out.state }]), secret, true);
    const nasPortId = text(p, ATTR.nasPortId);
    const ids = { nasIp: address, callingStationId: calling, userName: text(p, ATTR.userName), auditSessionId: auditSessionId(p) };
    const presented = out.kind === "accept" ? out.certificate.der : out.certificate?.der;
    if (presented) this.events.certificate?.({ site: nas.site, mac, der: presented, atMs: nowMs });
    if (out.kind === "reject") {
      const conflict = out.certificate && !out.certificate.ok ? out.certificate.conflict : undefined;
      const reason = conflict ? `identity conflict: the certificate of ${conflict.certificateMac} was presented from ${mac}` : `EAP-TLS refused: ${out.reason}`;
      this.events.decision({ atMs: nowMs, site: nas.site, mac, nas: nas.name, ...ids, nasPortId, state: "rejected", accept: false, reason, ...(conflict ? { identity: "conflict" } : {}) });
      return fail(out.eap, reason);
    }
    const decision = decide(this.table, nas.site, mac, "certificate");
    const reason = `${decision.reason}; EAP-TLS (${out.tlsVersion}) certificate ${out.certificate.serial}`;
    this.sessions.update({ site: nas.site, mac, nas: nas.name, nasPort: integer(p, ATTR.nasPort), nasPortId, ...ids, status: "authorized", lastMs: nowMs });
    this.stats.sessions = this.sessions.size;
    if (!decision.accept) {
      this.events.decision({ atMs: nowMs, site: nas.site, mac, nas: nas.name, ...ids, nasPortId, state: decision.state, accept: false, reason, identity: "certificate" });
      return fail(encodeFailure(out.eap), reason);
    }
    const attrs = decision.profile ? this.profileAttributes(decision.profile.name, decision.profile, nas.acl) : Buffer.alloc(0);
    if (typeof attrs === "string") {
      this.events.decision({ atMs: nowMs, site: nas.site, mac, nas: nas.name, ...ids, nasPortId, state: "rejected", accept: false, reason: `${reason}; rejected: ${attrs}`, identity: "certificate" });
      return fail(encodeFailure(out.eap), `${reason}; rejected: ${attrs}`);
    }
    const authenticator = p.raw.subarray(4, 20);
    const keys = encodeAttributes([
      ...eapAttributes(out.eap),
      vendorAttribute(VENDOR.microsoft, MS_MPPE_RECV_KEY, mppeKey(out.msk.subarray(0, 32), secret.bytes, authenticator)),
      vendorAttribute(VENDOR.microsoft, MS_MPPE_SEND_KEY, mppeKey(out.msk.subarray(32, 64), secret.bytes, authenticator)),
    ]);
    counters.accepts++;
    this.events.decision({
      atMs: nowMs, site: nas.site, mac, nas: nas.name, ...ids, nasPortId, state: decision.state, accept: true, vlan: decision.profile?.vlan, profile: decision.profile?.name, reason, identity: "certificate",
    });
    return this.reply(p, CODE.accessAccept, Buffer.concat([keys, attrs]), secret, true);
  }

  private access(p: RadiusPacket, nas: NasConfig, address: string, secret: RadiusSecret, nowMs: number): Buffer {
    const counters = this.stats.nas[nas.name];
    const dacl = daclRequested(p);
    if (dacl !== undefined) return this.download(p, dacl, counters, secret);
    const who = mabMac(p);
    if (!who) {
      counters.rejects++;
      return this.reply(p, CODE.accessReject, encodeAttributes([{ type: ATTR.replyMessage, value: "Cordon answers MAC authentication bypass only" }]), secret, true);
    }
    const decision = decide(this.table, nas.site, who.mac);
    const nasPortId = text(p, ATTR.nasPortId);
    const session = this.sessions.update({
      site: nas.site, mac: who.mac, nas: nas.name, nasIp: address, nasPort: integer(p, ATTR.nasPort), nasPortId,
      callingStationId: who.callingStationId, userName: text(p, ATTR.userName), auditSessionId: auditSessionId(p), status: "authorized", lastMs: nowMs,
    });
    const ids = { nasIp: address, callingStationId: session.callingStationId, userName: session.userName, auditSessionId: session.auditSessionId };
    this.stats.sessions = this.sessions.size;
    let body: Buffer;
    let reason = decision.reason;
    if (decision.accept && decision.profile) {
      const attrs = this.profileAttributes(decision.profile.name, decision.profile, nas.acl);
      if (typeof attrs === "string") {
        // The ACL cannot be expressed for this NAS: refuse rather than admit without it.
        counters.rejects++;
        reason = `${decision.reason}; rejected: ${attrs}`;
        this.events.decision({ atMs: nowMs, site: nas.site, mac: who.mac, nas: nas.name, ...ids, nasPortId, state: "rejected", accept: false, reason });
        return this.reply(p, CODE.accessReject, Buffer.alloc(0), secret, true);
      }
      body = attrs;
    } else {
      body = Buffer.alloc(0);
    }
    if (decision.accept) counters.accepts++;
    else counters.rejects++;
    this.events.decision({
      atMs: nowMs, site: nas.site, mac: who.mac, nas: nas.name, ...ids, nasPortId, state: decision.state, accept: decision.accept,
      vlan: decision.profile?.vlan, profile: decision.profile?.name, reason,
    });
    return this.reply(p, decision.accept ? CODE.accessAccept : CODE.accessReject, body, secret, true);
  }

  /**
   * A switch fetching a downloadable ACL an Access-Accept named: the entries in an
   * Access-Accept, or, when they need several packets, each part but the last in an
   * Access-Challenge whose State the switch sends back for the next part (as Cisco ACS and
   * ISE split large dACLs). An unknown name or a State out of range is rejected.
   */
  private download(p: RadiusPacket, name: string, counters: NasCounters, secret: RadiusSecret): Buffer {
    const d = this.dacls.get(name);
    const state = text(p, ATTR.state);
    const part = state === undefined ? 0 : DACL_STATE.exec(state) ? Number(state.slice(DACL_STATE_PREFIX.length)) : -1;
    if (!d || part < 0 || part >= d.packets.length) {
      counters.rejects++;
      const why = !d ? `no downloadable ACL named ${name}` : `no part ${state ?? ""} of ${name}`;
      return this.reply(p, CODE.accessReject, encodeAttributes([{ type: ATTR.replyMessage, value: why }]), secret, true);
    }
    counters.daclDownloads++;
    const k = `dacl|${name}|${part}`;
    let body = this.encoded.get(k) as Buffer | undefined;
    if (!body) {
      const entries = d.packets[part].map((v) => vendorAttribute(VENDOR.cisco, CISCO_AVPAIR, v));
      if (part < d.packets.length - 1) entries.push({ type: ATTR.state, value: `${DACL_STATE_PREFIX}${part + 1}` });
      body = encodeAttributes(entries);
      this.encoded.set(k, body);
    }
    return this.reply(p, part < d.packets.length - 1 ? CODE.accessChallenge : CODE.accessAccept, body, secret, true);
  }

  /** VLAN then ACL attributes of a profile for an ACL style, encoded once per table. */
  private profileAttributes(name: string, profile: NonNullable<Decision["profile"]>, style: AclStyle): Buffer | string {
    const k = `${name}|${style}`;
    const hit = this.encoded.get(k);
    if (hit !== undefined) return hit;
    let out: Buffer | string;
    const acl = profile.acl[style] ?? [];
    if (typeof acl === "string") out = `${style} ACL of ${profile.name}: ${acl}`;
    else {
      try {
        out = encodeAttributes([...(profile.vlan ? vlanAttributes(profile.vlan) : []), ...acl.map(encodeReply)]);
      } catch (e) {
        if (!(e instanceof EncodeError)) throw e;
        out = `${style} ACL of ${profile.name}: ${e.message}`;
      }
    }
    this.encoded.set(k, out);
    return out;
  }

  private accounting(p: RadiusPacket, nas: NasConfig, address: string, nowMs: number): void {
    const calling = text(p, ATTR.callingStationId);
    const user = text(p, ATTR.userName);
    const mac = (calling && canonicalMac(calling)) || (user && canonicalMac(user));
    if (!mac) return;
    const statusType = integer(p, ATTR.acctStatusType);
    const status = statusType === undefined ? "unknown" : (ACCT_STATUS_NAMES[statusType] ?? `type-${statusType}`);
    const ip = ipv4Of(p, ATTR.framedIpAddress) ?? ipv6Of(p, ATTR.framedIpv6Address);
    const s: NacSession = {
      site: nas.site, mac, nas: nas.name, nasIp: address, nasPort: integer(p, ATTR.nasPort), nasPortId: text(p, ATTR.nasPortId),
      callingStationId: calling, userName: user, auditSessionId: auditSessionId(p), acctSessionId: text(p, ATTR.acctSessionId), ip,
      status: status === "stop" ? "stopped" : "started", lastMs: nowMs,
    };
    this.sessions.update(s);
    this.stats.sessions = this.sessions.size;
    this.events.accounting({
      atMs: nowMs, site: nas.site, mac, nas: nas.name, nasIp: address, status, ip, nasPortId: s.nasPortId, acctSessionId: s.acctSessionId,
      inputOctets: integer(p, ATTR.acctInputOctets), outputOctets: integer(p, ATTR.acctOutputOctets), sessionTime: integer(p, ATTR.acctSessionTime),
    });
  }

  /**
   * A reply to `p`: Message-Authenticator first (for Access-Accept, -Reject and -Challenge,
   * and Status-Server answers), then the body, then the request's Proxy-State attributes in
   * order (RFC 2865 §5.33); signed with the request's authenticator.
   */
  private reply(p: RadiusPacket, code: number, body: Buffer, secret: RadiusSecret, withMa: boolean): Buffer {
    let proxy = 0;
    for (const a of p.attributes) if (a.type === ATTR.proxyState) proxy += a.length + 2;
    const length = HEADER_LENGTH + (withMa ? 18 : 0) + body.length + proxy;
    const out = Buffer.allocUnsafe(length);
    out[0] = code;
    out[1] = p.identifier;
    out.writeUInt16BE(length, 2);
    let o = HEADER_LENGTH;
    if (withMa) o += MA_PLACEHOLDER.copy(out, o);
    o += body.copy(out, o);
    if (proxy > 0) for (const a of p.attributes) if (a.type === ATTR.proxyState) o += p.raw.copy(out, o, a.offset - 2, a.offset + a.length);
    return signReply(out, withMa ? HEADER_LENGTH + 2 : -1, p.raw.subarray(4, 20), secret);
  }
}

/** Microsoft vendor attributes (RFC 2548): MS-MPPE-Send-Key and MS-MPPE-Recv-Key. */
const MS_MPPE_SEND_KEY = 16;
const MS_MPPE_RECV_KEY = 17;

/** An EAP-Success turned into the EAP-Failure with its identifier (the TLS handshake passed, the NAC decision did not). */
function encodeFailure(success: Buffer): Buffer {
  const b = Buffer.from(success);
  b[0] = EAP_CODE.failure;
  return b;
}

const DACL_STATE_PREFIX = "CORDON-DACL-";
const DACL_STATE = /^CORDON-DACL-\d{1,4}$/;
const DACL_PREFIX = "#ACSACL#-";

/**
 * The name of the downloadable ACL a request fetches: a User-Name that is a dACL name, sent
 * with the Cisco-AVPair `aaa:event=acl-download`; otherwise undefined.
 */
export function daclRequested(p: RadiusPacket): string | undefined {
  const user = attribute(p, ATTR.userName);
  // A MAC never starts with "#": one byte settles nearly every request.
  if (!user || user.length <= DACL_PREFIX.length || p.raw[user.offset] !== 0x23) return undefined;
  if (p.raw.toString("latin1", user.offset, user.offset + DACL_PREFIX.length) !== DACL_PREFIX) return undefined;
  if (!vendorStrings(p, VENDOR.cisco, CISCO_AVPAIR).includes("aaa:event=acl-download")) return undefined;
  return p.raw.toString("utf8", user.offset, user.offset + user.length);
}

function daclIndex(table: NacTable): Map<string, DaclContent> {
  const out = new Map<string, DaclContent>();
  for (const profile of Object.values(table.profiles)) for (const d of profile.dacls ?? []) out.set(d.name, d);
  return out;
}

/** Cisco's audit-session-id from the Cisco-AVPairs, when the NAS sent one. */
export function auditSessionId(p: RadiusPacket): string | undefined {
  for (const v of vendorStrings(p, VENDOR.cisco, CISCO_AVPAIR)) if (v.startsWith("audit-session-id=")) return v.slice(17);
  return undefined;
}
