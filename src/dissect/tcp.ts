import type { LayerResult, Packet } from "./packet.js";
import { u16be, u32be } from "../net/bytes.js";

export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_PSH = 0x08;
export const TCP_ACK = 0x10;
export const TCP_URG = 0x20;

/** TCP header: ports, sequence number, flags and the payload's place. */
export function dissectTcp(p: Packet, off: number, end: number): LayerResult {
  const b = p.buf;
  if (end - off < 20) return "tcp.truncated";
  p.srcPort = u16be(b, off);
  p.dstPort = u16be(b, off + 2);
  p.tcpSeq = u32be(b, off + 4);
  const doff = (b[off + 12] >> 4) * 4;
  p.tcpFlags = b[off + 13] | ((b[off + 12] & 0x01) << 8);
  if (doff < 20) return "tcp.bad-header-length";
  const start = off + doff;
  p.payloadOff = start;
  p.payloadLen = end > start ? end - start : 0;
  return undefined;
}
