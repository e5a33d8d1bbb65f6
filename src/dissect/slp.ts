import { u16be } from "../net/bytes.js";
import type { AppDissector } from "./context.js";

/**
 * Service Location Protocol (RFC 2165 version 1, RFC 2608 version 2): printers, storage and
 * management cards advertise and look up services with it; on the Internet it is a known
 * reflection amplifier (CVE-2023-29552). Recognised by its header, whose length field must
 * equal the datagram.
 */
function isSlp(b: Buffer, off: number, len: number): boolean {
  if (len < 12) return false;
  const version = b[off];
  const fn = b[off + 1];
  if (version === 2) {
    // Version, function, length (3 bytes), flags, next extension offset (3), XID, language tag length and tag.
    if (fn < 1 || fn > 11 || len < 16) return false;
    const length = (b[off + 2] << 16) | u16be(b, off + 3);
    const langLen = u16be(b, off + 12);
    return length === len && langLen >= 1 && langLen <= 8 && 14 + langLen <= len;
  }
  if (version === 1) {
    // Version, function, length (2 bytes), flags, dialect, language (2), encoding (2), XID.
    return fn >= 1 && fn <= 10 && u16be(b, off + 2) === len && b[off + 5] === 0;
  }
  return false;
}

export const slpUdp: AppDissector = {
  name: "slp",
  transport: "udp",
  ports: [427],
  dissect: (b, off, len) => isSlp(b, off, len),
};

export const slpTcp: AppDissector = {
  name: "slp",
  transport: "tcp",
  ports: [427],
  dissect: (b, off, len) => isSlp(b, off, len),
};
