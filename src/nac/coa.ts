import { randomBytes } from "node:crypto";
import { type Socket, createSocket } from "node:dgram";
import { isIPv4 } from "node:net";
import type { NasConfig } from "./nas.js";
import { RadiusSecret, messageAuthenticatorOffset, replyMessageAuthenticatorValid, responseAuthenticatorValid, signRequest } from "./radius/auth.js";
import { ARUBA_USER_ROLE, ATTR, CISCO_AVPAIR, CODE, CODE_NAMES, ERROR_CAUSES, VENDOR } from "./radius/constants.js";
import { type OutAttribute, decodePacket, encodeAttributes, encodePacket, integer, ipv4Bytes, vendorAttribute } from "./radius/packet.js";
import type { NacSession } from "./sessions.js";

/**
 * Change of Authorization and Disconnect (RFC 5176) to the NAS a device is attached to.
 * Requests are built per vendor profile (pure, `buildChangeRequest`); `CoaClient` sends them
 * with retries and doubling backoff, checks each reply's authenticators, reports the
 * Error-Cause of a NAK, and falls back to a Disconnect-Request when a CoA is refused.
 */

/**
 * reauthenticate: the NAS authenticates the session again (and gets the current answer);
 * bounce-port / disable-port: Cisco's port bounce and shutdown; apply-role: Aruba applies a
 * role at once (the quarantine role); disconnect: end the session.
 */
export type ChangeAction = "reauthenticate" | "bounce-port" | "disable-port" | "apply-role" | "disconnect";
export const CHANGE_ACTIONS: readonly ChangeAction[] = ["reauthenticate", "bounce-port", "disable-port", "apply-role", "disconnect"];

export class CoaError extends Error {}

/** The action that moves a device into or out of quarantine at this NAS. */
export function quarantineAction(nas: NasConfig, purpose: "quarantine" | "release" | "regroup"): ChangeAction {
  const a = nas.coaAction ?? (nas.vendor === "cisco" ? "reauthenticate" : nas.vendor === "aruba" ? "apply-role" : "disconnect");
  // A new group is a new authorisation, as after a release.
  if (purpose === "regroup") return a === "apply-role" ? "disconnect" : a === "disable-port" ? "reauthenticate" : a;
  // A role applies the quarantine; leaving it takes a new authorisation.
  if (purpose === "release" && a === "apply-role") return "disconnect";
  // A port shut down for quarantine is not opened again by CoA: re-authenticate instead.
  if (purpose === "release" && a === "disable-port") return "reauthenticate";
  return a;
}

/** Which RADIUS request an action is on a NAS of this vendor, and its own attributes. */
function actionAttributes(nas: NasConfig, action: ChangeAction, role: string | undefined): { code: number; attrs: OutAttribute[] } {
  if (action === "disconnect") return { code: CODE.disconnectRequest, attrs: [] };
  if (nas.vendor === "cisco") {
    const command = { reauthenticate: "reauthenticate", "bounce-port": "bounce-host-port", "disable-port": "disable-host-port" } as Record<string, string>;
    if (!command[action]) throw new CoaError(`${action} is not a Cisco CoA command (reauthenticate, bounce-port, disable-port, disconnect)`);
    const attrs = [vendorAttribute(VENDOR.cisco, CISCO_AVPAIR, `subscriber:command=${command[action]}`)];
    if (action === "reauthenticate") attrs.push(vendorAttribute(VENDOR.cisco, CISCO_AVPAIR, "subscriber:reauthenticate-type=last"));
    return { code: CODE.coaRequest, attrs };
  }
  if (nas.vendor === "aruba" && action === "apply-role") {
    if (!role) throw new CoaError("apply-role needs the role to apply");
    return { code: CODE.coaRequest, attrs: [vendorAttribute(VENDOR.aruba, ARUBA_USER_ROLE, role)] };
  }
  // Other gear (and Aruba re-authentication): a Disconnect makes the port authenticate again.
  if (action === "reauthenticate") return { code: CODE.disconnectRequest, attrs: [] };
  throw new CoaError(`${action} is not available on ${nas.vendor} gear (reauthenticate${nas.vendor === "aruba" ? ", apply-role" : ""}, disconnect)`);
}

