/**
 * `npm run bench` (live capture part, root only): `cordon serve` captures on one end of a veth
 * pair in a network namespace made here, `tcpreplay` sends a prepared capture into the other
 * end at fixed packet rates that step up; for each rate, the frames the pipeline received and
 * the kernel's drops (tcpdump's counters) from /metrics, and the CPU that serve and tcpdump
 * spent per packet. Each rate is measured twice, into a new serve (cold) and into one that
 * has first taken other traffic (warm).
 * Target: 300,000 packets/s without drops.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { corpusEthernetFrames, writeBenchCapture } from "./build-capture.js";
import { cpuSeconds, haveCommand } from "./measure.js";
import { serve } from "../test/serve-process.js";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const out = join(root, "bench", "out");
const capture = join(out, "bench-2000000.pcap");
const RATES = (process.env.BENCH_LIVE_RATES ?? "100000,200000,300000,400000").split(",").map(Number);
// Five seconds at 300,000 packets/s: long enough to call sustained, and every packet new to serve.
const PACKETS = Number(process.env.BENCH_LIVE_PACKETS ?? 1_500_000);
const WARMUP = Number(process.env.BENCH_LIVE_WARMUP ?? 200_000);

if (process.getuid?.() !== 0 || !["ip", "tcpdump", "tcpreplay"].every(haveCommand) || !existsSync(capture)) {
  console.log("\nlive capture: skipped (needs root, ip, tcpdump, tcpreplay and bench/out/bench-2000000.pcap from the analyze bench)");
  process.exit(0);
}

const corpus = resolve(root, "..", "shared", "corpus");
const warmup = join(out, "live", "warmup.pcap");
if (!existsSync(join(corpus, "CAPTURES.tsv"))) {
  console.log(`\nlive capture: skipped (corpus absent: ${corpus})`);
  process.exit(0);
}
mkdirSync(join(out, "live"), { recursive: true });
{
  const { frames, spanUs } = await corpusEthernetFrames(corpus);
  // Copies from 200 on: MACs and addresses that the measured capture (copies 0, 1, ...) never has.
  writeBenchCapture(warmup, frames, spanUs, WARMUP, undefined, 200);
}

const ns = `cordon-bench${process.pid}`;
const inNs = (...a: string[]): string => execFileSync("ip", ["netns", "exec", ns, ...a], { stdio: ["ignore", "pipe", "ignore"] }).toString();
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function metrics(port: number): { frames: number; kernel: number } {
  const text = inNs("curl", "-s", `http://127.0.0.1:${port}/metrics`);
  const frames = Number(/cordon_source_packets_total\{source="capture:cva"[^}]*\} (\d+)/.exec(text)?.[1] ?? 0);
  const kernel = Number(/cordon_source_drops_total\{source="capture:cva",where="kernel"\} (\d+)/.exec(text)?.[1] ?? 0);
  return { frames, kernel };
}

spawnSync("ip", ["netns", "del", ns], { stdio: "ignore" });
execFileSync("ip", ["netns", "add", ns]);
try {
  execFileSync("ip", ["-n", ns, "link", "add", "cva", "type", "veth", "peer", "name", "cvb"]);
  for (const k of ["all", "default", "cva", "cvb"]) inNs("sysctl", "-qw", `net.ipv6.conf.${k}.disable_ipv6=1`);
  for (const dev of ["cva", "cvb"]) execFileSync("ip", ["-n", ns, "link", "set", dev, "mtu", "65535", "up"]);
  execFileSync("ip", ["-n", ns, "link", "set", "lo", "up"]);
  console.log(`\nlive capture through a veth pair, ${PACKETS} packets of ${capture.split("/").pop()} per rate`);
  console.log("  offered pkts/s   phase   achieved pkts/s   pipeline frames   kernel drops   CPU µs/packet: serve / tcpdump");
  for (const rate of RATES) {
    // Cold: a new serve meets the measured traffic at once, and V8 compiles the packet path
    // while the packets come (in analyze that is over a second of a helper thread's CPU).
    // Warm: a new serve first takes WARMUP packets of other devices (copies of the same
    // corpus traffic with other MACs and addresses), as a serve that has run a while would
    // have; then the same measured traffic, all new flows and devices to it.
    for (const phase of ["cold", "warm"] as const) {
      const dir = join(out, "live");
      rmSync(join(dir, "l.db"), { force: true });
      // Its port read from its log lines as JSON (test/serve-process.ts), not by a pattern over the text that a new field breaks.
      const { child, httpPort: port } = await serve(["--db", join(dir, "l.db"), "--capture", "cva", "--log-level", "info"], ["ip", "netns", "exec", ns]);
      await sleep(1500);
      const tcpdump = Number(execFileSync("pgrep", ["-P", String(child.pid), "tcpdump"]).toString().trim().split("\n")[0]);
      if (phase === "warm") {
        inNs("tcpreplay", "-K", "--pps", "100000", "-i", "cvb", warmup);
        await sleep(2000);
      }
      const before = metrics(port);
      const cpu0 = [cpuSeconds(child.pid!), cpuSeconds(tcpdump)];
      // -K: tcpreplay reads the capture into memory first, so the sender spends its core on sending.
      const replay = inNs("tcpreplay", "-K", "--pps", String(rate), "--limit", String(PACKETS), "-i", "cvb", capture);
      const achieved = Number(/Rated: [\d.]+ Bps, [\d.]+ Mbps, ([\d.]+) pps/.exec(replay)?.[1] ?? 0);
      let after = metrics(port);
      for (let i = 0; i < 20 && after.frames - before.frames < PACKETS; i++) {
        await sleep(500);
        after = metrics(port);
      }
      const perPacket = (seconds: number): string => ((seconds * 1e6) / PACKETS).toFixed(1).padStart(5);
      const serveUs = perPacket(cpuSeconds(child.pid!) - cpu0[0]);
      const tcpdumpUs = perPacket(cpuSeconds(tcpdump) - cpu0[1]);
      console.log(`  ${String(rate).padStart(14)}   ${phase}   ${String(Math.round(achieved)).padStart(15)}   ${String(after.frames - before.frames).padStart(15)}   ${String(after.kernel - before.kernel).padStart(12)}   ${serveUs} / ${tcpdumpUs}`);
      await new Promise<void>((r) => {
        child.once("exit", () => r());
        child.kill("SIGTERM");
      });
    }
  }
} finally {
  spawnSync("ip", ["netns", "del", ns], { stdio: "ignore" });
}
