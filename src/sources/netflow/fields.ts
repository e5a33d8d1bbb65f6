/**
 * Information elements Cordon reads from NetFlow v9 and IPFIX records (IANA IPFIX registry;
 * v9 shares the numbers below 128). Everything else in a template is skipped by its length.
 */
export const IE = {
  octetDeltaCount: 1,
  packetDeltaCount: 2,
  protocolIdentifier: 4,
  tcpControlBits: 6,
  sourceTransportPort: 7,
  sourceIPv4Address: 8,
  destinationTransportPort: 11,
  destinationIPv4Address: 12,
  flowEndSysUpTime: 21,
  flowStartSysUpTime: 22,
  sourceIPv6Address: 27,
  destinationIPv6Address: 28,
  icmpTypeCodeIPv4: 32,
  samplingInterval: 34,
  samplingAlgorithm: 35,
  samplerRandomInterval: 50,
  sourceMacAddress: 56,
  postDestinationMacAddress: 57,
  vlanId: 58,
  destinationMacAddress: 80,
  postSourceMacAddress: 81,
  octetTotalCount: 85,
  packetTotalCount: 86,
  icmpTypeCodeIPv6: 139,
  flowStartSeconds: 150,
  flowEndSeconds: 151,
  flowStartMilliseconds: 152,
  flowEndMilliseconds: 153,
  flowStartMicroseconds: 154,
  flowEndMicroseconds: 155,
  flowStartNanoseconds: 156,
  flowEndNanoseconds: 157,
  flowStartDeltaMicroseconds: 158,
  flowEndDeltaMicroseconds: 159,
  systemInitTimeMilliseconds: 160,
  dot1qVlanId: 243,
  samplingPacketInterval: 305,
  samplingPacketSpace: 306,
} as const;

/** IPFIX's marker for a variable-length field (RFC 7011 §7). */
export const VARIABLE_LENGTH = 65535;

/** Reads an unsigned big-endian integer of 1–8 bytes as a number (exact below 2^53). */
export function readUnsigned(b: Buffer, off: number, len: number): number {
  switch (len) {
    case 1: return b[off];
    case 2: return (b[off] << 8) | b[off + 1];
    case 4: return b.readUInt32BE(off);
    default: {
      let v = 0;
      for (let i = 0; i < len && i < 8; i++) v = v * 256 + b[off + i];
      return v;
    }
  }
}

/** NTP-format timestamp (IPFIX dateTimeMicroseconds/Nanoseconds): seconds since 1900 and a fraction. */
export function ntpToUs(b: Buffer, off: number): number {
  const seconds = b.readUInt32BE(off) - 2_208_988_800;
  const fraction = b.readUInt32BE(off + 4);
  return seconds * 1_000_000 + Math.floor((fraction / 4294967296) * 1_000_000);
}
