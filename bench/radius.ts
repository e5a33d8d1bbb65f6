import { execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createSocket } from "node:dgram";
import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { RadiusSecret, messageAuthenticator } from "../src/nac/radius/auth.js";
import { ATTR, CODE } from "../src/nac/radius/constants.js";
import { encodeAttributes, encodePacket } from "../src/nac/radius/packet.js";
import { stopChild, writeFreeradiusConf } from "./freeradius.js";
import { cpuSeconds, haveCommand, median } from "./measure.js";

/**
 * MAB authorisations per second, p99 latency and server CPU per authorisation: `cordon
 * serve` (its RADIUS listener, with decisions stored and fed to the inventory as deployed)
 * and FreeRADIUS (a `files` authorize list with the same MACs and VLAN replies), each under
 * the same `radclient -c N -p P` load, one after the other, in the same run. CPU comes from
 * /proc/PID/stat (all threads) so the load generator's own limit does not hide the server's
 * cost; latency from a probe that sends one request every 2 ms while the load runs.
 */

const ROOT = resolve(fileURLToPath(import.meta.url), "..", "..", "..");
const CLI = join(ROOT, "dist", "src", "cli", "main.js");
const OUT = join(ROOT, "bench", "out", "radius");
const SECRET = "bench-secret";
const KEY = new RadiusSecret(SECRET);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const REPEAT = Number(process.env.BENCH_RADIUS_REPEAT ?? 200);
const WARMUP = Number(process.env.BENCH_RADIUS_WARMUP ?? 20);
const PARALLEL = Number(process.env.BENCH_RADIUS_PARALLEL ?? 64);

/** Known MACs: a lab site analysed into the bench database (devices Cordon identified). */
function prepare(): { db: string; macs: string[] } {
  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(OUT, { recursive: true });
  const lab = join(OUT, "lab");
  execFileSync(process.execPath, [CLI, "lab", "--out", lab, "--devices", process.env.BENCH_RADIUS_DEVICES ?? "300", "--duration", "600"], { stdio: "ignore" });
  const db = join(OUT, "cordon.db");
  execFileSync(process.execPath, [CLI, "analyze", "--db", db, "--no-detect", "--format", "json", join(lab, "lab.pcapng")], { stdio: "ignore", maxBuffer: 1 << 30 });
  const devices = JSON.parse(execFileSync(process.execPath, [CLI, "devices", "--db", db, "--format", "json"], { encoding: "utf8", maxBuffer: 1 << 30 })) as { mac: string | null; category: string }[];
  const macs = devices.filter((d) => d.mac && d.category !== "unknown" && d.category !== "router").map((d) => d.mac!);
  return { db, macs };
}

function requestFile(macs: string[]): string {
  const file = join(OUT, "requests.txt");
  writeFileSync(file, macs.map((m, i) => [
    `User-Name = "${m.replace(/:/g, "")}"`, `User-Password = "${m.replace(/:/g, "")}"`, `Calling-Station-Id = "${m.replace(/:/g, "-").toUpperCase()}"`,
    "Service-Type = Call-Check", "NAS-Port-Type = Ethernet", `NAS-Port-Id = "GigabitEthernet1/0/${(i % 48) + 1}"`, "Message-Authenticator = 0x00",
  ].join("\n")).join("\n\n") + "\n");
  return file;
}

async function waitPort(port: number, timeoutMs = 20_000): Promise<void> {
  const t = Date.now();
  while (Date.now() - t < timeoutMs) {
    const r = await probeOnce(port, "aabbcc000000", 300);
    if (r !== undefined) return;
  }
  throw new Error(`no RADIUS answer on ${port}`);
}

function accessRequest(id: number, mac: string): Buffer {
  const body = encodeAttributes([
    { type: ATTR.messageAuthenticator, value: Buffer.alloc(16) }, { type: ATTR.userName, value: mac }, { type: ATTR.callingStationId, value: mac },
    { type: ATTR.serviceType, value: 10 },
  ]);
  const p = encodePacket(CODE.accessRequest, id, randomBytes(16), body);
  messageAuthenticator(p, p.length, 22, p.subarray(4, 20), KEY, p, 22);
  return p;
}

