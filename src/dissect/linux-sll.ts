import type { LayerResult, Packet } from "./packet.js";
import { afterEthertype } from "./ethernet.js";

/**
 * Linux cooked capture headers. SLL (v1, 16 bytes): packet type, ARPHRD type, address length,
 * 8 address bytes, protocol. SLL2 (20 bytes): protocol first, then interface index, ARPHRD,
 * packet type, address length, 8 address bytes. Only the sender's address is known; when it
 * is a 6-byte Ethernet address it becomes the source MAC.
 */
export function dissectSll(p: Packet, off: number, end: number): LayerResult {
  const b = p.buf;
  if (end - off < 16) return "sll.truncated";
  const hatype = b.readUInt16BE(off + 2);
  const alen = b.readUInt16BE(off + 4);
  if (alen === 6 && (hatype === 1 || hatype === 772)) p.srcMac = b.readUIntBE(off + 6, 6);
  const proto = b.readUInt16BE(off + 14);
  return afterEthertype(p, proto, off + 16, end);
}

export function dissectSll2(p: Packet, off: number, end: number): LayerResult {
  const b = p.buf;
  if (end - off < 20) return "sll2.truncated";
  const proto = b.readUInt16BE(off);
  const hatype = b.readUInt16BE(off + 8);
  const alen = b[off + 11];
  if (alen === 6 && (hatype === 1 || hatype === 772)) p.srcMac = b.readUIntBE(off + 12, 6);
  return afterEthertype(p, proto, off + 20, end);
}
