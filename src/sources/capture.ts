import { type ReadStream, createReadStream } from "node:fs";
import { createGunzip } from "node:zlib";
import type { Readable } from "node:stream";
import type { FrameHandler } from "../model/frame.js";
import { ErrorCounts } from "../net/error-counts.js";
import { type CaptureFormatParser } from "./capture-format.js";
import { PcapParser, isPcapMagic } from "./pcap.js";
import { PcapngParser, isPcapngMagic } from "./pcapng.js";

const CHUNK = 1 << 20;

export interface CaptureReadResult {
  frames: number;
  /** Set when the input could not be read to its end; frames before it were delivered. */
  fatal?: string;
  format?: "pcap" | "pcapng";
  gzip: boolean;
}

/**
 * Reads a capture (pcap, pcapng, either gzip-compressed) from a path, "-" for standard input,
 * or a stream (a live capture's pipe), in chunks as they come: memory stays constant whatever
 * the input's size. The format is decided by the magic number, never by the name.
 */
/** The `fatal` of a read stopped by its signal. */
export const INTERRUPTED = "interrupted";

export async function readCapture(
  path: string | Readable, onFrame: FrameHandler, errors: ErrorCounts = new ErrorCounts(),
  onProgress?: (bytesRead: number) => void, signal?: AbortSignal,
): Promise<CaptureReadResult> {
  const raw: Readable = typeof path !== "string" ? path : path === "-" ? process.stdin : createReadStream(path, { highWaterMark: CHUNK });
  // Interrupted: reading stops at once; what was parsed so far stays parsed.
  const stop = (): void => void raw.destroy();
  if (signal?.aborted) stop();
  signal?.addEventListener("abort", stop, { once: true });
  const tick = onProgress ? (): void => onProgress((raw as Partial<ReadStream>).bytesRead ?? 0) : undefined;
  let frames = 0;
  const counting: FrameHandler = (f) => {
    frames++;
    onFrame(f);
  };
  const result: CaptureReadResult = { frames: 0, gzip: false };
  try {
    const first = await peek(raw);
    let stream: Readable = raw;
    if (first.head.length >= 2 && first.head[0] === 0x1f && first.head[1] === 0x8b) {
      result.gzip = true;
      const gunzip = createGunzip({ chunkSize: CHUNK });
      raw.on("error", (e) => gunzip.destroy(e));
      gunzip.write(first.head);
      raw.pipe(gunzip);
      stream = gunzip;
    } else {
      stream = first.rest;
    }
    const fatal = await parseStream(result.gzip ? stream : prepend(first.head, stream), counting, errors, result, tick);
    if (fatal) result.fatal = fatal;
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    result.fatal = signal?.aborted ? INTERRUPTED : err.code === "Z_DATA_ERROR" || err.code === "Z_BUF_ERROR"
      ? `gzip data corrupt (${err.message})`
      : err.code === "ENOENT" ? "no such file" : err.message;
    if (err.code?.startsWith("Z_")) errors.add("gzip.corrupt", err.message);
  } finally {
    signal?.removeEventListener("abort", stop);
    if (typeof path === "string" && path !== "-") raw.destroy();
  }
  if (signal?.aborted && result.fatal === undefined) result.fatal = INTERRUPTED;
  result.frames = frames;
  return result;
}

/** Reads the first chunk so the format can be decided before parsing starts. */
async function peek(s: Readable): Promise<{ head: Buffer; rest: Readable }> {
  const head = await new Promise<Buffer>((resolve, reject) => {
    const onReadable = (): void => {
      const c = s.read() as Buffer | null;
      if (c !== null) {
        cleanup();
        resolve(c);
      }
    };
    const onEnd = (): void => {
      cleanup();
      resolve(Buffer.alloc(0));
    };
    const onError = (e: Error): void => {
      cleanup();
      reject(e);
    };
    const cleanup = (): void => {
      s.off("readable", onReadable);
      s.off("end", onEnd);
      s.off("error", onError);
    };
    s.on("readable", onReadable);
    s.on("end", onEnd);
    s.on("error", onError);
  });
  return { head, rest: s };
}

async function* prepend(head: Buffer, s: Readable): AsyncGenerator<Buffer> {
  if (head.length > 0) yield head;
  for await (const c of s) yield c as Buffer;
}

async function parseStream(
  chunks: AsyncIterable<Buffer>, onFrame: FrameHandler, errors: ErrorCounts, result: CaptureReadResult,
  tick: (() => void) | undefined,
): Promise<string | undefined> {
  let parser: CaptureFormatParser | undefined;
  let carry: Buffer | undefined;
  for await (const input of chunks) {
    tick?.();
    let chunk = input;
    if (!parser) {
      const head = carry ? Buffer.concat([carry, chunk]) : chunk;
      carry = undefined;
      if (head.length < 4) {
        carry = head;
        continue;
      }
      if (isPcapngMagic(head)) {
        parser = new PcapngParser(onFrame, errors);
        result.format = "pcapng";
      } else if (isPcapMagic(head)) {
        parser = new PcapParser(onFrame, errors);
        result.format = "pcap";
      } else {
        return `not a pcap or pcapng capture (magic 0x${head.subarray(0, 4).toString("hex")})`;
      }
      chunk = head;
    }
    let start = 0;
    if (carry) {
      // A record spans the chunks: join the kept bytes with only as much of the new chunk as
      // completes it (growing the window), never the whole chunk.
      let take = Math.min(chunk.length, 65_536);
      for (;;) {
        const joined = Buffer.concat([carry, chunk.subarray(0, take)]);
        const used = parser.parse(joined, 0, joined.length);
        if (parser.fatal) return parser.fatal;
        if (used >= carry.length) {
          start = used - carry.length;
          carry = undefined;
          break;
        }
        if (take === chunk.length) {
          carry = Buffer.from(joined.subarray(used));
          start = chunk.length;
          break;
        }
        take = Math.min(chunk.length, take * 4);
      }
      if (carry && carry.length > parser.maxRecord) return "record larger than any capture allows";
      if (carry) continue;
    }
    const used = parser.parse(chunk, start, chunk.length);
    if (parser.fatal) return parser.fatal;
    if (start + used < chunk.length) {
      // Keep the incomplete record for the next chunk (copied: the chunk may be reused).
      const rest = chunk.subarray(start + used);
      if (rest.length > parser.maxRecord) return "record larger than any capture allows";
      carry = Buffer.from(rest);
    }
  }
  if (!parser) return carry && carry.length > 0 ? "file too short to be a capture" : "empty file";
  parser.finish(carry ? carry.length : 0);
  return parser.fatal;
}
