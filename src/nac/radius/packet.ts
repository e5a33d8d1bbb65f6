import { isIPv4 } from "node:net";
import { ipv6ToString } from "../../net/addr.js";
import { ATTR, HEADER_LENGTH, MAX_PACKET, MAX_VALUE } from "./constants.js";

/**
 * RADIUS packets (RFC 2865 §3, §5): small symmetric decode and encode functions. Decoding
 * never throws: a malformed packet comes back as the name of its defect, so a flood of
 * garbage costs a comparison each, not an exception each. Attribute values are read in place.
 */

/** One attribute: its type and where its value lies in the packet. */
export interface Attribute {
  type: number;
  offset: number;
  length: number;
}

export interface RadiusPacket {
  raw: Buffer;
  code: number;
  identifier: number;
  /** The header's length: the packet proper (octets past it are padding and are ignored). */
  length: number;
  attributes: Attribute[];
}

/** Why a datagram is not a RADIUS packet. */
export type DecodeError = "too-short" | "bad-length" | "too-long" | "attribute-length";

/** Parses one datagram. Octets beyond the header's length are padding (RFC 2865 §3) and ignored. */
export function decodePacket(raw: Buffer): RadiusPacket | DecodeError {
  if (raw.length < HEADER_LENGTH) return "too-short";
  const length = raw.readUInt16BE(2);
  if (length > MAX_PACKET) return "too-long";
  if (length < HEADER_LENGTH || length > raw.length) return "bad-length";
  const attributes: Attribute[] = [];
  let o = HEADER_LENGTH;
  while (o < length) {
    if (o + 2 > length) return "attribute-length";
    const len = raw[o + 1];
    if (len < 2 || o + len > length) return "attribute-length";
    attributes.push({ type: raw[o], offset: o + 2, length: len - 2 });
    o += len;
  }
  return { raw, code: raw[0], identifier: raw[1], length, attributes };
}

export function attribute(p: RadiusPacket, type: number): Attribute | undefined {
  for (const a of p.attributes) if (a.type === type) return a;
  return undefined;
}

/** A text attribute's value; undefined when absent. */
export function text(p: RadiusPacket, type: number): string | undefined {
  const a = attribute(p, type);
  return a ? p.raw.toString("utf8", a.offset, a.offset + a.length) : undefined;
}

/** A 32-bit integer attribute's value; undefined when absent or not four octets. */
export function integer(p: RadiusPacket, type: number): number | undefined {
  const a = attribute(p, type);
  return a && a.length === 4 ? p.raw.readUInt32BE(a.offset) : undefined;
}

/** An IPv4 address attribute as dotted text; undefined when absent or not four octets. */
export function ipv4Of(p: RadiusPacket, type: number): string | undefined {
  const a = attribute(p, type);
  if (!a || a.length !== 4) return undefined;
  const r = p.raw;
  return `${r[a.offset]}.${r[a.offset + 1]}.${r[a.offset + 2]}.${r[a.offset + 3]}`;
}

/** Framed-IPv6-Address (RFC 6911): sixteen octets, as text. */
export function ipv6Of(p: RadiusPacket, type: number): string | undefined {
  const a = attribute(p, type);
  if (!a || a.length !== 16) return undefined;
  return ipv6ToString(p.raw, a.offset);
}

/** A vendor-specific sub-attribute (RFC 2865 §5.26 format: vendor id, then type, length, value). */
export interface VendorAttribute {
  vendor: number;
  type: number;
  value: Buffer;
}

/** The vendor-specific sub-attributes of one vendor; a malformed VSA is skipped. */
export function vendorAttributes(p: RadiusPacket, vendor: number): VendorAttribute[] {
  const out: VendorAttribute[] = [];
  for (const a of p.attributes) {
    if (a.type !== ATTR.vendorSpecific || a.length < 6 || p.raw.readUInt32BE(a.offset) !== vendor) continue;
    let o = a.offset + 4;
    const end = a.offset + a.length;
    while (o + 2 <= end) {
      const len = p.raw[o + 1];
      if (len < 2 || o + len > end) break;
      out.push({ vendor, type: p.raw[o], value: p.raw.subarray(o + 2, o + len) });
      o += len;
    }
  }
  return out;
}

/** Cisco-AVPair style "name=value" strings of one vendor attribute type. */
export function vendorStrings(p: RadiusPacket, vendor: number, type: number): string[] {
  return vendorAttributes(p, vendor).filter((v) => v.type === type).map((v) => v.value.toString("utf8"));
}

// --- encoding ---

export type AttributeValue = Buffer | string | number;

export interface OutAttribute {
  type: number;
  /** A number is a 32-bit integer; a string is UTF-8 text. */
  value: AttributeValue;
}

export class EncodeError extends Error {}

function bytesOf(v: AttributeValue): Buffer {
  if (typeof v === "number") {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(v >>> 0);
    return b;
  }
  return typeof v === "string" ? Buffer.from(v, "utf8") : v;
}

/** A vendor-specific attribute holding one sub-attribute. */
export function vendorAttribute(vendor: number, type: number, value: AttributeValue): OutAttribute {
  const v = bytesOf(value);
  if (v.length > MAX_VALUE - 6) throw new EncodeError(`vendor ${vendor} attribute ${type}: value of ${v.length} octets is longer than ${MAX_VALUE - 6}`);
  const b = Buffer.alloc(6 + v.length);
  b.writeUInt32BE(vendor, 0);
  b[4] = type;
  b[5] = v.length + 2;
  v.copy(b, 6);
  return { type: ATTR.vendorSpecific, value: b };
}

/** A tagged integer (RFC 2868 Tunnel-Type, Tunnel-Medium-Type): one tag octet, then 24 bits. */
export function taggedInteger(tag: number, n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n & 0xffffff);
  b[0] = tag;
  return b;
}

export function ipv4Bytes(addr: string): Buffer {
  if (!isIPv4(addr)) throw new EncodeError(`"${addr}" is not an IPv4 address`);
  return Buffer.from(addr.split(".").map(Number));
}

/** Attributes back to back, each value checked against the 253-octet limit. */
export function encodeAttributes(list: readonly OutAttribute[]): Buffer {
  const parts = list.map((a) => {
    const v = bytesOf(a.value);
    if (v.length > MAX_VALUE) throw new EncodeError(`attribute ${a.type}: value of ${v.length} octets is longer than ${MAX_VALUE}`);
    const h = Buffer.from([a.type, v.length + 2]);
    return [h, v];
  });
  return Buffer.concat(parts.flat());
}

/** A packet from its header fields and its encoded attributes (`body`). */
export function encodePacket(code: number, identifier: number, authenticator: Buffer, body: Buffer): Buffer {
  const length = HEADER_LENGTH + body.length;
  if (length > MAX_PACKET) throw new EncodeError(`packet of ${length} octets is longer than ${MAX_PACKET}`);
  const out = Buffer.allocUnsafe(length);
  out[0] = code;
  out[1] = identifier;
  out.writeUInt16BE(length, 2);
  authenticator.copy(out, 4, 0, 16);
  body.copy(out, HEADER_LENGTH);
  return out;
}
