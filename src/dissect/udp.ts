import type { LayerResult, Packet } from "./packet.js";
import { u16be } from "../net/bytes.js";

/** UDP header: ports and the payload, bounded by the UDP length and the capture. */
export function dissectUdp(p: Packet, off: number, end: number): LayerResult {
  const b = p.buf;
  if (end - off < 8) return "udp.truncated";
  p.srcPort = u16be(b, off);
  p.dstPort = u16be(b, off + 2);
  const len = u16be(b, off + 4);
  if (len !== 0 && len < 8) return "udp.bad-length";
  let stop = len === 0 ? end : off + len;
  if (stop > end) stop = end;
  p.payloadOff = off + 8;
  p.payloadLen = stop - off - 8;
  return undefined;
}
