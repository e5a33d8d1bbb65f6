import type { DissectContext } from "./context.js";
import { readMac } from "../net/addr.js";

/**
 * ARP over Ethernet/IPv4: the sender binds its MAC to its IPv4 address. Probes (sender
 * 0.0.0.0) claim nothing yet.
 */
export function dissectArp(b: Buffer, off: number, len: number, ctx: DissectContext): void {
  if (len < 28) {
    ctx.error("arp.truncated");
    return;
  }
  const htype = b.readUInt16BE(off);
  const ptype = b.readUInt16BE(off + 2);
  if (htype !== 1 || ptype !== 0x0800 || b[off + 4] !== 6 || b[off + 5] !== 4) {
    ctx.error("arp.unsupported-type");
    return;
  }
  const op = b.readUInt16BE(off + 6);
  if (op !== 1 && op !== 2) {
    ctx.error("arp.unknown-operation");
    return;
  }
  const spa = b.readUInt32BE(off + 14);
  if (spa === 0) return;
  const mac = readMac(b, off + 8);
  ctx.emit("arp.claim", { mac }, `${spa >>> 24}.${(spa >>> 16) & 0xff}.${(spa >>> 8) & 0xff}.${spa & 0xff}`);
  if (op === 1) {
    const tpa = b.readUInt32BE(off + 24);
    if (tpa !== spa) ctx.emit("arp.request", { mac }, `${tpa >>> 24}.${(tpa >>> 16) & 0xff}.${(tpa >>> 8) & 0xff}.${tpa & 0xff}`);
  }
}
