import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { ATTR, CODE, HEADER_LENGTH } from "./constants.js";
import type { RadiusPacket } from "./packet.js";

/**
 * The RADIUS authenticators: the Request Authenticator of Accounting, CoA and Disconnect
 * requests (RFC 2866 §3, RFC 5176 §2.3), the Response Authenticator (RFC 2865 §3), and the
 * Message-Authenticator HMAC-MD5 (RFC 3579 §3.2). Pure functions over packet bytes.
 */

const ZERO16 = Buffer.alloc(16);

/** Requests whose authenticator is a keyed digest, not a random nonce. */
export const isSignedRequest = (code: number): boolean =>
  code === CODE.accountingRequest || code === CODE.coaRequest || code === CODE.disconnectRequest;

/** MD5(Code + Identifier + Length + 16 zero octets + Attributes + Secret) over `packet[0, length)`. */
export function requestDigest(packet: Buffer, length: number, secret: Buffer): Buffer {
  return createHash("md5").update(packet.subarray(0, 4)).update(ZERO16).update(packet.subarray(HEADER_LENGTH, length)).update(secret).digest();
}

/** Whether a signed request's authenticator is the digest its secret gives. */
export function requestAuthenticatorValid(p: RadiusPacket, secret: Buffer): boolean {
  return timingSafeEqual(requestDigest(p.raw, p.length, secret), p.raw.subarray(4, 20));
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
 * HMAC-MD5 over the packet with the Message-Authenticator's value zeroed and `authenticator`
 * in the header (the request's own for Access-Request and Status-Server; zeros for signed
 * requests; the request's for every reply). The packet is restored before returning.
 */
export function messageAuthenticator(packet: Buffer, length: number, maOffset: number, authenticator: Buffer, secret: Buffer): Buffer {
  const savedMa = Buffer.from(packet.subarray(maOffset, maOffset + 16));
  const savedAuth = Buffer.from(packet.subarray(4, 20));
  packet.fill(0, maOffset, maOffset + 16);
  authenticator.copy(packet, 4);
  const mac = createHmac("md5", secret).update(packet.subarray(0, length)).digest();
  savedMa.copy(packet, maOffset);
  savedAuth.copy(packet, 4);
  return mac;
}

/** Whether a request's Message-Authenticator (at `maOffset`) is right for the secret. */
export function requestMessageAuthenticatorValid(p: RadiusPacket, maOffset: number, secret: Buffer): boolean {
  const auth = isSignedRequest(p.code) ? ZERO16 : p.raw.subarray(4, 20);
  const expected = messageAuthenticator(p.raw, p.length, maOffset, Buffer.from(auth), secret);
  return timingSafeEqual(expected, p.raw.subarray(maOffset, maOffset + 16));
}

/**
 * Signs a reply in place: `reply` holds the request's authenticator in its header and, when
 * `maOffset` ≥ 0, a zeroed Message-Authenticator there. Computes the Message-Authenticator
 * first, then the Response Authenticator over the result (RFC 3579 §3.2 order).
 */
export function signReply(reply: Buffer, maOffset: number, requestAuthenticator: Buffer, secret: Buffer): Buffer {
  requestAuthenticator.copy(reply, 4, 0, 16);
  if (maOffset >= 0) {
    reply.fill(0, maOffset, maOffset + 16);
    createHmac("md5", secret).update(reply).digest().copy(reply, maOffset);
  }
  createHash("md5").update(reply).update(secret).digest().copy(reply, 4);
  return reply;
}

/** Signs a CoA, Disconnect or Accounting request in place: Message-Authenticator (header zeroed), then the Request Authenticator. */
export function signRequest(packet: Buffer, maOffset: number, secret: Buffer): Buffer {
  packet.fill(0, 4, 20);
  if (maOffset >= 0) {
    packet.fill(0, maOffset, maOffset + 16);
    createHmac("md5", secret).update(packet).digest().copy(packet, maOffset);
  }
  requestDigest(packet, packet.length, secret).copy(packet, 4);
  return packet;
}

/** Whether a reply's Response Authenticator matches the request it answers. */
export function responseAuthenticatorValid(reply: RadiusPacket, requestAuthenticator: Buffer, secret: Buffer): boolean {
  const expected = createHash("md5").update(reply.raw.subarray(0, 4)).update(requestAuthenticator).update(reply.raw.subarray(HEADER_LENGTH, reply.length)).update(secret).digest();
  return timingSafeEqual(expected, reply.raw.subarray(4, 20));
}

/** Whether a reply's Message-Authenticator (computed with the request's authenticator in the header) is right. */
export function replyMessageAuthenticatorValid(reply: RadiusPacket, maOffset: number, requestAuthenticator: Buffer, secret: Buffer): boolean {
  const expected = messageAuthenticator(reply.raw, reply.length, maOffset, requestAuthenticator, secret);
  return timingSafeEqual(expected, reply.raw.subarray(maOffset, maOffset + 16));
}
