/** Writers for the capture formats Cordon reads: classic pcap and pcapng. */

export interface WrittenFrame {
  tsUs: number;
  data: Buffer;
  /** pcapng only: index of the interface the frame arrived on. */
  iface?: number;
  /** Length on the wire, when the capture cut the frame. */
  wireLen?: number;
}

/** Classic pcap, little-endian, microsecond or nanosecond timestamps. */
export function writePcap(frames: WrittenFrame[], linkType = 1, opts: { nanos?: boolean; bigEndian?: boolean; snapLen?: number } = {}): Buffer {
  const be = opts.bigEndian === true;
  const h = Buffer.alloc(24);
  const u32 = (b: Buffer, v: number, o: number): number => (be ? b.writeUInt32BE(v >>> 0, o) : b.writeUInt32LE(v >>> 0, o));
  const u16 = (b: Buffer, v: number, o: number): number => (be ? b.writeUInt16BE(v, o) : b.writeUInt16LE(v, o));
  u32(h, opts.nanos ? 0xa1b23c4d : 0xa1b2c3d4, 0);
  u16(h, 2, 4);
  u16(h, 4, 6);
  u32(h, opts.snapLen ?? 262144, 16);
  u32(h, linkType, 20);
  const parts: Buffer[] = [h];
  for (const f of frames) {
    const r = Buffer.alloc(16);
    const sec = Math.floor(f.tsUs / 1e6);
    const frac = opts.nanos ? (f.tsUs % 1e6) * 1000 : f.tsUs % 1e6;
    u32(r, sec, 0);
    u32(r, frac, 4);
    u32(r, f.data.length, 8);
    u32(r, f.wireLen ?? f.data.length, 12);
    parts.push(r, f.data);
  }
  return Buffer.concat(parts);
}

export interface PcapngInterface {
  linkType: number;
  /** if_tsresol: decimal exponent (6 = microseconds, 9 = nanoseconds). */
  tsresol?: number;
}

function pad4(b: Buffer): Buffer {
  const p = (4 - (b.length % 4)) % 4;
  return p === 0 ? b : Buffer.concat([b, Buffer.alloc(p)]);
}

function block(type: number, body: Buffer): Buffer {
  const padded = pad4(body);
  const len = 12 + padded.length;
  const h = Buffer.alloc(8);
  h.writeUInt32LE(type, 0);
  h.writeUInt32LE(len, 4);
  const t = Buffer.alloc(4);
  t.writeUInt32LE(len, 0);
  return Buffer.concat([h, padded, t]);
}

/** pcapng, little-endian: one section, the given interfaces, enhanced packet blocks. */
export function writePcapng(frames: WrittenFrame[], interfaces: PcapngInterface[] = [{ linkType: 1 }], extraBlocks: Buffer[] = []): Buffer {
  const shb = Buffer.alloc(16);
  shb.writeUInt32LE(0x1a2b3c4d, 0);
  shb.writeUInt16LE(1, 4);
  shb.writeUInt16LE(0, 6);
  shb.writeInt32LE(-1, 8);
  shb.writeInt32LE(-1, 12);
  const parts = [block(0x0a0d0d0a, shb), ...extraBlocks];
  for (const i of interfaces) {
    const body = Buffer.alloc(8);
    body.writeUInt16LE(i.linkType, 0);
    body.writeUInt32LE(0, 4);
    const opts: Buffer[] = [];
    if (i.tsresol !== undefined) {
      const o = Buffer.alloc(8);
      o.writeUInt16LE(9, 0);
      o.writeUInt16LE(1, 2);
      o[4] = i.tsresol;
      opts.push(o, Buffer.alloc(4));
    }
    parts.push(block(1, Buffer.concat([body, ...opts])));
  }
  for (const f of frames) {
    const iface = interfaces[f.iface ?? 0];
    const units = BigInt(Math.round(f.tsUs)) * 10n ** BigInt((iface.tsresol ?? 6) - 6);
    const h = Buffer.alloc(20);
    h.writeUInt32LE(f.iface ?? 0, 0);
    h.writeUInt32LE(Number(units >> 32n), 4);
    h.writeUInt32LE(Number(units & 0xffffffffn), 8);
    h.writeUInt32LE(f.data.length, 12);
    h.writeUInt32LE(f.wireLen ?? f.data.length, 16);
    parts.push(block(6, Buffer.concat([h, f.data])));
  }
  return Buffer.concat(parts);
}
