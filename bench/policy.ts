/**
 * `npm run bench` (policy part): learning and compiling segmentation policy for a lab site of
 * 10,000 devices. The site is analysed into a database first (not timed here; bench/analyze
 * times that); then `cordon policy learn` and the compilers run as their own processes, as a
 * person would run them. Target: learn plus compile under 5 s and under 500 MB. Medians of
 * BENCH_RUNS runs.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { DEFAULT_LAB, generateLab } from "../src/lab/generate.js";
import { measure, median } from "./measure.js";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const out = join(root, "bench", "out", "policy");
const runs = Number(process.env.BENCH_RUNS ?? 3);
const devices = Number(process.env.BENCH_POLICY_DEVICES ?? 10_000);
const duration = Number(process.env.BENCH_POLICY_DURATION ?? 1800);
mkdirSync(out, { recursive: true });
const cli = join(root, "dist", "src", "cli", "main.js");
const db = join(out, "site.db");
for (const s of ["", "-wal", "-shm"]) rmSync(db + s, { force: true });

const lab = generateLab(out, { ...DEFAULT_LAB, devices, durationS: duration, seed: 11 });
const analyze = measure([process.execPath, cli, "analyze", "--db", db, "--format", "json", lab.pcap]);
if (analyze.status !== 0) throw new Error(`analyze exited ${analyze.status}`);
console.log(`policy bench: lab site of ${lab.devices} devices, ${lab.frames} packets, ${duration} s; analysed in ${analyze.wallS.toFixed(1)} s (not part of the target)`);

function timed(name: string, args: string[]): { wallS: number; rssMb: number } {
  const walls: number[] = [];
  const rss: number[] = [];
  for (let i = 0; i < runs; i++) {
    const m = measure([process.execPath, cli, ...args]);
    if (m.status !== 0) throw new Error(`${name} exited ${m.status}`);
    walls.push(m.wallS);
    rss.push(m.maxRssMb);
  }
  const r = { wallS: median(walls), rssMb: median(rss) };
  console.log(`  ${name.padEnd(34)} ${r.wallS.toFixed(2)} s (runs ${walls.map((w) => w.toFixed(2)).join(", ")}), peak RSS ${r.rssMb.toFixed(0)} MB`);
  return r;
}

const learn = timed("policy learn", ["policy", "learn", "--db", db]);
const compiles = [
  timed("policy compile nftables", ["policy", "compile", "--db", db, "--policy", "latest", "--target", "nftables"]),
  timed("policy compile dacl (cameras)", ["policy", "compile", "--db", db, "--policy", "latest", "--target", "dacl", "--device", "category:camera"]),
  timed("policy compile aruba (cameras)", ["policy", "compile", "--db", db, "--policy", "latest", "--target", "aruba", "--device", "category:camera"]),
];
// iptables writes address lists out (no ipset): a site this size is refused, by design, with the count.
const ipt = spawnSync(process.execPath, [cli, "policy", "compile", "--db", db, "--policy", "latest", "--target", "iptables"], { encoding: "utf8" });
console.log(`  policy compile iptables            exit ${ipt.status}: ${ipt.stderr.split("\n")[0]}`);
const total = learn.wallS + compiles[0].wallS;
const peak = Math.max(learn.rssMb, ...compiles.map((c) => c.rssMb));
console.log(`  learn + compile (nftables): ${total.toFixed(2)} s (target < 5 s), peak RSS ${peak.toFixed(0)} MB (target < 500 MB)`);
