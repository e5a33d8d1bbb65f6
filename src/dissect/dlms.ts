import { u16be } from "../net/bytes.js";
import type { AppDissector } from "./context.js";

/**
 * DLMS/COSEM (IEC 62056), the language of electricity, gas and heat meters, over TCP or UDP 4059: either
 * the IEC 62056-47 wrapper (version 1, source and destination wPort, length of what follows)
 * or HDLC frames (IEC 62056-46: flag 0x7E, format type 0xA, 11-bit length, closing flag).
 */
function isDlms(b: Buffer, off: number, len: number): boolean {
  if (len < 9) return false;
  if (b[off] === 0x00 && b[off + 1] === 0x01) return u16be(b, off + 6) + 8 === len;
  if (b[off] === 0x7e && (b[off + 1] & 0xf0) === 0xa0) {
    const length = ((b[off + 1] & 0x07) << 8) | b[off + 2];
    return length + 2 === len && b[off + len - 1] === 0x7e;
  }
  return false;
}

export const dlmsTcp: AppDissector = {
  name: "dlms",
  transport: "tcp",
  ports: [4059],
  test: isDlms,
  dissect: (b, off, len) => isDlms(b, off, len),
};

export const dlmsUdp: AppDissector = {
  name: "dlms",
  transport: "udp",
  ports: [4059],
  dissect: (b, off, len) => isDlms(b, off, len),
};