/**
 * The session's identification (RFC 5176 §3): NAS-IP-Address, the Calling-Station-Id as the
 * NAS spelled it, User-Name, Acct-Session-Id, and Cisco's audit-session-id when known.
 */
function sessionAttributes(nas: NasConfig, s: NacSession): OutAttribute[] {
  const out: OutAttribute[] = [];
  if (isIPv4(s.nasIp)) out.push({ type: ATTR.nasIpAddress, value: ipv4Bytes(s.nasIp) });
  if (s.userName) out.push({ type: ATTR.userName, value: s.userName });
  out.push({ type: ATTR.callingStationId, value: s.callingStationId ?? s.mac });
  if (s.acctSessionId) out.push({ type: ATTR.acctSessionId, value: s.acctSessionId });
  if (nas.vendor === "cisco" && s.auditSessionId) out.push(vendorAttribute(VENDOR.cisco, CISCO_AVPAIR, `audit-session-id=${s.auditSessionId}`));
  return out;
}

/**
 * A signed CoA-Request or Disconnect-Request: the action's attributes, the session's,
 * Event-Timestamp (RFC 5176 §3.5: gear rejects requests more than 300 s old) and a
 * Message-Authenticator. Pure but for the clock passed in.
 */
export function buildChangeRequest(nas: NasConfig, session: NacSession, action: ChangeAction, o: { identifier: number; nowS: number; role?: string; secret: RadiusSecret }): Buffer {
  const { code, attrs } = actionAttributes(nas, action, o.role);
  const body = encodeAttributes([
    ...sessionAttributes(nas, session), ...attrs,
    { type: ATTR.eventTimestamp, value: Math.floor(o.nowS) },
    { type: ATTR.messageAuthenticator, value: Buffer.alloc(16) },
  ]);
  const packet = encodePacket(code, o.identifier, Buffer.alloc(16), body);
  const ma = packet.length - 16;
  return signRequest(packet, ma, o.secret);
}

export interface ChangeAttempt {
  request: string;
  /** ACK, NAK, or "timeout" after every retry. */
  outcome: string;
  errorCause?: { code: number; name: string };
  tries: number;
  ms: number;
}

export interface ChangeResult {
  ok: boolean;
  action: ChangeAction;
  nas: string;
  attempts: ChangeAttempt[];
  /** One line for logs and the response record. */
  summary: string;
}

export interface CoaOptions {
  timeoutMs: number;
  retries: number;
}

interface Pending {
  request: Buffer;
  secret: RadiusSecret;
  resolve: (r: { code: number; errorCause?: number } | "timeout") => void;
}

/** Sends CoA and Disconnect requests from one UDP socket; replies are matched by NAS, port and identifier. */
export class CoaClient {
  private socket?: Socket;
  private closed = false;
  private readonly pending = new Map<string, Pending>();
  private readonly nextId = new Map<string, number>();
  /** Replies that failed their authenticator or matched nothing. */
  readonly ignored = { badAuthenticator: 0, unmatched: 0, malformed: 0 };

  constructor(private readonly options: CoaOptions, private readonly now: () => number = Date.now) {}

  private async open(): Promise<Socket> {
    if (this.socket) return this.socket;
    const s = createSocket({ type: "udp6", ipv6Only: false });
    s.on("message", (msg, rinfo) => this.receive(msg, rinfo.address, rinfo.port));
    s.on("error", () => undefined);
    await new Promise<void>((r) => s.bind(0, "::", () => r()));
    this.socket = s;
    return s;
  }

