/**
 * Unchecked big- and little-endian integer reads for the per-packet path. Buffer's own read
 * methods validate their arguments on every call; callers here check bounds first.
 */
export function u16be(b: Buffer, o: number): number {
  return (b[o] << 8) | b[o + 1];
}

export function u32be(b: Buffer, o: number): number {
  return ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
}

export function u32le(b: Buffer, o: number): number {
  return (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)) >>> 0;
}

/** A 48-bit MAC address as a number. */
export function u48be(b: Buffer, o: number): number {
  return ((b[o] << 8) | b[o + 1]) * 0x100000000 + u32be(b, o + 2);
}
