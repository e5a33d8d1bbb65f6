import type { LayerResult, Packet } from "./packet.js";
import { ETHERTYPE } from "./ethernet.js";

/**
 * BSD loopback (DLT_NULL, host byte order) and OpenBSD loop (DLT_LOOP, network order): a
 * 4-byte address family. AF_INET is 2 everywhere; AF_INET6 is 24, 28 or 30 by platform.
 */
export function dissectNull(p: Packet, off: number, end: number, networkOrder: boolean): LayerResult {
  if (end - off < 4) return "null.truncated";
  const b = p.buf;
  let af = networkOrder ? b.readUInt32BE(off) : b.readUInt32LE(off);
  // A DLT_NULL capture written on a host of the other byte order.
  if (!networkOrder && af > 0xffff) af = b.readUInt32BE(off);
  p.l3Off = off + 4;
  if (af === 2) p.etherType = ETHERTYPE.IPV4;
  else if (af === 24 || af === 28 || af === 30 || af === 10) p.etherType = ETHERTYPE.IPV6;
  else return "null.unknown-family";
  return undefined;
}
