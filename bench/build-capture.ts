import { closeSync, openSync, readFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { readCapture } from "../src/sources/capture.js";

interface Stored { tsUs: number; data: Buffer }

/** Every frame of the corpus's Ethernet captures, in file order, with its time. */
export async function corpusEthernetFrames(corpus: string): Promise<{ frames: Stored[]; spanUs: number }> {
  const rows = readFileSync(join(corpus, "CAPTURES.tsv"), "utf8").trim().split("\n").slice(1).map((l) => l.split("\t"));
  const frames: Stored[] = [];
  let spanUs = 0;
  for (const [path, , , , linktype] of rows) {
    if (linktype !== "Ethernet") continue;
    let prev = -1;
    let t = spanUs;
    await readCapture(join(corpus, path), (f) => {
      if (f.linkType !== 1) return;
      // Captures are laid end to end on one timeline; gaps inside one are kept up to a
      // minute (a week-long capture's quiet nights, or a bogus timestamp, would otherwise
      // stretch the timeline past what a pcap header can hold).
      if (prev >= 0) t += Math.min(Math.max(f.tsUs - prev, 0), 60_000_000);
      prev = f.tsUs;
      frames.push({ tsUs: t, data: Buffer.from(f.buf.subarray(f.offset, f.offset + f.caplen)) });
    });
    if (frames.length > 0) spanUs = frames[frames.length - 1].tsUs + 1_000_000;
  }
  return { frames, spanUs };
}

/** Rewrites a unicast MAC at `off` so copy `k` is another device of the same vendor. */
function rewriteMac(b: Buffer, off: number, k: number): void {
  if (b[off] & 1) return;
  b[off + 3] ^= k & 0xff;
  b[off + 4] ^= (k >> 8) & 0xff;
}

/** Rewrites an IPv4 address's second octet (multicast and broadcast stay as they are). */
function rewriteIpv4(b: Buffer, off: number, k: number): void {
  if (b[off] >= 224) return;
  b[off + 1] ^= k & 0xff;
}

/**
 * Writes a classic pcap of about `target` frames: copies of the corpus frames concatenated,
 * each copy shifted forward in time and with its MACs and IPv4 addresses rewritten, so every
 * copy adds new flows and devices. Copies are numbered from `firstCopy`; copy 0 is the corpus
 * as it is.
 */
export function writeBenchCapture(file: string, frames: Stored[], spanUs: number, target: number, startUs = 1_700_000_000_000_000, firstCopy = 0): number {
  const fd = openSync(file, "w");
  const header = Buffer.alloc(24);
  header.writeUInt32LE(0xa1b2c3d4, 0);
  header.writeUInt16LE(2, 4);
  header.writeUInt16LE(4, 6);
  header.writeUInt32LE(262144, 16);
  header.writeUInt32LE(1, 20);
  writeSync(fd, header);
  let written = 0;
  const out = Buffer.alloc(8 << 20);
  let pos = 0;
  for (let k = firstCopy; written < target; k++) {
    const shift = startUs + k * spanUs;
    for (const f of frames) {
      if (written >= target) break;
      if (pos + 16 + f.data.length > out.length) {
        writeSync(fd, out, 0, pos);
        pos = 0;
      }
      const ts = shift + f.tsUs;
      out.writeUInt32LE(Math.floor(ts / 1e6), pos);
      out.writeUInt32LE(ts % 1e6, pos + 4);
      out.writeUInt32LE(f.data.length, pos + 8);
      out.writeUInt32LE(f.data.length, pos + 12);
      const d = pos + 16;
      f.data.copy(out, d);
      if (k > 0 && f.data.length >= 14) {
        rewriteMac(out, d, k);
        rewriteMac(out, d + 6, k);
        let l3 = d + 14;
        let type = out.readUInt16BE(d + 12);
        while ((type === 0x8100 || type === 0x88a8) && l3 + 4 <= d + f.data.length) {
          type = out.readUInt16BE(l3 + 2);
          l3 += 4;
        }
        if (type === 0x0800 && l3 + 20 <= d + f.data.length && out[l3] >> 4 === 4) {
          rewriteIpv4(out, l3 + 12, k);
          rewriteIpv4(out, l3 + 16, k);
        }
      }
      pos += 16 + f.data.length;
      written++;
    }
  }
  writeSync(fd, out, 0, pos);
  closeSync(fd);
  return written;
}
