import { createHash, randomBytes } from "node:crypto";
import { ATTR, MAX_VALUE } from "./constants.js";
import type { OutAttribute, RadiusPacket } from "./packet.js";

/**
 * EAP inside RADIUS (RFC 3748, RFC 3579) and EAP-TLS's framing (RFC 5216 §3.1): symmetric
 * decode and encode, pure. Decoding never throws: a defect comes back as its name.
 */

export const EAP_CODE = { request: 1, response: 2, success: 3, failure: 4 } as const;
export const EAP_TYPE = { identity: 1, notification: 2, nak: 3, tls: 13 } as const;
/** EAP-TLS flags: Length included, More fragments, Start. */
export const TLS_FLAG = { length: 0x80, more: 0x40, start: 0x20 } as const;

export interface EapPacket {
  code: number;
  identifier: number;
  /** Type, for requests and responses. */
  type?: number;
  /** What follows the type octet. */
  data: Buffer;
}

export type EapDecodeError = "eap-too-short" | "eap-bad-length";

/** The EAP packet carried by a RADIUS packet's EAP-Message attributes, concatenated in order; undefined when none. */
export function eapMessageOf(p: RadiusPacket): Buffer | undefined {
  const parts: Buffer[] = [];
  for (const a of p.attributes) if (a.type === ATTR.eapMessage) parts.push(p.raw.subarray(a.offset, a.offset + a.length));
  return parts.length === 0 ? undefined : parts.length === 1 ? parts[0] : Buffer.concat(parts);
}

export function decodeEap(b: Buffer): EapPacket | EapDecodeError {
  if (b.length < 4) return "eap-too-short";
  const length = b.readUInt16BE(2);
  if (length < 4 || length > b.length) return "eap-bad-length";
  const code = b[0];
  if (code === EAP_CODE.request || code === EAP_CODE.response) {
    if (length < 5) return "eap-too-short";
    return { code, identifier: b[1], type: b[4], data: b.subarray(5, length) };
  }
  return { code, identifier: b[1], data: b.subarray(4, length) };
}

export function encodeEap(p: EapPacket): Buffer {
  const head = p.type === undefined ? 4 : 5;
  const out = Buffer.allocUnsafe(head + p.data.length);
  out[0] = p.code;
  out[1] = p.identifier;
  out.writeUInt16BE(out.length, 2);
  if (p.type !== undefined) out[4] = p.type;
  p.data.copy(out, head);
  return out;
}

/** An EAP packet as EAP-Message attributes of at most 253 octets each. */
export function eapAttributes(eap: Buffer): OutAttribute[] {
  const out: OutAttribute[] = [];
  for (let o = 0; o < eap.length; o += MAX_VALUE) out.push({ type: ATTR.eapMessage, value: eap.subarray(o, Math.min(o + MAX_VALUE, eap.length)) });
  return out;
}

export interface TlsFragment {
  flags: number;
  /** The whole TLS message's length, when the L flag is set. */
  total?: number;
  data: Buffer;
}

/** The EAP-TLS data of a request or response (flags, optional length, TLS bytes). */
export function decodeTlsFragment(data: Buffer): TlsFragment | "eap-tls-too-short" {
  if (data.length < 1) return "eap-tls-too-short";
  const flags = data[0];
  if (flags & TLS_FLAG.length) {
    if (data.length < 5) return "eap-tls-too-short";
    return { flags, total: data.readUInt32BE(1), data: data.subarray(5) };
  }
  return { flags, data: data.subarray(1) };
}

export function encodeTlsFragment(f: TlsFragment): Buffer {
  const withLength = f.total !== undefined;
  const out = Buffer.allocUnsafe(1 + (withLength ? 4 : 0) + f.data.length);
  out[0] = f.flags | (withLength ? TLS_FLAG.length : 0);
  if (withLength) out.writeUInt32BE(f.total!, 1);
  f.data.copy(out, withLength ? 5 : 1);
  return out;
}

/**
 * An MS-MPPE-Send-Key or -Recv-Key value (RFC 2548 §2.4.2, §2.4.3): a salt with its high bit
 * set, then the key's length and the key, padded to 16 octets and hidden by MD5 chaining over
 * the shared secret and the request authenticator.
 */
export function mppeKey(key: Buffer, secret: Buffer, requestAuthenticator: Buffer, salt: Buffer = randomBytes(2)): Buffer {
  salt[0] |= 0x80;
  const plain = Buffer.alloc(Math.ceil((key.length + 1) / 16) * 16);
  plain[0] = key.length;
  key.copy(plain, 1);
  const out = Buffer.allocUnsafe(2 + plain.length);
  salt.copy(out, 0, 0, 2);
  let prev = Buffer.concat([requestAuthenticator.subarray(0, 16), salt.subarray(0, 2)]);
  for (let i = 0; i < plain.length; i += 16) {
    const b = createHash("md5").update(secret).update(prev).digest();
    for (let j = 0; j < 16; j++) out[2 + i + j] = plain[i + j] ^ b[j];
    prev = out.subarray(2 + i, 2 + i + 16);
  }
  return out;
}