function probeOnce(port: number, mac: string, timeoutMs: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const s = createSocket("udp4");
    const t0 = process.hrtime.bigint();
    const timer = setTimeout(() => {
      s.close();
      resolve(undefined);
    }, timeoutMs);
    s.on("message", () => {
      clearTimeout(timer);
      s.close();
      resolve(Number(process.hrtime.bigint() - t0) / 1e6);
    });
    s.send(accessRequest(1, mac), port, "127.0.0.1");
  });
}

/** Sends one request every 2 ms until stopped; round-trip times in ms, and how many got no answer within 1 s. */
function latencyProbe(port: number, macs: string[]): { stop(): Promise<{ rtts: number[]; lost: number }> } {
  const s = createSocket("udp4");
  const sent = new Map<number, bigint>();
  const rtts: number[] = [];
  let lost = 0;
  let id = 0;
  s.on("message", (m) => {
    const t = sent.get(m[1]);
    if (t === undefined) return;
    sent.delete(m[1]);
    rtts.push(Number(process.hrtime.bigint() - t) / 1e6);
  });
  const timer = setInterval(() => {
    id = (id + 1) & 0xff;
    if (sent.has(id)) {
      lost++;
      sent.delete(id);
    }
    sent.set(id, process.hrtime.bigint());
    s.send(accessRequest(id, macs[id % macs.length].replace(/:/g, "")), port, "127.0.0.1");
  }, 2);
  return {
    stop: async () => {
      clearInterval(timer);
      await new Promise((r) => setTimeout(r, 1000));
      lost += sent.size;
      s.close();
      return { rtts, lost };
    },
  };
}

interface Result {
  perSecond: number;
  cpuUsPerAuth: number;
  mainThreadUsPerAuth?: number;
  p50Ms: number;
  p99Ms: number;
  lost: number;
  accepted: number;
}

function radclient(port: number, file: string, repeat: number): Promise<string> {
  return new Promise<string>((resolve) => {
    const c = spawn("radclient", ["-q", "-s", "-r", "3", "-t", "3", "-c", String(repeat), "-p", String(PARALLEL), "-f", file, `127.0.0.1:${port}`, "auth", SECRET], { stdio: ["ignore", "pipe", "pipe"] });
    let text = "";
    c.stdout.on("data", (d: Buffer) => (text += d.toString()));
    c.stderr.on("data", (d: Buffer) => (text += d.toString()));
    c.on("close", () => resolve(text));
  });
}

/**
 * The same warm-up for both servers (`WARMUP` rounds of the request file, then a second's
 * rest, so JIT compilation and whatever a server does as it starts are not charged to the
 * measured requests), then the measured load.
 */
async function load(port: number, pid: number, file: string, macs: string[], mainThread: boolean): Promise<Result> {
  const total = macs.length * REPEAT;
  if (WARMUP > 0) await radclient(port, file, WARMUP);
  await new Promise((r) => setTimeout(r, 1000));
  const cpu0 = cpuSeconds(pid);
  const main0 = mainThread ? cpuSeconds(pid, pid) : 0;
  const probe = latencyProbe(port, macs);
  const t0 = process.hrtime.bigint();
  const out = await radclient(port, file, REPEAT);
  const wallS = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = cpuSeconds(pid) - cpu0;
  const mainCpu = mainThread ? cpuSeconds(pid, pid) - main0 : undefined;
  const p = await probe.stop();
  const num = (label: string): number => Number(new RegExp(`${label}\\s*:\\s*(\\d+)`).exec(out)?.[1] ?? Number.NaN);
  const rtts = [...p.rtts].sort((a, b) => a - b);
  return {
    perSecond: total / wallS, cpuUsPerAuth: (cpu * 1e6) / (total + p.rtts.length), mainThreadUsPerAuth: mainCpu === undefined ? undefined : (mainCpu * 1e6) / (total + p.rtts.length),
    p50Ms: rtts[Math.floor(rtts.length * 0.5)] ?? Number.NaN, p99Ms: rtts[Math.floor(rtts.length * 0.99)] ?? Number.NaN, lost: num("Lost") + p.lost, accepted: num("Accepted"),
  };
}

