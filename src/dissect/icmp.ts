import type { LayerResult, Packet } from "./packet.js";

/** ICMP (v4) and ICMPv6 share a type/code header; the payload follows the 4-byte header. */
export function dissectIcmp(p: Packet, off: number, end: number): LayerResult {
  if (end - off < 4) return p.proto === 58 ? "icmpv6.truncated" : "icmp.truncated";
  p.icmpType = p.buf[off];
  p.icmpCode = p.buf[off + 1];
  p.payloadOff = off + 4;
  p.payloadLen = end - off - 4;
  return undefined;
}
