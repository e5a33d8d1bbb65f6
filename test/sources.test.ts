import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { gzipSync } from "node:zlib";
import { ACK, SYN, ethernet, ipv4, tcp, udp } from "../src/lab/craft.js";
import { writePcap, writePcapng } from "../src/lab/capture-writer.js";
import { readCapture } from "../src/sources/capture.js";
import type { Frame } from "../src/model/frame.js";
import { ErrorCounts } from "../src/net/error-counts.js";
import { HAVE_CORPUS, NO_CORPUS, captureRows, corpus, tmpDir } from "./helpers.js";

interface Seen { tsUs: number; linkType: number; caplen: number; wireLen: number; first: number; index: number }

async function read(buf: Buffer): Promise<{ frames: Seen[]; fatal?: string; errors: Record<string, number>; format?: string; gzip: boolean }> {
  const dir = tmpDir();
  const file = join(dir, "x.cap");
  writeFileSync(file, buf);
  const frames: Seen[] = [];
  const errors = new ErrorCounts();
  const r = await readCapture(file, (f: Frame) => {
    frames.push({ tsUs: f.tsUs, linkType: f.linkType, caplen: f.caplen, wireLen: f.wireLen, first: f.buf[f.offset], index: f.index });
  }, errors);
  return { frames, fatal: r.fatal, errors: errors.toJSON(), format: r.format, gzip: r.gzip };
}

const frameA = ethernet("ff:ff:ff:ff:ff:ff", "00:11:22:33:44:55", 0x0800, ipv4({ src: "10.0.0.1", dst: "10.0.0.2", proto: 17 }, udp(1000, 2000, Buffer.from("hello"))));
const frameB = ethernet("00:11:22:33:44:55", "66:77:88:99:aa:bb", 0x0800, ipv4({ src: "10.0.0.2", dst: "10.0.0.1", proto: 6 }, tcp(2000, 1000, SYN | ACK, 1)));

describe("classic pcap", () => {
  for (const bigEndian of [false, true]) {
    for (const nanos of [false, true]) {
      it(`reads ${bigEndian ? "big" : "little"}-endian ${nanos ? "nanosecond" : "microsecond"} files`, async () => {
        const buf = writePcap([{ tsUs: 1_700_000_000_123_456, data: frameA }, { tsUs: 1_700_000_001_000_001, data: frameB }], 1, { bigEndian, nanos });
        const r = await read(buf);
        assert.equal(r.fatal, undefined);
        assert.equal(r.format, "pcap");
        assert.deepEqual(r.frames.map((f) => f.tsUs), [1_700_000_000_123_456, 1_700_000_001_000_001]);
        assert.deepEqual(r.frames.map((f) => f.caplen), [frameA.length, frameB.length]);
        assert.deepEqual(r.frames.map((f) => f.index), [1, 2]);
      });
    }
  }

  it("reports frames cut by the snaplen with their wire length", async () => {
    const r = await read(writePcap([{ tsUs: 1e15, data: frameA.subarray(0, 20), wireLen: frameA.length }]));
    assert.equal(r.frames[0].caplen, 20);
    assert.equal(r.frames[0].wireLen, frameA.length);
  });

  it("stops at a record with an absurd length, keeping the frames before it", async () => {
    const good = writePcap([{ tsUs: 1e15, data: frameA }, { tsUs: 1e15, data: frameB }]);
    const bad = Buffer.from(good);
    bad.writeUInt32LE(0x7fffffff, 24 + 16 + frameA.length + 8);
    const r = await read(bad);
    assert.equal(r.frames.length, 1);
    assert.match(r.fatal ?? "", /claims 2147483647 bytes/);
    assert.equal(r.errors["pcap.record-length-absurd"], 1);
  });

  it("counts a truncated last record and keeps the complete ones", async () => {
    const good = writePcap([{ tsUs: 1e15, data: frameA }, { tsUs: 1e15, data: frameB }]);
    const r = await read(good.subarray(0, good.length - 10));
    assert.equal(r.frames.length, 1);
    assert.equal(r.errors["pcap.truncated-record"], 1);
    assert.equal(r.fatal, undefined);
  });
});

