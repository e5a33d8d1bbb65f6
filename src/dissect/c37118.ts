import { u16be } from "../net/bytes.js";
import type { AppDissector } from "./context.js";

/**
 * IEEE C37.118 synchrophasor frames (PMUs and phasor data concentrators, TCP 4712 and UDP
 * 4713): the sync byte 0xAA, a frame type (data, header, configuration 1/2/3, command) with
 * version 1 or 2, and the frame size.
 */
function isC37118(b: Buffer, off: number, len: number, exact: boolean): boolean {
  if (len < 16 || b[off] !== 0xaa) return false;
  const type = (b[off + 1] >> 4) & 0x07;
  const version = b[off + 1] & 0x0f;
  const size = u16be(b, off + 2);
  if (type > 5 || version < 1 || version > 2 || size < 16) return false;
  // Over TCP a large configuration frame may span segments.
  return !exact || size === len;
}

export const c37118Tcp: AppDissector = {
  name: "c37.118",
  transport: "tcp",
  ports: [4712],
  dissect: (b, off, len) => isC37118(b, off, len, false),
};

export const c37118Udp: AppDissector = {
  name: "c37.118",
  transport: "udp",
  ports: [4713],
  dissect: (b, off, len) => isC37118(b, off, len, true),
};
