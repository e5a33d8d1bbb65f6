import { PcapngStream } from "../sources/pcapng-writer.js";

/**
 * The last packets of each device, kept so a response can preserve the evidence: one ring
 * of bytes per MAC that starts small and doubles up to `maxBytes` as the device talks, and
 * at most `maxDevices` rings (the device that sent least recently gives its ring up). Memory
 * is bounded by maxBytes × maxDevices whatever the traffic; a quiet device costs little.
 */

const FIRST_BYTES = 16 << 10;
const HEADER = 16;

class Ring {
  buf: Buffer;
  /** Offsets of the records, oldest first, from `head`. */
  offsets: number[] = [];
  head = 0;
  write = 0;
  lastUs = 0;

  constructor(readonly linkType: number, bytes: number) {
    this.buf = Buffer.allocUnsafeSlow(bytes);
  }

  /** The records in order, as [offset, length] of their whole record. */
  *records(): Generator<number> {
    for (let i = this.head; i < this.offsets.length; i++) yield this.offsets[i];
  }

  recordLength(off: number): number {
    return HEADER + this.buf.readUInt32LE(off + 8);
  }

  /** Rewrites the live records from offset 0 into a buffer of `bytes`. */
  grow(bytes: number): void {
    const next = Buffer.allocUnsafeSlow(bytes);
    const offsets: number[] = [];
    let o = 0;
    for (const off of this.records()) {
      const len = this.recordLength(off);
      this.buf.copy(next, o, off, off + len);
      offsets.push(o);
      o += len;
    }
    this.buf = next;
    this.offsets = offsets;
    this.head = 0;
    this.write = o;
  }

  add(tsUs: number, frame: Buffer, offset: number, caplen: number, wireLen: number, maxBytes: number): void {
    const need = HEADER + caplen;
    if (need > maxBytes) return;
    if (this.write + need > this.buf.length) {
      if (this.buf.length < maxBytes) this.grow(Math.min(maxBytes, Math.max(this.buf.length * 2, this.write + need)));
      if (this.write + need > this.buf.length) {
        // Wrapping: what is left of the previous lap lies past the write position, and is the oldest.
        while (this.head < this.offsets.length && this.offsets[this.head] >= this.write) this.head++;
        this.write = 0;
      }
    }
    const start = this.write;
    const end = start + need;
    // Records in [start, end) are the oldest ones: they go.
    while (this.head < this.offsets.length) {
      const off = this.offsets[this.head];
      if (off >= end || off + this.recordLength(off) <= start) break;
      this.head++;
    }
    if (this.head > 1024 && this.head * 2 > this.offsets.length) {
      this.offsets = this.offsets.slice(this.head);
      this.head = 0;
    }
    const b = this.buf;
    b.writeUInt32LE(tsUs % 0x100000000, start);
    b.writeUInt32LE(Math.floor(tsUs / 0x100000000), start + 4);
    b.writeUInt32LE(caplen, start + 8);
    b.writeUInt32LE(wireLen, start + 12);
    frame.copy(b, start + HEADER, offset, offset + caplen);
    this.offsets.push(start);
    this.write = end;
    this.lastUs = tsUs;
  }
}

export interface RingFrame {
  tsUs: number;
  data: Buffer;
  wireLen: number;
}

export class PacketRings {
  private readonly rings = new Map<number, Ring>();

  constructor(private readonly maxBytes: number, private readonly maxDevices: number) {}

  get devices(): number {
    return this.rings.size;
  }

  /** Bytes held now (the rings' buffers). */
  bytes(): number {
    let n = 0;
    for (const r of this.rings.values()) n += r.buf.length;
    return n;
  }

  /** Keeps one frame in the ring of `mac` (a 48-bit MAC as a number). */
  add(mac: number, linkType: number, tsUs: number, frame: Buffer, offset: number, caplen: number, wireLen: number): void {
    let r = this.rings.get(mac);
    if (r && r.linkType !== linkType) {
      this.rings.delete(mac);
      r = undefined;
    }
    if (!r) {
      if (this.rings.size >= this.maxDevices) this.evict();
      r = new Ring(linkType, Math.min(FIRST_BYTES, this.maxBytes));
      this.rings.set(mac, r);
    }
    r.add(tsUs, frame, offset, caplen, wireLen, this.maxBytes);
  }

  private evict(): void {
    let oldest: number | undefined;
    let at = Infinity;
    for (const [mac, r] of this.rings) {
      if (r.lastUs < at) {
        at = r.lastUs;
        oldest = mac;
      }
    }
    if (oldest !== undefined) this.rings.delete(oldest);
  }

  /** The frames of `mac` from `sinceUs` on, oldest first, copied out. */
  frames(mac: number, sinceUs = 0): { linkType: number; frames: RingFrame[] } | undefined {
    const r = this.rings.get(mac);
    if (!r) return undefined;
    const frames: RingFrame[] = [];
    for (const off of r.records()) {
      const tsUs = r.buf.readUInt32LE(off) + r.buf.readUInt32LE(off + 4) * 0x100000000;
      if (tsUs < sinceUs) continue;
      const caplen = r.buf.readUInt32LE(off + 8);
      frames.push({ tsUs, wireLen: r.buf.readUInt32LE(off + 12), data: Buffer.from(r.buf.subarray(off + HEADER, off + HEADER + caplen)) });
    }
    return { linkType: r.linkType, frames };
  }

  /** Writes the frames of `mac` since `sinceUs` as pcapng; the number written, or undefined when the device has no ring. */
  writePcapng(mac: number, sinceUs: number, path: string): number | undefined {
    const got = this.frames(mac, sinceUs);
    if (!got) return undefined;
    const out = new PcapngStream(path, got.linkType);
    for (const f of got.frames) out.write(f.tsUs, f.data, f.wireLen);
    out.close();
    return got.frames.length;
  }
}