  private receive(msg: Buffer, address: string, port: number): void {
    const p = decodePacket(msg);
    if (typeof p === "string") {
      this.ignored.malformed++;
      return;
    }
    const from = address.startsWith("::ffff:") ? address.slice(7) : address;
    const key = `${from}|${port}|${p.identifier}`;
    const pending = this.pending.get(key);
    if (!pending) {
      this.ignored.unmatched++;
      return;
    }
    const secret = pending.secret;
    const reqAuth = pending.request.subarray(4, 20);
    const ma = messageAuthenticatorOffset(p);
    if (!responseAuthenticatorValid(p, reqAuth, secret) || ma === -2 || (ma >= 0 && !replyMessageAuthenticatorValid(p, ma, reqAuth, secret))) {
      this.ignored.badAuthenticator++;
      return;
    }
    this.pending.delete(key);
    pending.resolve({ code: p.code, errorCause: integer(p, ATTR.errorCause) });
  }

  private async exchange(nas: NasConfig, nasIp: string, build: (id: number) => Buffer, secret: RadiusSecret): Promise<ChangeAttempt> {
    const socket = await this.open();
    const peer = isIPv4(nasIp) ? `::ffff:${nasIp}` : nasIp;
    let id = this.nextId.get(nasIp) ?? randomBytes(1)[0];
    for (let n = 0; n < 256 && this.pending.has(`${nasIp}|${nas.coaPort}|${id}`); n++) id = (id + 1) & 0xff;
    this.nextId.set(nasIp, (id + 1) & 0xff);
    const request = build(id);
    const key = `${nasIp}|${nas.coaPort}|${id}`;
    const started = this.now();
    const name = CODE_NAMES[request[0]];
    let wait = this.options.timeoutMs;
    for (let tries = 1; tries <= this.options.retries + 1; tries++) {
      const answer = await new Promise<{ code: number; errorCause?: number } | "timeout">((resolve) => {
        const timer = setTimeout(() => {
          this.pending.delete(key);
          resolve("timeout");
        }, wait);
        this.pending.set(key, { request, secret, resolve: (r) => {
          clearTimeout(timer);
          resolve(r);
        } });
        socket.send(request, nas.coaPort, peer);
      });
      if (answer !== "timeout") {
        const cause = answer.errorCause;
        return {
          request: name, outcome: CODE_NAMES[answer.code] ?? `code ${answer.code}`, tries, ms: this.now() - started,
          errorCause: cause === undefined ? undefined : { code: cause, name: ERROR_CAUSES[cause] ?? "unknown" },
        };
      }
      wait *= 2;
    }
    return { request: name, outcome: "timeout", tries: this.options.retries + 1, ms: this.now() - started };
  }

  /**
   * Carries out `action` on the session: the vendor's request, and a Disconnect-Request when
   * a CoA-Request is NAKed. Never throws for network trouble: the result says what happened.
   */
  async change(nas: NasConfig, session: NacSession, action: ChangeAction, role?: string): Promise<ChangeResult> {
    if (this.closed) return { ok: false, action, nas: nas.name, attempts: [], summary: `${action} at ${nas.name}: not sent, the CoA client is closed (stopping)` };
    const secret = new RadiusSecret(nas.secret);
    const attempts: ChangeAttempt[] = [];
    const first = await this.exchange(nas, session.nasIp, (identifier) => buildChangeRequest(nas, session, action, { identifier, nowS: this.now() / 1000, role, secret }), secret);
    attempts.push(first);
    let ok = first.outcome === "CoA-ACK" || first.outcome === "Disconnect-ACK";
    if (first.outcome === "CoA-NAK") {
      const second = await this.exchange(nas, session.nasIp, (identifier) => buildChangeRequest(nas, session, "disconnect", { identifier, nowS: this.now() / 1000, secret }), secret);
      attempts.push(second);
      ok = second.outcome === "Disconnect-ACK";
    }
    const line = (a: ChangeAttempt): string => `${a.request} → ${a.outcome}${a.errorCause ? ` (Error-Cause ${a.errorCause.code} ${a.errorCause.name})` : ""}${a.tries > 1 ? ` after ${a.tries} tries` : ""}`;
    return { ok, action, nas: nas.name, attempts, summary: `${action} at ${nas.name} (${session.nasIp}:${nas.coaPort}): ${attempts.map(line).join("; then ")}` };
  }

  close(): void {
    this.closed = true;
    for (const p of this.pending.values()) p.resolve("timeout");
    this.pending.clear();
    this.socket?.close();
    this.socket = undefined;
  }
}
