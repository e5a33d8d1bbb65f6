import { u32be } from "../net/bytes.js";
import type { AppDissector } from "./context.js";

/**
 * QUIC (RFC 9000) long-header packets: the form and fixed bits set and a known version (1, 2,
 * IETF drafts, Google's Q0xx). The name a client asks for is inside encrypted Initial
 * packets, so QUIC is named here without a service.
 */
function knownVersion(v: number): boolean {
  return v === 0x00000001 || v === 0x6b3343cf || (v >>> 8) === 0xff0000 || (v >>> 16) === 0x5130 || (v >>> 16) === 0x5430;
}

function isQuic(b: Buffer, off: number, len: number): boolean {
  // A client's first Initial is padded to at least 1200 bytes.
  return len >= 1200 && (b[off] & 0xc0) === 0xc0 && knownVersion(u32be(b, off + 1));
}

export const quic: AppDissector = {
  name: "quic",
  transport: "udp",
  ports: [443],
  dissect(b, off, len) {
    // Any long header on 443 is QUIC; short headers follow once the flow is named.
    return len >= 7 && (b[off] & 0xc0) === 0xc0 && knownVersion(u32be(b, off + 1));
  },
  test: isQuic,
};
