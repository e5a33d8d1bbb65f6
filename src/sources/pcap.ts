import { u32be, u32le } from "../net/bytes.js";
import type { Frame, FrameHandler } from "../model/frame.js";
import type { ErrorCounts } from "../net/error-counts.js";
import type { CaptureFormatParser } from "./capture-format.js";

/** Classic libpcap format: a 24-byte file header, then 16-byte record headers and frames. */
export const PCAP_MAGIC_US = 0xa1b2c3d4;
export const PCAP_MAGIC_NS = 0xa1b23c4d;
/** Alexey Kuznetzov's modified pcap: 24-byte record headers. */
export const PCAP_MAGIC_MODIFIED = 0xa1b2cd34;

/** Records longer than this are corrupt: no link type captures frames of this size. */
const MAX_RECORD = 16 * 1024 * 1024;

export function isPcapMagic(b: Buffer): boolean {
  if (b.length < 4) return false;
  const be = b.readUInt32BE(0);
  const le = b.readUInt32LE(0);
  for (const m of [PCAP_MAGIC_US, PCAP_MAGIC_NS, PCAP_MAGIC_MODIFIED]) {
    if (be === m || le === m) return true;
  }
  return false;
}

export class PcapParser implements CaptureFormatParser {
  fatal: string | undefined;
  readonly maxRecord = MAX_RECORD + 24;
  private headerRead = false;
  private le = true;
  private nanos = false;
  private recHdr = 16;
  private linkType = 1;
  private index = 0;
  private readonly frame: Frame = {
    buf: Buffer.alloc(0), offset: 0, caplen: 0, wireLen: 0, tsUs: 0, linkType: 1, index: 0,
  };

  constructor(private readonly onFrame: FrameHandler, private readonly errors: ErrorCounts) {}

  parse(buf: Buffer, start: number, end: number): number {
    let p = start;
    if (!this.headerRead) {
      if (end - p < 24) return 0;
      const be = buf.readUInt32BE(p);
      const le = buf.readUInt32LE(p);
      if (le === PCAP_MAGIC_US || le === PCAP_MAGIC_NS || le === PCAP_MAGIC_MODIFIED) {
        this.le = true;
        this.nanos = le === PCAP_MAGIC_NS;
        this.recHdr = le === PCAP_MAGIC_MODIFIED ? 24 : 16;
      } else if (be === PCAP_MAGIC_US || be === PCAP_MAGIC_NS || be === PCAP_MAGIC_MODIFIED) {
        this.le = false;
        this.nanos = be === PCAP_MAGIC_NS;
        this.recHdr = be === PCAP_MAGIC_MODIFIED ? 24 : 16;
      } else {
        this.fatal = `not a pcap file (magic 0x${be.toString(16).padStart(8, "0")})`;
        return 0;
      }
      const network = this.le ? buf.readUInt32LE(p + 20) : buf.readUInt32BE(p + 20);
      // The upper bits of the link-type field carry FCS information (pcap-linktype(7)).
      this.linkType = network & 0x0fffffff;
      this.frame.linkType = this.linkType;
      this.headerRead = true;
      p += 24;
    }
    const le = this.le;
    const hdr = this.recHdr;
    const f = this.frame;
    f.buf = buf;
    while (end - p >= hdr) {
      const sec = le ? u32le(buf, p) : u32be(buf, p);
      const frac = le ? u32le(buf, p + 4) : u32be(buf, p + 4);
      const incl = le ? u32le(buf, p + 8) : u32be(buf, p + 8);
      const orig = le ? u32le(buf, p + 12) : u32be(buf, p + 12);
      if (incl > MAX_RECORD) {
        this.errors.add("pcap.record-length-absurd", `record ${this.index + 1} claims ${incl} bytes`);
        this.fatal = `record ${this.index + 1} claims ${incl} bytes; the rest of the file cannot be framed`;
        return p - start;
      }
      if (end - p < hdr + incl) break;
      this.index++;
      f.offset = p + hdr;
      f.caplen = incl;
      f.wireLen = orig < incl ? incl : orig;
      f.tsUs = sec * 1_000_000 + (this.nanos ? Math.floor(frac / 1000) : frac);
      f.index = this.index;
      this.onFrame(f);
      p += hdr + incl;
    }
    return p - start;
  }

  finish(remaining: number): void {
    if (!this.headerRead) {
      if (this.fatal === undefined) this.fatal = remaining === 0 ? "empty file" : "file header truncated";
      return;
    }
    if (remaining > 0) this.errors.add("pcap.truncated-record", `${remaining} bytes after record ${this.index}`);
  }
}
