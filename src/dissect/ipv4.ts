import type { LayerResult, Packet } from "./packet.js";
import { u16be, u32be } from "../net/bytes.js";

/**
 * IPv4 header. Sets addresses, protocol, TTL, the IP-layer length and the transport offset.
 * Fragments are marked; only the first fragment carries a transport header.
 */
export function dissectIpv4(p: Packet, off: number, end: number): LayerResult {
  const b = p.buf;
  if (end - off < 20) return "ipv4.truncated";
  const vihl = b[off];
  if (vihl >> 4 !== 4) return "ipv4.bad-version";
  const ihl = (vihl & 0x0f) * 4;
  if (ihl < 20) return "ipv4.bad-header-length";
  if (end - off < ihl) return "ipv4.truncated";
  let total = u16be(b, off + 2);
  // Zero total length appears with TCP segmentation offload: take what was captured.
  if (total === 0) total = p.wireLen - (off - p.frameOff);
  if (total < ihl) return "ipv4.bad-total-length";
  const frag = u16be(b, off + 6);
  const fragOffset = frag & 0x1fff;
  const moreFragments = (frag & 0x2000) !== 0;
  p.ipVersion = 4;
  p.ipLen = total;
  p.ttl = b[off + 8];
  p.proto = b[off + 9];
  p.src4 = u32be(b, off + 12);
  p.dst4 = u32be(b, off + 16);
  p.fragment = moreFragments || fragOffset !== 0;
  if (p.fragment) p.fragId = u16be(b, off + 4);
  p.laterFragment = fragOffset !== 0;
  p.l4Off = off + ihl;
  return undefined;
}
