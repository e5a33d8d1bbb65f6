import type { Frame, FrameHandler } from "../model/frame.js";
import type { ErrorCounts } from "../net/error-counts.js";
import type { CaptureFormatParser } from "./capture-format.js";

/** pcapng (draft-ietf-opsawg-pcapng): sections of blocks, each interface with its own link type. */
export const PCAPNG_SHB = 0x0a0d0d0a;
const BYTE_ORDER_MAGIC = 0x1a2b3c4d;
const IDB = 1;
const OBSOLETE_PB = 2;
const SPB = 3;
const EPB = 6;
const MAX_BLOCK = 64 * 1024 * 1024;

interface Interface {
  linkType: number;
  snapLen: number;
  /** Multiply a raw timestamp by this to get microseconds. */
  toUs: number;
  /** Seconds added to every timestamp (if_tsoffset). */
  offsetUs: number;
}

export function isPcapngMagic(b: Buffer): boolean {
  return b.length >= 4 && b.readUInt32BE(0) === PCAPNG_SHB;
}

export class PcapngParser implements CaptureFormatParser {
  fatal: string | undefined;
  readonly maxRecord = MAX_BLOCK;
  private le = true;
  private sawSection = false;
  private interfaces: Interface[] = [];
  private index = 0;
  private readonly frame: Frame = {
    buf: Buffer.alloc(0), offset: 0, caplen: 0, wireLen: 0, tsUs: 0, linkType: 1, index: 0,
  };

  constructor(private readonly onFrame: FrameHandler, private readonly errors: ErrorCounts) {}

  private u32(b: Buffer, o: number): number {
    return this.le ? b.readUInt32LE(o) : b.readUInt32BE(o);
  }

  private u16(b: Buffer, o: number): number {
    return this.le ? b.readUInt16LE(o) : b.readUInt16BE(o);
  }

  parse(buf: Buffer, start: number, end: number): number {
    let p = start;
    while (end - p >= 12) {
      const rawType = buf.readUInt32BE(p);
      if (rawType === PCAPNG_SHB) {
        // The section header decides the byte order for everything after it.
        const bom = buf.readUInt32LE(p + 8);
        if (bom === BYTE_ORDER_MAGIC) this.le = true;
        else if (buf.readUInt32BE(p + 8) === BYTE_ORDER_MAGIC) this.le = false;
        else {
          this.fatal = "section header has no byte-order magic";
          return p - start;
        }
      } else if (!this.sawSection) {
        this.fatal = `not a pcapng file (first block 0x${rawType.toString(16)})`;
        return p - start;
      }
      const type = this.u32(buf, p);
      const len = this.u32(buf, p + 4);
      if (len < 12 || len % 4 !== 0 || len > MAX_BLOCK) {
        this.errors.add("pcapng.block-length-absurd", `block after frame ${this.index} claims ${len} bytes`);
        this.fatal = `block after frame ${this.index} claims ${len} bytes; the rest of the file cannot be framed`;
        return p - start;
      }
      if (end - p < len) break;
      if (this.u32(buf, p + len - 4) !== len) {
        this.errors.add("pcapng.block-trailer-mismatch", `block after frame ${this.index}`);
      }
      this.block(type, buf, p, len);
      p += len;
    }
    return p - start;
  }

