import { closeSync, openSync, writeSync } from "node:fs";

/**
 * Writes pcapng to a file as frames come, in large writes: a lab site of a million flows
 * never sits in memory. One section, one interface of the given link type (Ethernet by
 * default) with microsecond timestamps.
 */
export class PcapngStream {
  private readonly fd: number;
  private readonly buf = Buffer.alloc(4 << 20);
  private pos = 0;
  frames = 0;

  constructor(path: string, linkType = 1) {
    // Captures hold payloads (and clear-text credentials): their owner only.
    this.fd = openSync(path, "w", 0o600);
    const shb = Buffer.alloc(28);
    shb.writeUInt32LE(0x0a0d0d0a, 0);
    shb.writeUInt32LE(28, 4);
    shb.writeUInt32LE(0x1a2b3c4d, 8);
    shb.writeUInt16LE(1, 12);
    shb.writeInt32LE(-1, 16);
    shb.writeInt32LE(-1, 20);
    shb.writeUInt32LE(28, 24);
    const idb = Buffer.alloc(20);
    idb.writeUInt32LE(1, 0);
    idb.writeUInt32LE(20, 4);
    idb.writeUInt16LE(linkType, 8);
    idb.writeUInt32LE(0, 12);
    idb.writeUInt32LE(20, 16);
    this.put(Buffer.concat([shb, idb]));
  }

  private put(b: Buffer): void {
    if (this.pos + b.length > this.buf.length) this.drain();
    if (b.length > this.buf.length) {
      writeSync(this.fd, b);
      return;
    }
    b.copy(this.buf, this.pos);
    this.pos += b.length;
  }

  private drain(): void {
    if (this.pos > 0) writeSync(this.fd, this.buf, 0, this.pos);
    this.pos = 0;
  }

  /** One frame; `wireLen` is its length on the wire when the capture cut it shorter. */
  write(tsUs: number, frame: Buffer, wireLen = frame.length): void {
    const pad = (4 - (frame.length % 4)) % 4;
    const len = 32 + frame.length + pad;
    const h = Buffer.alloc(28);
    h.writeUInt32LE(6, 0);
    h.writeUInt32LE(len, 4);
    h.writeUInt32LE(0, 8);
    h.writeUInt32LE(Math.floor(tsUs / 4294967296), 12);
    h.writeUInt32LE(tsUs % 4294967296, 16);
    h.writeUInt32LE(frame.length, 20);
    h.writeUInt32LE(Math.max(wireLen, frame.length), 24);
    const t = Buffer.alloc(4 + pad);
    t.writeUInt32LE(len, pad);
    this.put(Buffer.concat([h, frame, t]));
    this.frames++;
  }

  close(): void {
    this.drain();
    closeSync(this.fd);
  }
}
