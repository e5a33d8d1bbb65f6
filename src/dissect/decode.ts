import { LINKTYPE } from "../model/link-type.js";
import type { Frame } from "../model/frame.js";
import { ETHERTYPE, dissectEthernet } from "./ethernet.js";
import { dissectIpv4 } from "./ipv4.js";
import { dissectIpv6 } from "./ipv6.js";
import { dissectNull } from "./loopback.js";
import { dissectRawIp } from "./raw-ip.js";
import { dissectSll, dissectSll2 } from "./linux-sll.js";
import { dissectTcp } from "./tcp.js";
import { dissectUdp } from "./udp.js";
import { dissectIcmp } from "./icmp.js";
import { type LayerResult, type Packet, resetPacket } from "./packet.js";

export const PROTO_ICMP = 1;
export const PROTO_TCP = 6;
export const PROTO_UDP = 17;
export const PROTO_ICMPV6 = 58;
const PROTO_IPV6_IN_IPV4 = 41;

/** IP protocols that the IP header names by itself (nDPI and Zeek name these flows so too). */
export const IP_PROTOCOL_NAMES: ReadonlyMap<number, string> = new Map([
  [1, "icmp"], [2, "igmp"], [47, "gre"], [50, "esp"], [51, "ah"], [58, "icmpv6"], [89, "ospf"], [103, "pim"], [112, "vrrp"], [132, "sctp"],
]);

/**
 * Decodes link, network and transport headers of a frame into `p` with integer reads only.
 * Returns the error kind when a header is malformed; what was decoded before stays in `p`.
 */
export function decodeFrame(f: Frame, p: Packet): LayerResult {
  resetPacket(p);
  p.buf = f.buf;
  p.tsUs = f.tsUs;
  p.index = f.index;
  p.frameOff = f.offset;
  p.caplen = f.caplen;
  p.wireLen = f.wireLen;
  const start = f.offset;
  const end = f.offset + f.caplen;
  let r: LayerResult;
  switch (f.linkType) {
    case LINKTYPE.ETHERNET:
      r = dissectEthernet(p, start, end);
      break;
    case LINKTYPE.LINUX_SLL:
      r = dissectSll(p, start, end);
      break;
    case LINKTYPE.LINUX_SLL2:
      r = dissectSll2(p, start, end);
      break;
    case LINKTYPE.NULL:
      r = dissectNull(p, start, end, false);
      break;
    case LINKTYPE.LOOP:
      r = dissectNull(p, start, end, true);
      break;
    case LINKTYPE.RAW:
    case LINKTYPE.IPV4:
    case LINKTYPE.IPV6:
    case 12:
    case 14:
      r = dissectRawIp(p, start, end);
      break;
    default:
      return "link.unsupported-type";
  }
  if (r) return r;
  const l3 = p.l3Off;
  if (p.etherType === ETHERTYPE.IPV4) r = dissectIpv4(p, l3, end);
  else if (p.etherType === ETHERTYPE.IPV6) r = dissectIpv6(p, l3, end);
  else return undefined;
  if (r) return r;
  if (p.laterFragment) return undefined;
  let ipStop = l3 + p.ipLen;
  if (ipStop > end) ipStop = end;
  if (p.proto === PROTO_IPV6_IN_IPV4 && p.ipVersion === 4 && !p.fragment) {
    // 6in4 (RFC 4213): the flow is the tunnelled IPv6 packet's, as nDPI and Zeek see it.
    const inner = p.l4Off;
    p.etherType = ETHERTYPE.IPV6;
    p.l3Off = inner;
    r = dissectIpv6(p, inner, ipStop);
    if (r) return r;
    if (p.laterFragment) return undefined;
    if (inner + p.ipLen < ipStop) ipStop = inner + p.ipLen;
  }
  switch (p.proto) {
    case PROTO_TCP:
      return dissectTcp(p, p.l4Off, ipStop);
    case PROTO_UDP:
      return dissectUdp(p, p.l4Off, ipStop);
    case PROTO_ICMP:
    case PROTO_ICMPV6:
      return dissectIcmp(p, p.l4Off, ipStop);
    default:
      return undefined;
  }
}
