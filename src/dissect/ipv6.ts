import type { LayerResult, Packet } from "./packet.js";

const HOP_BY_HOP = 0;
const ROUTING = 43;
const FRAGMENT = 44;
const ESP = 50;
const AH = 51;
const DEST_OPTS = 60;
const MOBILITY = 135;
const HIP = 139;
const SHIM6 = 140;

/** IPv6 header and its extension-header chain up to the transport header. */
export function dissectIpv6(p: Packet, off: number, end: number): LayerResult {
  const b = p.buf;
  if (end - off < 40) return "ipv6.truncated";
  if (b[off] >> 4 !== 6) return "ipv6.bad-version";
  const payloadLen = b.readUInt16BE(off + 4);
  p.ipVersion = 6;
  // Jumbograms (payload length 0 with a hop-by-hop option) are sized by the capture.
  p.ipLen = payloadLen === 0 ? p.wireLen - (off - p.frameOff) : 40 + payloadLen;
  p.ttl = b[off + 7];
  p.src6Off = off + 8;
  p.dst6Off = off + 24;
  let next = b[off + 6];
  let o = off + 40;
  for (let i = 0; i < 16; i++) {
    if (next === HOP_BY_HOP || next === ROUTING || next === DEST_OPTS || next === MOBILITY
      || next === HIP || next === SHIM6) {
      if (end - o < 8) return "ipv6.extension-truncated";
      const n = b[o];
      o += (b[o + 1] + 1) * 8;
      next = n;
    } else if (next === FRAGMENT) {
      if (end - o < 8) return "ipv6.extension-truncated";
      const n = b[o];
      const fo = b.readUInt16BE(o + 2);
      p.fragment = true;
      p.fragId = b.readUInt32BE(o + 4);
      if ((fo & 0xfff8) !== 0) p.laterFragment = true;
      o += 8;
      next = n;
    } else if (next === AH) {
      if (end - o < 8) return "ipv6.extension-truncated";
      const n = b[o];
      o += (b[o + 1] + 2) * 4;
      next = n;
    } else {
      break;
    }
  }
  if (next === ESP) p.proto = ESP;
  else p.proto = next;
  p.l4Off = o;
  return undefined;
}