async function runCordon(db: string, file: string, macs: string[]): Promise<Result> {
  const port = 19812;
  const config = join(OUT, "serve.yaml");
  writeFileSync(config, [
    `db: ${db}`, "log_level: warn", "http: { port: 0 }", "nac:", "  host: 127.0.0.1", `  auth_port: ${port}`, `  acct_port: ${port + 1}`,
    "  vlans: { onboarding: 900, quarantine: 666, registered: 100 }", `  nas: [ { name: bench, address: 127.0.0.1, secret: ${SECRET}, vendor: cisco, rate_limit: 1000000 } ]`,
  ].join("\n"));
  const child = spawn(process.execPath, [CLI, "serve", "--config", config], { stdio: "ignore" });
  try {
    await waitPort(port);
    return await load(port, child.pid!, file, macs, true);
  } finally {
    await stopChild(child);
  }
}

async function runFreeradius(file: string, macs: string[]): Promise<Result> {
  const dir = join(OUT, "freeradius");
  const port = 19822;
  writeFreeradiusConf(dir, { port, secret: SECRET, modules: `	files {\n		filename = ${dir}/users\n	}`, authorize: "		files" });
  writeFileSync(join(dir, "users"), macs.map((m) => `${m.replace(/:/g, "")} Auth-Type := Accept\n\tTunnel-Type = VLAN,\n\tTunnel-Medium-Type = IEEE-802,\n\tTunnel-Private-Group-Id = "100"\n`).join("\n"));
  const child = spawn("freeradius", ["-d", dir, "-f"], { stdio: "ignore" });
  try {
    await waitPort(port);
    return await load(port, child.pid!, file, macs, false);
  } finally {
    await stopChild(child);
  }
}


async function main(): Promise<void> {
  if (!haveCommand("radclient")) {
    process.stdout.write("radius: radclient missing (apt-get install -y freeradius-utils); skipped\n");
    return;
  }
  const { db, macs } = prepare();
  const file = requestFile(macs);
  const withFr = haveCommand("freeradius");
  process.stdout.write(`\n== RADIUS MAB (${macs.length} known MACs × ${REPEAT} = ${macs.length * REPEAT} requests per run, radclient -p ${PARALLEL}, ${RUNS} runs)\n`);
  if (!withFr) process.stdout.write("freeradius missing (apt-get install -y freeradius): Cordon alone\n");
  const cordon: Result[] = [];
  const fr: Result[] = [];
  for (let i = 0; i < RUNS; i++) {
    cordon.push(await runCordon(db, file, macs));
    if (withFr) fr.push(await runFreeradius(file, macs));
  }
  const row = (name: string, rs: Result[]): string => {
    const m = (f: (r: Result) => number | undefined): string => {
      const xs = rs.map(f).filter((x): x is number => x !== undefined && !Number.isNaN(x));
      return xs.length ? median(xs).toFixed(xs.every((x) => x >= 100) ? 0 : 1) : "-";
    };
    return `${name.padEnd(11)} ${m((r) => r.perSecond).padStart(9)} ${m((r) => r.cpuUsPerAuth).padStart(12)} ${m((r) => r.mainThreadUsPerAuth).padStart(14)} ${m((r) => r.p50Ms).padStart(8)} ${m((r) => r.p99Ms).padStart(8)} ${String(rs.reduce((a, r) => a + r.lost, 0)).padStart(6)}`;
  };
  process.stdout.write(`${"server".padEnd(11)} ${"auth/s".padStart(9)} ${"CPU µs/auth".padStart(12)} ${"RADIUS thread".padStart(14)} ${"p50 ms".padStart(8)} ${"p99 ms".padStart(8)} ${"lost".padStart(6)}\n`);
  process.stdout.write(`${row("cordon", cordon)}\n`);
  if (withFr) {
    process.stdout.write(`${row("freeradius", fr)}\n`);
    const ratio = median(cordon.map((r) => r.cpuUsPerAuth)) / median(fr.map((r) => r.cpuUsPerAuth));
    process.stdout.write(`CPU per authorisation, cordon / freeradius: ${ratio.toFixed(2)} (target ≤ 1)\n`);
  }
  process.stdout.write(`p99 under load: ${median(cordon.map((r) => r.p99Ms)).toFixed(2)} ms (target < 10 ms); lost: ${cordon.reduce((a, r) => a + r.lost, 0)} (target 0)\n`);
  for (const f of readdirSync(OUT)) if (f.endsWith(".db-wal")) rmSync(join(OUT, f), { force: true });
}

await main();
