import type { LayerResult, Packet } from "./packet.js";
import { u16be, u48be } from "../net/bytes.js";
import { parseVlanTags } from "./vlan.js";

export const ETHERTYPE = {
  IPV4: 0x0800,
  ARP: 0x0806,
  IPV6: 0x86dd,
  VLAN: 0x8100,
  QINQ: 0x88a8,
  QINQ_OLD: 0x9100,
  LLDP: 0x88cc,
  PROFINET: 0x8892,
  GOOSE: 0x88b8,
  PPPOE_SESSION: 0x8864,
  /** Pseudo-type for 802.3 frames with an LLC header (CDP rides on LLC/SNAP). */
  LLC: 0x0001,
} as const;

/** Ethernet II or 802.3 header, then any 802.1Q/QinQ tags. Returns the error kind, if any. */
export function dissectEthernet(p: Packet, off: number, end: number): LayerResult {
  const b = p.buf;
  if (end - off < 14) return "ethernet.truncated";
  p.dstMac = u48be(b, off);
  p.srcMac = u48be(b, off + 6);
  const type = u16be(b, off + 12);
  return afterEthertype(p, type, off + 14, end);
}

/** Shared by Ethernet and the Linux cooked headers: tags, then the network layer's offset. */
export function afterEthertype(p: Packet, type: number, off: number, end: number): LayerResult {
  if (type === ETHERTYPE.VLAN || type === ETHERTYPE.QINQ || type === ETHERTYPE.QINQ_OLD) {
    const r = parseVlanTags(p, off, end);
    if (r < 0) return "vlan.truncated";
    off = r;
    type = u16be(p.buf, off - 2);
  }
  if (type === ETHERTYPE.PPPOE_SESSION) {
    // PPPoE session (RFC 2516): version/type 0x11, code 0, session id, length; then the PPP
    // protocol, 0x0021 IPv4 or 0x0057 IPv6 (captures taken on a DSL uplink).
    if (end - off < 8) return "pppoe.truncated";
    const b = p.buf;
    const ppp = u16be(b, off + 6);
    if (b[off] === 0x11 && b[off + 1] === 0 && (ppp === 0x0021 || ppp === 0x0057)) {
      p.etherType = ppp === 0x0021 ? ETHERTYPE.IPV4 : ETHERTYPE.IPV6;
      p.l3Off = off + 8;
      return undefined;
    }
  }
  if (type <= 1500) {
    p.etherType = ETHERTYPE.LLC;
  } else {
    p.etherType = type;
  }
  p.l3Off = off;
  return undefined;
}
