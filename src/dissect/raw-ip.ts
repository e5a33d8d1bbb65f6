import type { LayerResult, Packet } from "./packet.js";
import { ETHERTYPE } from "./ethernet.js";

/** Raw IP link types: the version nibble says which. */
export function dissectRawIp(p: Packet, off: number, end: number): LayerResult {
  if (end - off < 1) return "raw.truncated";
  const v = p.buf[off] >> 4;
  p.l3Off = off;
  if (v === 4) p.etherType = ETHERTYPE.IPV4;
  else if (v === 6) p.etherType = ETHERTYPE.IPV6;
  else return "raw.bad-version";
  return undefined;
}
