import { dissectArp } from "./arp.js";
import { dissectCdp, isCdpLlc } from "./cdp.js";
import type { DissectContext } from "./context.js";
import { ETHERTYPE } from "./ethernet.js";
import { dissectGoose } from "./goose.js";
import { dissectLldp } from "./lldp.js";
import { dissectProfinetDcp } from "./profinet-dcp.js";

/** A link-layer dissector: a pure function over the frame's payload after the Ethernet (and VLAN) header. */
export type LinkDissector = (b: Buffer, off: number, len: number, ctx: DissectContext) => void;

/**
 * Every link-layer dissector, by EtherType, beside the application registry (registry.ts). A
 * new link-layer protocol is one file and one line here. 802.3 frames with an LLC header carry
 * CDP behind their SNAP header.
 */
export const LINK_DISSECTORS: ReadonlyMap<number, LinkDissector> = new Map<number, LinkDissector>([
  [ETHERTYPE.ARP, dissectArp],
  [ETHERTYPE.LLDP, dissectLldp],
  [ETHERTYPE.PROFINET, dissectProfinetDcp],
  [ETHERTYPE.GOOSE, dissectGoose],
  [ETHERTYPE.LLC, (b, off, len, ctx) => {
    if (isCdpLlc(b, off, len)) dissectCdp(b, off + 8, len - 8, ctx);
  }],
]);
