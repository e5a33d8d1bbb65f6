import type { Packet } from "./packet.js";
import { u16be } from "../net/bytes.js";

/**
 * 802.1Q and QinQ (802.1ad) tags starting at `off` (just after the TPID that announced the
 * first tag). Records the outer and inner VLAN ids and returns the offset after the last
 * tag's type field, or -1 when the tags are cut short.
 */
export function parseVlanTags(p: Packet, off: number, end: number): number {
  const b = p.buf;
  let depth = 0;
  for (;;) {
    if (end - off < 4) return -1;
    const vid = u16be(b, off) & 0x0fff;
    if (depth === 0) p.vlan = vid;
    else if (depth === 1) p.innerVlan = vid;
    const next = u16be(b, off + 2);
    off += 4;
    depth++;
    if ((next !== 0x8100 && next !== 0x88a8 && next !== 0x9100) || depth >= 4) return off;
  }
}
