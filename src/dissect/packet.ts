/**
 * The decoded headers of one frame. One instance is reused for every frame (no object per
 * packet): layer dissectors fill it with integer reads, and fields of layers that are absent
 * are reset by `resetPacket`.
 */
export interface Packet {
  buf: Buffer;
  tsUs: number;
  index: number;
  /** Offset of the frame's first byte in buf. */
  frameOff: number;
  /** Captured frame length. */
  caplen: number;
  wireLen: number;

  /** MAC addresses as 48-bit integers; -1 when the link layer has none. */
  srcMac: number;
  dstMac: number;
  /** Outer VLAN id (0 when untagged) and inner id for QinQ. */
  vlan: number;
  innerVlan: number;
  etherType: number;
  /** Offset of the network-layer header. */
  l3Off: number;

  /** 0 (not IP), 4 or 6. */
  ipVersion: number;
  /** IP-layer length from the header (what NetFlow counts). */
  ipLen: number;
  ttl: number;
  src4: number;
  dst4: number;
  /** Offsets of the 16-byte IPv6 addresses in buf. */
  src6Off: number;
  dst6Off: number;
  /** Transport protocol number (6 TCP, 17 UDP, 1 ICMP, 58 ICMPv6, ...). */
  proto: number;
  /** True for fragments other than the first: no transport header. */
  laterFragment: boolean;
  /** True when this is any fragment (first or later). */
  fragment: boolean;
  /** Identification shared by the fragments of one datagram. */
  fragId: number;

  l4Off: number;
  srcPort: number;
  dstPort: number;
  tcpFlags: number;
  tcpSeq: number;
  icmpType: number;
  icmpCode: number;
  /** Application payload within buf, bounded by both the capture and the IP length. */
  payloadOff: number;
  payloadLen: number;
}

export function newPacket(): Packet {
  return {
    buf: Buffer.alloc(0), tsUs: 0, index: 0, frameOff: 0, caplen: 0, wireLen: 0,
    srcMac: -1, dstMac: -1, vlan: 0, innerVlan: 0, etherType: 0, l3Off: 0,
    ipVersion: 0, ipLen: 0, ttl: 0, src4: 0, dst4: 0, src6Off: 0, dst6Off: 0,
    proto: 0, laterFragment: false, fragment: false, fragId: 0,
    l4Off: 0, srcPort: 0, dstPort: 0, tcpFlags: 0, tcpSeq: 0, icmpType: 0, icmpCode: 0,
    payloadOff: 0, payloadLen: 0,
  };
}

export function resetPacket(p: Packet): void {
  p.srcMac = -1;
  p.dstMac = -1;
  p.vlan = 0;
  p.innerVlan = 0;
  p.etherType = 0;
  p.ipVersion = 0;
  p.ipLen = 0;
  p.proto = 0;
  p.laterFragment = false;
  p.fragment = false;
  p.srcPort = 0;
  p.dstPort = 0;
  p.tcpFlags = 0;
  p.icmpType = 0;
  p.icmpCode = 0;
  p.payloadOff = 0;
  p.payloadLen = 0;
}

/** Decode outcome of one layer: OK, or the error kind that stopped decoding. */
export type LayerResult = string | undefined;
