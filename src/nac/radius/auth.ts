import { timingSafeEqual } from "node:crypto";
import { ATTR, CODE, HEADER_LENGTH } from "./constants.js";
import { HmacMd5Key, Md5 } from "./md5.js";
import type { RadiusPacket } from "./packet.js";

/**
 * The RADIUS authenticators: the Request Authenticator of Accounting, CoA and Disconnect
 * requests (RFC 2866 §3, RFC 5176 §2.3), the Response Authenticator (RFC 2865 §3), and the
 * Message-Authenticator HMAC-MD5 (RFC 3579 §3.2). Pure functions over packet bytes; a packet
 * is hashed from its parts, never copied or changed to zero a field.
 */

const ZERO16 = new Uint8Array(16);
/** One MD5 object reused for every plain digest (JavaScript runs one at a time). */
const md5 = new Md5();

/** A shared secret, with its HMAC pads hashed once. */
export class RadiusSecret {
  readonly bytes: Buffer;
  readonly hmac: HmacMd5Key;

  constructor(secret: string | Buffer) {
    this.bytes = typeof secret === "string" ? Buffer.from(secret, "utf8") : secret;
    this.hmac = new HmacMd5Key(this.bytes);
  }
}

/** Requests whose authenticator is a keyed digest, not a random nonce. */
export const isSignedRequest = (code: number): boolean =>
  code === CODE.accountingRequest || code === CODE.coaRequest || code === CODE.disconnectRequest;

const equal16 = (a: Uint8Array, b: Buffer, offset: number): boolean => timingSafeEqual(a, b.subarray(offset, offset + 16));

/** MD5(Code + Identifier + Length + 16 zero octets + Attributes + Secret) over `packet[0, length)`. */
export function requestDigest(packet: Buffer, length: number, secret: RadiusSecret): Buffer {
  return md5.reset().update(packet, 0, 4).zeros(16).update(packet, HEADER_LENGTH, length).update(secret.bytes).digest();
}

/** Whether a signed request's authenticator is the digest its secret gives. */
export function requestAuthenticatorValid(p: RadiusPacket, secret: RadiusSecret): boolean {
  return equal16(requestDigest(p.raw, p.length, secret), p.raw, 4);
}

/**
 * The offset of the Message-Authenticator's value, or -1. More than one, or one of the
 * wrong length, counts as invalid (-2): RFC 3579 allows exactly one of 16 octets.
 */
export function messageAuthenticatorOffset(p: RadiusPacket): number {
  let found = -1;
  for (const a of p.attributes) {
    if (a.type !== ATTR.messageAuthenticator) continue;
    if (found !== -1 || a.length !== 16) return -2;
    found = a.offset;
  }
  return found;
}

/**
 * HMAC-MD5 over `packet[0, length)` as if its Message-Authenticator value (at `maOffset`)
 * were zeros and `authenticator` were in its header: the request's own for Access-Request
 * and Status-Server; zeros for signed requests; the request's for every reply.
 */
export function messageAuthenticator(packet: Buffer, length: number, maOffset: number, authenticator: Uint8Array, secret: RadiusSecret, out: Uint8Array = Buffer.allocUnsafe(16), outOffset = 0): Uint8Array {
  const h = secret.hmac.start().update(packet, 0, 4).update(authenticator, 0, 16).update(packet, HEADER_LENGTH, maOffset).zeros(16).update(packet, maOffset + 16, length);
  return secret.hmac.finish(h, out, outOffset);
}

/** Whether a request's Message-Authenticator (at `maOffset`) is right for the secret. */
export function requestMessageAuthenticatorValid(p: RadiusPacket, maOffset: number, secret: RadiusSecret): boolean {
  const auth = isSignedRequest(p.code) ? ZERO16 : p.raw.subarray(4, 20);
  return equal16(messageAuthenticator(p.raw, p.length, maOffset, auth, secret), p.raw, maOffset);
}

/**
 * Signs a reply in place: `reply` gets the request's authenticator in its header and, when
 * `maOffset` ≥ 0 (its Message-Authenticator value, zeroed), the HMAC there; then the
 * Response Authenticator over the result (RFC 3579 §3.2 order).
 */
export function signReply(reply: Buffer, maOffset: number, requestAuthenticator: Uint8Array, secret: RadiusSecret): Buffer {
  reply.set(requestAuthenticator.subarray(0, 16), 4);
  if (maOffset >= 0) secret.hmac.finish(secret.hmac.start().update(reply), reply, maOffset);
  md5.reset().update(reply).update(secret.bytes).digestInto(reply, 4);
  return reply;
}

/** Signs a CoA, Disconnect or Accounting request in place: Message-Authenticator (header zeroed), then the Request Authenticator. */
export function signRequest(packet: Buffer, maOffset: number, secret: RadiusSecret): Buffer {
  packet.fill(0, 4, 20);
  if (maOffset >= 0) {
    packet.fill(0, maOffset, maOffset + 16);
    secret.hmac.finish(secret.hmac.start().update(packet), packet, maOffset);
  }
  requestDigest(packet, packet.length, secret).copy(packet, 4);
  return packet;
}

/** Whether a reply's Response Authenticator matches the request it answers. */
export function responseAuthenticatorValid(reply: RadiusPacket, requestAuthenticator: Uint8Array, secret: RadiusSecret): boolean {
  const expected = md5.reset().update(reply.raw, 0, 4).update(requestAuthenticator, 0, 16).update(reply.raw, HEADER_LENGTH, reply.length).update(secret.bytes).digest();
  return equal16(expected, reply.raw, 4);
}

/** Whether a reply's Message-Authenticator (computed with the request's authenticator in the header) is right. */
export function replyMessageAuthenticatorValid(reply: RadiusPacket, maOffset: number, requestAuthenticator: Uint8Array, secret: RadiusSecret): boolean {
  return equal16(messageAuthenticator(reply.raw, reply.length, maOffset, requestAuthenticator, secret), reply.raw, maOffset);
}
