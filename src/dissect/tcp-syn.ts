import { u16be } from "../net/bytes.js";
import type { Packet } from "./packet.js";

/**
 * The TCP/IP stack's fingerprint in a SYN: the initial TTL (the TTL rounded up to 32, 64, 128
 * or 255, as p0f reads it) and JA4T (window size, the option kinds in order, MSS, window scale).
 * An operating system and its network stack fix these; an app does not change them, so a MAC
 * whose SYNs start to look like another stack's is another machine.
 */
export function synFingerprint(p: Packet): string | undefined {
  const b = p.buf;
  const off = p.l4Off;
  const end = p.payloadOff;
  if (end - off < 20) return undefined;
  const window = u16be(b, off + 14);
  const kinds: number[] = [];
  let mss = 0;
  let scale = 0;
  for (let o = off + 20; o < end && kinds.length < 20;) {
    const kind = b[o];
    kinds.push(kind);
    if (kind === 0) break;
    if (kind === 1) {
      o++;
      continue;
    }
    if (o + 1 >= end) break;
    const len = b[o + 1];
    if (len < 2 || o + len > end) break;
    if (kind === 2 && len === 4) mss = u16be(b, o + 2);
    else if (kind === 3 && len === 3) scale = b[o + 2];
    o += len;
  }
  const ttl = p.ttl <= 32 ? 32 : p.ttl <= 64 ? 64 : p.ttl <= 128 ? 128 : 255;
  return `ttl ${ttl} ${window}_${kinds.join("-")}_${mss}_${scale}`;
}
