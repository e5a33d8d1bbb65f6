import { type ChildProcess, spawn } from "node:child_process";
import { type CaptureReadResult, readCapture } from "./capture.js";
import type { FrameHandler } from "../model/frame.js";
import { ErrorCounts } from "../net/error-counts.js";

/**
 * Live capture from an interface through `tcpdump -U -w -`: tcpdump opens the interface with
 * libpcap, compiles the BPF filter in the kernel, and can drop its privileges; Cordon reads
 * the pcap stream from its pipe with the same reader as files. (The `cap` addon would save the
 * pipe's copy but is a native build that has not been maintained since 2020; tcpdump is in
 * every distribution, and a crash in it cannot take the pipeline down.)
 *
 * No --immediate-mode: it makes libpcap use fixed-size ring slots (TPACKET_V2), about 250 of
 * them at a 64 KiB snaplen in a 16 MiB buffer, and a burst overflowed them (106 of 505 frames
 * dropped by the kernel in the veth test). TPACKET_V3 packs frames by their real size; the
 * cost is up to the ring's block timeout of delay, which monitoring does not mind.
 */
export interface LiveCaptureOptions {
  interface: string;
  filter: string;
  snaplen: number;
  /** Kernel buffer in KiB (tcpdump -B; default 64 MiB). */
  bufferKiB?: number;
  tcpdump?: string;
}

export interface LiveCapture {
  /** Packets the kernel dropped before tcpdump could read them, as tcpdump last reported. */
  kernelDrops(): number;
  /** Ends the capture; resolves when every frame tcpdump wrote has been read. */
  stop(): Promise<CaptureReadResult>;
  /** Resolves when the capture ends by itself (tcpdump exited: interface gone, no permission). */
  readonly ended: Promise<CaptureReadResult>;
  /** What tcpdump said last on stderr (its errors name the reason it stopped). */
  lastMessage(): string;
  /** Resolves when tcpdump has opened the interface ("listening on …"): frames from then on are seen. */
  readonly listening: Promise<void>;
}

const STATS_INTERVAL_MS = 1000;

export function startLiveCapture(o: LiveCaptureOptions, onFrame: FrameHandler, errors: ErrorCounts = new ErrorCounts()): LiveCapture {
  const args = ["-i", o.interface, "-U", "-w", "-", "-n", "-s", String(o.snaplen), "-B", String(o.bufferKiB ?? 65_536)];
  if (o.filter) args.push(o.filter);
  const child: ChildProcess = spawn(o.tcpdump ?? "tcpdump", args, { stdio: ["ignore", "pipe", "pipe"] });
  let drops = 0;
  let message = "";
  let heard: () => void = () => undefined;
  const listening = new Promise<void>((r) => (heard = r));
  child.stderr!.setEncoding("utf8");
  // Whole lines only: a chunk may end inside one ("tcpdump: listen" + "ing on ...").
  let partial = "";
  child.stderr!.on("data", (text: string) => {
    const lines = (partial + text).split("\n");
    partial = lines.pop() ?? "";
    if (partial.length > 4096) partial = "";
    for (const line of lines) {
      const m = /(\d+) packets? dropped by kernel/.exec(line);
      if (m) drops = Number(m[1]);
      const t = line.trim();
      if (/^tcpdump: listening on /.test(t)) heard();
      // "tcpdump: eth9: No such device exists" then "(No such device exists)": the first names the interface.
      if (t.startsWith("tcpdump:")) message = t;
      else if (t && !/^\d+ packets? (captured|received by filter|dropped by kernel)/.test(t)) message = message ? `${message} ${t}` : t;
    }
  });
  child.on("error", (e) => {
    message = `cannot run tcpdump: ${e.message}`;
  });
  // tcpdump prints its counters on SIGUSR1, once it listens: before it has set its handler,
  // SIGUSR1's default action ends it (seen as a capture that never started on a slow start).
  let timer: NodeJS.Timeout | undefined;
  let done = false;
  void listening.then(() => {
    if (done || child.exitCode !== null || child.signalCode !== null) return;
    timer = setInterval(() => child.kill("SIGUSR1"), STATS_INTERVAL_MS);
    timer.unref();
  });
  const exited = new Promise<void>((r) => child.once("close", () => r()));
  const ended = readCapture(child.stdout!, onFrame, errors).then(async (r) => {
    done = true;
    if (timer) clearInterval(timer);
    await exited;
    return r;
  });
  return {
    kernelDrops: () => drops,
    lastMessage: () => message,
    listening,
    ended,
    stop: async () => {
      done = true;
      if (timer) clearInterval(timer);
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      return ended;
    },
  };
}