describe("pcapng", () => {
  it("reads several interfaces, each with its own link type and timestamp resolution", async () => {
    const raw = ipv4({ src: "10.0.0.9", dst: "10.0.0.8", proto: 17 }, udp(1, 2, Buffer.alloc(4)));
    const buf = writePcapng([
      { tsUs: 1_600_000_000_000_001, data: frameA, iface: 0 },
      { tsUs: 1_600_000_000_500_000, data: raw, iface: 1 },
      { tsUs: 1_600_000_001_000_000, data: frameB, iface: 0 },
    ], [{ linkType: 1 }, { linkType: 101, tsresol: 9 }]);
    const r = await read(buf);
    assert.equal(r.format, "pcapng");
    assert.deepEqual(r.frames.map((f) => f.linkType), [1, 101, 1]);
    assert.deepEqual(r.frames.map((f) => f.tsUs), [1_600_000_000_000_001, 1_600_000_000_500_000, 1_600_000_001_000_000]);
    assert.equal(r.frames[1].first, 0x45);
  });

  it("skips unknown blocks", async () => {
    const custom = Buffer.alloc(16);
    custom.writeUInt32LE(0x40000bad, 0);
    custom.writeUInt32LE(16, 4);
    custom.writeUInt32LE(16, 12);
    const r = await read(writePcapng([{ tsUs: 1e15, data: frameA }], [{ linkType: 1 }], [custom]));
    assert.equal(r.frames.length, 1);
    assert.deepEqual(r.errors, {});
  });

  it("reports a block with an impossible length and keeps what came before", async () => {
    const buf = Buffer.from(writePcapng([{ tsUs: 1e15, data: frameA }, { tsUs: 1e15, data: frameB }]));
    // The last block is the second EPB: corrupt its length field.
    const lastLen = buf.readUInt32LE(buf.length - 4);
    buf.writeUInt32LE(13, buf.length - lastLen + 4);
    const r = await read(buf);
    assert.equal(r.frames.length, 1);
    assert.equal(r.errors["pcapng.block-length-absurd"], 1);
    assert.ok(r.fatal);
  });
});

describe("format detection", () => {
  it("decides by magic number, and reads gzip-compressed captures", async () => {
    const r = await read(gzipSync(writePcapng([{ tsUs: 1e15, data: frameA }])));
    assert.equal(r.gzip, true);
    assert.equal(r.format, "pcapng");
    assert.equal(r.frames.length, 1);
  });

  it("rejects a file that is no capture with a reason", async () => {
    const r = await read(Buffer.from("GIF89a this is not a capture at all"));
    assert.equal(r.frames.length, 0);
    assert.match(r.fatal ?? "", /not a pcap or pcapng capture \(magic 0x47494638\)/);
  });

  it("reports an empty file", async () => {
    const r = await read(Buffer.alloc(0));
    assert.equal(r.fatal, "empty file");
  });

  it("reports corrupt gzip data", async () => {
    const z = gzipSync(writePcap([{ tsUs: 1e15, data: frameA }]));
    z.fill(0x55, 20, 40);
    const r = await read(z);
    assert.ok(r.fatal);
  });
});

describe("corpus captures", { skip: NO_CORPUS }, () => {
  it("reads every capture in CAPTURES.tsv with the packet count tshark reports", async () => {
    if (!HAVE_CORPUS) return;
    const wrong: string[] = [];
    const rows = captureRows();
    assert.ok(rows.length > 300, `CAPTURES.tsv lists ${rows.length} captures`);
    for (const row of rows) {
      let n = 0;
      const r = await readCapture(corpus(row.path), () => {
        n++;
      });
      if (n !== row.packets || r.fatal) wrong.push(`${row.path}: read ${n}, tshark ${row.packets}${r.fatal ? ` (${r.fatal})` : ""}`);
    }
    assert.deepEqual(wrong, []);
  });
});
