import { type FileHandle, open, readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import type { FlowRecord } from "../../model/flow-record.js";
import type { Observation } from "../../model/observation.js";
import type { ErrorCounts } from "../../net/error-counts.js";
import { conn } from "./conn.js";
import type { ZeekContext, ZeekLogHandler } from "./context.js";
import { canonicalMac } from "../../model/mac.js";
import { canonicalIp } from "../../model/values.js";
import { dhcp } from "./dhcp.js";
import { dns } from "./dns.js";
import { ZeekLineParser } from "./format.js";
import { knownServices } from "./known-services.js";
import { software } from "./software.js";

/** The logs Cordon reads, by the name Zeek gives the file (before the first dot). */
const HANDLERS: Record<string, ZeekLogHandler> = { conn, dns, dhcp, software, known_services: knownServices };

export interface ZeekReaderOptions {
  dir: string;
  site: string;
  source: string;
  /** Keep following the current logs as Zeek appends and rotates them; false reads every log once. */
  follow: boolean;
  pollMs?: number;
  /** Where reading of a file stopped last time (follow mode), to resume there after a restart. */
  resumeAt?(path: string): { inode: number; offset: number } | undefined;
}

export interface ZeekReader {
  records(): number;
  /** Where each followed file has been read to, for the caller to keep. */
  positions(): { path: string; inode: number; offset: number }[];
  /** Resolves once every log has been read (without follow), or after stop(). */
  readonly done: Promise<void>;
  stop(): Promise<void>;
}

const MAX_LINE = 1 << 20;

/** One open log file: its handle, where reading stopped, and a part line waiting for its end. */
class OpenLog {
  offset: number;
  partial = "";
  readonly parser = new ZeekLineParser();

  constructor(readonly path: string, readonly handler: ZeekLogHandler, readonly fh: FileHandle, readonly inode: number, offset: number) {
    this.offset = offset;
  }
}

function handlerFor(file: string): ZeekLogHandler | undefined {
  if (!file.endsWith(".log")) return undefined;
  return HANDLERS[file.slice(0, file.indexOf("."))];
}

/**
 * Reads Zeek's conn, dns, dhcp, software and known_services logs (TSV or JSON) from a
 * directory. Following, it polls the current `NAME.log` files: new lines are read as Zeek
 * writes them, and when Zeek rotates a file away the old one is read to its end before the new
 * one is opened. A line that cannot be used is counted by kind and skipped.
 */
export function startZeekReader(
  o: ZeekReaderOptions, sink: { pushFlow(r: FlowRecord): void; observe(x: Observation): void }, errors: ErrorCounts,
  onRead?: (lines: number, bytes: number) => void,
): ZeekReader {
  let records = 0;
  let stopping = false;
  // Addresses and MACs are parsed into their canonical spelling here, the edge: a record whose
  // address does not parse is counted and dropped, so no log text reaches the inventory (and
  // from there a firewall set) as an address.
  const ctx: ZeekContext = {
    site: o.site, source: o.source,
    flow: (r) => {
      const src = canonicalIp(r.srcIp);
      const dst = canonicalIp(r.dstIp);
      const srcMac = r.srcMac === undefined ? undefined : canonicalMac(r.srcMac);
      const dstMac = r.dstMac === undefined ? undefined : canonicalMac(r.dstMac);
      if (!src || !dst || (r.srcMac !== undefined && !srcMac) || (r.dstMac !== undefined && !dstMac)) {
        errors.add("zeek.bad-address", o.source);
        return;
      }
      r.srcIp = src;
      r.dstIp = dst;
      r.srcMac = srcMac;
      r.dstMac = dstMac;
      sink.pushFlow(r);
    },
    observe: (x) => {
      const ip = x.ip === undefined ? undefined : canonicalIp(x.ip);
      const mac = x.mac === undefined ? undefined : canonicalMac(x.mac);
      const value = x.kind.endsWith("_ip") ? canonicalIp(x.value) : x.value;
      if ((x.ip !== undefined && !ip) || (x.mac !== undefined && !mac) || value === undefined) {
        errors.add("zeek.bad-address", o.source);
        return;
      }
      sink.observe({ ...x, ip, mac, value });
    },
  };
  const open_ = new Map<string, OpenLog>();
  const buf = Buffer.alloc(1 << 16);

  const consume = (log: OpenLog, text: string): void => {
    const lines = (log.partial + text).split("\n");
    log.partial = lines.pop() ?? "";
    if (log.partial.length > MAX_LINE) {
      errors.add("zeek.line-too-long", log.path);
      log.partial = "";
    }
    let n = 0;
    for (const raw of lines) {
      const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
      n++;
      const p = log.parser.parse(line);
      if ("error" in p) {
        errors.add(p.error, log.path);
        continue;
      }
      if (!("record" in p)) continue;
      const bad = log.handler(p.record, ctx);
      if (bad) errors.add(bad, log.path);
      else records++;
    }
    onRead?.(n, Buffer.byteLength(text));
  };

  const drain = async (log: OpenLog): Promise<void> => {
    for (;;) {
      const { bytesRead } = await log.fh.read(buf, 0, buf.length, log.offset);
      if (bytesRead === 0) return;
      log.offset += bytesRead;
      consume(log, buf.toString("utf8", 0, bytesRead));
    }
  };

  const readAllOnce = async (): Promise<void> => {
    const files = (await readdir(o.dir)).filter((f) => handlerFor(f)).sort();
    for (const f of files) {
      const path = join(o.dir, f);
      const fh = await open(path, "r");
      try {
        const log = new OpenLog(path, handlerFor(f)!, fh, 0, 0);
        await drain(log);
        if (log.partial) consume(log, "\n");
      } finally {
        await fh.close();
      }
    }
  };

  const poll = async (): Promise<void> => {
    for (const name of Object.keys(HANDLERS)) {
      const path = join(o.dir, `${name}.log`);
      const current = open_.get(name);
      let st;
      try {
        st = await stat(path);
      } catch {
        st = undefined;
      }
      if (current && (!st || st.ino !== current.inode)) {
        // Rotated away: what Zeek wrote before the rename is still in the old file.
        await drain(current);
        await current.fh.close();
        open_.delete(name);
      } else if (current && st && st.size < current.offset) {
        current.offset = 0;
      }
      if (!st) continue;
      let log = open_.get(name);
      if (!log) {
        const fh = await open(path, "r");
        const resume = o.resumeAt?.(path);
        log = new OpenLog(path, HANDLERS[name], fh, st.ino, resume && resume.inode === st.ino && resume.offset <= st.size ? resume.offset : 0);
        if (log.offset > 0) {
          // Resuming mid-file: the header lines come first again for the parser's sake.
          const head = await fh.read(buf, 0, Math.min(buf.length, log.offset), 0);
          const text = buf.toString("utf8", 0, head.bytesRead);
          for (const line of text.split("\n")) if (line.startsWith("#")) log.parser.parse(line);
        }
        open_.set(name, log);
      }
      await drain(log);
    }
  };

  let timer: NodeJS.Timeout | undefined;
  let finish: () => void = () => undefined;
  const done = new Promise<void>((r) => (finish = r));
  if (o.follow) {
    const loop = (): void => {
      poll().catch((e: unknown) => errors.add("zeek.read-failed", (e as Error).message)).finally(() => {
        if (stopping) finish();
        else timer = setTimeout(loop, o.pollMs ?? 1000);
      });
    };
    loop();
  } else {
    readAllOnce().catch((e: unknown) => errors.add("zeek.read-failed", (e as Error).message)).finally(() => finish());
  }

  return {
    records: () => records,
    positions: () => [...open_.values()].map((l) => ({ path: l.path, inode: l.inode, offset: l.offset - Buffer.byteLength(l.partial) })),
    done,
    stop: async () => {
      stopping = true;
      if (timer) {
        clearTimeout(timer);
        timer = undefined;
        finish();
      }
      await done;
      // The logs stay listed (closed) so positions() still tells where reading stopped.
      for (const l of open_.values()) await l.fh.close();
    },
  };
}