  private block(type: number, b: Buffer, p: number, len: number): void {
    switch (type) {
      case PCAPNG_SHB:
        this.sawSection = true;
        this.interfaces = [];
        return;
      case IDB:
        this.interfaceBlock(b, p, len);
        return;
      case EPB: {
        if (len < 32) return this.errors.add("pcapng.block-too-short", "enhanced packet block");
        const ifId = this.u32(b, p + 8);
        const hi = this.u32(b, p + 12);
        const lo = this.u32(b, p + 16);
        const cap = this.u32(b, p + 20);
        const orig = this.u32(b, p + 24);
        this.packet(ifId, hi, lo, cap, orig, b, p + 28, p + len - 4);
        return;
      }
      case SPB: {
        if (len < 16) return this.errors.add("pcapng.block-too-short", "simple packet block");
        const orig = this.u32(b, p + 8);
        const room = len - 16;
        const iface = this.interfaces[0];
        let cap = orig < room ? orig : room;
        if (iface && iface.snapLen > 0 && cap > iface.snapLen) cap = iface.snapLen;
        this.packet(0, -1, 0, cap, orig, b, p + 12, p + len - 4);
        return;
      }
      case OBSOLETE_PB: {
        if (len < 32) return this.errors.add("pcapng.block-too-short", "packet block");
        const ifId = this.u16(b, p + 8);
        const hi = this.u32(b, p + 12);
        const lo = this.u32(b, p + 16);
        const cap = this.u32(b, p + 20);
        const orig = this.u32(b, p + 24);
        this.packet(ifId, hi, lo, cap, orig, b, p + 28, p + len - 4);
        return;
      }
      default:
        // Name resolution, statistics, custom and unknown blocks carry no frames.
        return;
    }
  }

  private interfaceBlock(b: Buffer, p: number, len: number): void {
    if (len < 20) {
      this.errors.add("pcapng.block-too-short", "interface description block");
      return;
    }
    const iface: Interface = {
      linkType: this.u16(b, p + 8),
      snapLen: this.u32(b, p + 12),
      toUs: 1, // default resolution is microseconds
      offsetUs: 0,
    };
    let o = p + 16;
    const end = p + len - 4;
    while (o + 4 <= end) {
      const code = this.u16(b, o);
      const olen = this.u16(b, o + 2);
      if (code === 0) break;
      if (o + 4 + olen > end) {
        this.errors.add("pcapng.option-overflow", "interface option runs past its block");
        break;
      }
      if (code === 9 && olen >= 1) {
        const r = b[o + 4];
        // MSB clear: 10^-r seconds; set: 2^-r seconds.
        const perSecond = r & 0x80 ? 2 ** (r & 0x7f) : 10 ** r;
        iface.toUs = 1_000_000 / perSecond;
      } else if (code === 14 && olen >= 8) {
        const hi = this.u32(b, o + 4 + (this.le ? 4 : 0));
        const lo = this.u32(b, o + 4 + (this.le ? 0 : 4));
        iface.offsetUs = (hi * 4294967296 + lo) * 1_000_000;
      }
      o += 4 + ((olen + 3) & ~3);
    }
    this.interfaces.push(iface);
  }

  private packet(
    ifId: number, hi: number, lo: number, cap: number, orig: number,
    b: Buffer, dataStart: number, dataEnd: number,
  ): void {
    const iface = this.interfaces[ifId];
    this.index++;
    if (!iface) {
      this.errors.add("pcapng.unknown-interface", `frame ${this.index} names interface ${ifId}`);
      return;
    }
    if (dataStart + cap > dataEnd) {
      this.errors.add("pcapng.captured-length-overflow", `frame ${this.index}`);
      cap = dataEnd - dataStart;
      if (cap < 0) cap = 0;
    }
    const f = this.frame;
    f.buf = b;
    f.offset = dataStart;
    f.caplen = cap;
    f.wireLen = orig < cap ? cap : orig;
    // Simple packet blocks carry no time: they take the previous frame's.
    if (hi >= 0) f.tsUs = Math.round((hi * 4294967296 + lo) * iface.toUs + iface.offsetUs);
    f.linkType = iface.linkType;
    f.index = this.index;
    this.onFrame(f);
  }

  finish(remaining: number): void {
    if (!this.sawSection && this.fatal === undefined) {
      this.fatal = remaining === 0 ? "empty file" : "section header truncated";
      return;
    }
    if (remaining > 0) this.errors.add("pcapng.truncated-block", `${remaining} bytes after frame ${this.index}`);
  }
}
