import type { DissectContext } from "./context.js";
import { ipv6ToString, isMulticastIpv6, readMac } from "../net/addr.js";

const ROUTER_SOLICIT = 133;
const ROUTER_ADVERT = 134;
const NEIGHBOR_SOLICIT = 135;
const NEIGHBOR_ADVERT = 136;
const OPT_SOURCE_LLADDR = 1;
const OPT_TARGET_LLADDR = 2;

/** The link-layer address option of a ND message, when present. */
function llOption(b: Buffer, off: number, end: number, want: number): number | undefined {
  let p = off;
  while (p + 8 <= end) {
    const type = b[p];
    const len = b[p + 1] * 8;
    if (len === 0) return undefined;
    if (type === want && len >= 8) return readMac(b, p + 2);
    p += len;
  }
  return undefined;
}

/**
 * ICMPv6 neighbour discovery (RFC 4861): which MAC holds which IPv6 address, and who is a
 * router. `off` is the ICMPv6 header.
 */
export function dissectNeighbourDiscovery(b: Buffer, off: number, len: number, ctx: DissectContext): void {
  const p = ctx.pkt;
  if (len < 4) return;
  const type = b[off];
  if (type < ROUTER_SOLICIT || type > NEIGHBOR_ADVERT) return;
  const end = off + len;
  const srcUnspecified = p.buf.readUInt32BE(p.src6Off) === 0 && p.buf.readUInt32BE(p.src6Off + 4) === 0
    && p.buf.readUInt32BE(p.src6Off + 8) === 0 && p.buf.readUInt32BE(p.src6Off + 12) === 0;
  if (type === NEIGHBOR_ADVERT) {
    if (len < 24) return ctx.error("icmpv6.nd-truncated");
    const target = ipv6ToString(b, off + 8);
    const mac = llOption(b, off + 24, end, OPT_TARGET_LLADDR);
    ctx.emit("ndp.claim", mac !== undefined ? { mac } : "src", target);
    return;
  }
  if (type === NEIGHBOR_SOLICIT) {
    if (len < 24) return ctx.error("icmpv6.nd-truncated");
    // Duplicate-address detection solicits from :: and claims nothing yet.
    if (srcUnspecified || isMulticastIpv6(p.buf, p.src6Off)) return;
    const mac = llOption(b, off + 24, end, OPT_SOURCE_LLADDR);
    ctx.emit("ndp.claim", mac !== undefined ? { mac } : "src", ipv6ToString(p.buf, p.src6Off));
    return;
  }
  if (type === ROUTER_ADVERT) {
    if (len < 16) return ctx.error("icmpv6.nd-truncated");
    const mac = llOption(b, off + 16, end, OPT_SOURCE_LLADDR);
    ctx.emit("ndp.router", mac !== undefined ? { mac } : "src", ipv6ToString(p.buf, p.src6Off));
    ctx.emit("ndp.claim", mac !== undefined ? { mac } : "src", ipv6ToString(p.buf, p.src6Off));
    return;
  }
  if (type === ROUTER_SOLICIT && !srcUnspecified) {
    const mac = llOption(b, off + 8, end, OPT_SOURCE_LLADDR);
    ctx.emit("ndp.claim", mac !== undefined ? { mac } : "src", ipv6ToString(p.buf, p.src6Off));
  }
}
