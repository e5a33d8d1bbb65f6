/**
 * `npm run bench` (API part): serve's HTTP API and console on a lab site of 10,000 devices and
 * about a million flows, while serve ingests IPFIX at 50,000 records/s from a replayer on
 * loopback. Latency is measured by a closed-loop load generator in this process (CONCURRENCY
 * keep-alive connections, each sending its next request when the last answered) over
 * BENCH_API_SECONDS per endpoint: the median, p95 and p99 of each. Beside it, the floor of the
 * platform: a bare Node.js HTTP server answering a body of the device page's size, under the
 * same load. Then the console's inventory in Debian's Chromium: from navigation to all
 * 10,000 rows counted and the table interactive, read with the Performance API in the page.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { Agent, request } from "node:http";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { labDatabase } from "./lab-site.js";
import { RECORDS_PER_PACKET, prepare, writeDatagrams } from "./netflow-datagrams.js";
import { type Serving, serve } from "../test/serve-process.js";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const out = join(root, "bench", "out", "api");
mkdirSync(out, { recursive: true });
const cli = join(root, "dist", "src", "cli", "main.js");
const sender = join(root, "dist", "bench", "netflow-sender.js");
const LAB_DURATION = Number(process.env.BENCH_API_LAB_DURATION ?? 2900);
const SECONDS = Number(process.env.BENCH_API_SECONDS ?? 10);
const CONCURRENCY = 4;
const INGEST_RATE = 50_000;
const PASSWORD = "a long passphrase for timing";

const run = (args: string[], input?: string): string => execFileSync(process.execPath, [cli, ...args], { input, encoding: "utf8", cwd: out, maxBuffer: 1 << 30 });

interface Latency { p50: number; p95: number; p99: number; requests: number; perS: number; bytes: number }

const percentile = (sorted: number[], q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];

/** CONCURRENCY clients, each asking for the next of `paths` (round robin) as soon as its last answer is in, for `seconds`. */
async function load(port: number, paths: string[], headers: Record<string, string>, seconds = SECONDS): Promise<Latency> {
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const times: number[] = [];
  let bytes = 0;
  let next = 0;
  const end = performance.now() + seconds * 1000;
  const one = (path: string): Promise<void> => new Promise((done, fail) => {
    const t0 = performance.now();
    request({ host: "127.0.0.1", port, path, agent, headers }, (res) => {
      let n = 0;
      res.on("data", (c: Buffer) => (n += c.length));
      res.on("end", () => {
        if (res.statusCode !== 200) fail(new Error(`${path}: HTTP ${res.statusCode}`));
        times.push(performance.now() - t0);
        bytes += n;
        done();
      });
    }).on("error", fail).end();
  });
  const client = async (): Promise<void> => {
    while (performance.now() < end) await one(paths[next++ % paths.length]);
  };
  const t = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, client));
  const wallS = (performance.now() - t) / 1000;
  agent.destroy();
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 0.5), p95: percentile(times, 0.95), p99: percentile(times, 0.99), requests: times.length, perS: times.length / wallS, bytes: bytes / times.length };
}

/** serve on the lab copy: HTTP and an IPFIX listener on loopback, its ports read from its log (as the tests start it). */
async function serveOn(db: string): Promise<Serving> {
  const config = join(out, "serve.yaml");
  writeFileSync(config, [`db: ${db}`, "netflow: [ { host: 127.0.0.1, port: 0 } ]"].join("\n"));
  return serve(["--config", config, "--log-level", "info"], [], { cwd: out });
}

/** A bare Node.js HTTP server answering `body` to everything: what any HTTP API on this platform costs at least. */
function floorServer(body: string): Promise<{ child: ChildProcess; port: number }> {
  const script = `const b = Buffer.from(process.argv[1]); const s = require("node:http").createServer((q, r) => { r.writeHead(200, { "content-type": "application/json", "content-length": b.length }); r.end(b); });
    s.listen(0, "127.0.0.1", () => console.log(s.address().port));`;
  const child = spawn(process.execPath, ["-e", script, body], { stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((r) => child.stdout!.once("data", (d: Buffer) => r({ child, port: Number(d.toString().trim()) })));
}

/** The console's inventory in Chromium: navigation start to every row counted, in the page's own clock. */
async function inventoryInChromium(port: number): Promise<{ ms: number; rows: number } | string> {
  if (!existsSync("/usr/bin/chromium")) return "skipped: Debian's chromium is not installed";
  const { chromium } = await import("playwright-core");
  const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", headless: true, args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"] });
  try {
    const context = await browser.newContext({ viewport: { width: 1366, height: 800 } });
    const page = await context.newPage();
    await page.goto(`http://127.0.0.1:${port}/`);
    await page.getByLabel("Name").fill("bench");
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Log in" }).click();
    await page.getByText("bench (").waitFor();
    const times: number[] = [];
    let rows = 0;
    for (let i = 0; i < 3; i++) {
      const tab = await context.newPage();
      await tab.goto(`http://127.0.0.1:${port}/#/devices`);
      // Every device loaded: "N of N devices", N not 0 (the inventory grows while serve ingests).
      const counted = await tab.waitForFunction(() => {
        const m = /^(\d+) of (\d+) devices$/.exec(document.querySelector(".filters [aria-live]")?.textContent ?? "");
        return m !== null && m[1] === m[2] && Number(m[1]) > 0 ? Number(m[1]) : false;
      }, undefined, { timeout: 60_000 });
      rows = (await counted.jsonValue()) as number;
      // Interactive: a filter answers (the first row of a category appears).
      await tab.getByLabel("Category").selectOption("camera");
      await tab.locator(".body [role=row]").first().waitFor();
      times.push(await tab.evaluate(() => performance.now()));
      await tab.close();
    }
    return { ms: times.sort((a, b) => a - b)[1], rows };
  } finally {
    await browser.close();
  }
}

const db = labDatabase(out, cli, LAB_DURATION);
const live = join(out, "run.db");
for (const s of ["", "-wal", "-shm"]) rmSync(live + s, { force: true });
copyFileSync(db, live);
run(["user", "add", "bench-admin", "--role", "admin", "--db", live]);
run(["user", "add", "bench", "--role", "viewer", "--password-stdin", "--db", live], `${PASSWORD}\n`);
const token = run(["token", "add", "--user", "bench", "--name", "bench", "--expires", "1", "--db", live]).trim();
const devices = JSON.parse(run(["devices", "--db", live, "--format", "json"])) as { mac: string | null }[];
const macs = devices.filter((d) => d.mac).map((d) => d.mac!);
const flows = Number(execFileSync("node", ["-e", `const D=require(${JSON.stringify(join(root, "node_modules", "better-sqlite3"))}); console.log(new D(${JSON.stringify(live)},{readonly:true}).prepare("select sum(count) n from flow_chunks").get().n)`], { encoding: "utf8" }).trim());

const step = (what: string): void => void process.stderr.write(`# ${new Date().toISOString().slice(11, 19)} ${what}\n`);
step(`lab ready: ${devices.length} devices, ${flows} flows`);
const s = await serveOn(live);
step("serve listening");
const datagrams = join(out, "ipfix.bin");
writeDatagrams(datagrams, prepare(10));
const headers = { authorization: `Bearer ${token}` };
// Page cursors of the device list, walked once, so the load asks for pages all through the inventory.
const cursors = [""];
for (let after = ""; cursors.length < 100;) {
  const page = JSON.parse(execFileSync("curl", ["-sf", "-H", `authorization: Bearer ${token}`, `http://127.0.0.1:${s.httpPort}/api/devices?limit=100${after ? `&after=${encodeURIComponent(after)}` : ""}`], { encoding: "utf8" })) as { next: string | null };
  if (!page.next) break;
  after = page.next;
  cursors.push(after);
}
const alertIds = (JSON.parse(execFileSync("curl", ["-sf", "-H", `authorization: Bearer ${token}`, `http://127.0.0.1:${s.httpPort}/api/alerts?view=row&status=all&limit=500`], { encoding: "utf8" })) as { items: { id: string }[] }).items.map((a) => a.id);
const pick = (n: number): string[] => Array.from({ length: n }, (_, i) => macs[(i * 7919) % macs.length]);
const allEndpoints: [string, string[]][] = [
  ["device list, a page of 100 (rows, as the console)", cursors.map((c) => `/api/devices?view=row&limit=100${c ? `&after=${encodeURIComponent(c)}` : ""}`)],
  ["device list, a page of 100 (whole devices)", cursors.map((c) => `/api/devices?limit=100${c ? `&after=${encodeURIComponent(c)}` : ""}`)],
  ["device page: the device whole", pick(500).map((m) => `/api/devices/${m}`)],
  ["device page: its newest 100 flows", pick(500).map((m) => `/api/flows?device=${m}&limit=100`)],
  ["device page: its alerts (rows, as the console)", pick(500).map((m) => `/api/alerts?view=row&status=all&device=${m}`)],
  ["device page: its alerts (whole)", pick(500).map((m) => `/api/alerts?status=all&device=${m}`)],
  ["device page: peers, baseline, policy (context)", pick(500).map((m) => `/api/devices/${m}/context`)],
  ["alert queue, a page of 100 (rows, as the console)", ["/api/alerts?view=row&limit=100"]],
  ["alert queue, a page of 100 (whole, with evidence)", ["/api/alerts?limit=100"]],
  ["alert page: one alert with its evidence", alertIds.map((id) => `/api/alerts/${id}`)],
  ["overview", ["/api/overview"]],
];
// BENCH_API_ONLY: a regular expression on the endpoints' names, to measure only those (the browser part still runs).
const only = process.env.BENCH_API_ONLY === undefined ? undefined : new RegExp(process.env.BENCH_API_ONLY);
const endpoints = allEndpoints.filter(([name]) => only === undefined || only.test(name));

// First with serve idle (what the reads cost by themselves), then with the replayer running
// through every measurement: serve ingests INGEST_RATE records/s meanwhile.
const idle: Latency[] = [];
for (const [name, paths] of endpoints) {
  step(`${name}, idle`);
  idle.push(await load(s.httpPort, paths, headers));
}
const seconds = endpoints.length * SECONDS + 10;
const replayer = spawn(process.execPath, [sender, datagrams, String(s.netflowPort!), String(INGEST_RATE / RECORDS_PER_PACKET), String(seconds)], { stdio: ["ignore", "pipe", "inherit"] });
await new Promise((r) => setTimeout(r, 3000));
console.log(`\nAPI: ${devices.length} devices, ${flows} flows stored at start; ${CONCURRENCY} keep-alive clients, ${SECONDS} s per endpoint; idle, then with serve ingesting IPFIX at ${INGEST_RATE} records/s`);
const rows: [string, Latency][] = [];
for (const [name, paths] of endpoints) {
  step(name);
  rows.push([name, await load(s.httpPort, paths, headers)]);
}
const metrics = execFileSync("curl", ["-s", `http://127.0.0.1:${s.httpPort}/metrics`], { encoding: "utf8" });
const floorBody = JSON.stringify({ items: Array.from({ length: 100 }, () => ({ pad: "x".repeat(Math.round(rows[0][1].bytes / 100) - 12) })) });
const floor = await floorServer(floorBody);
const bare = await load(floor.port, ["/"], {});
floor.child.kill();
replayer.kill();
const ms = (v: number): string => `${v.toFixed(1).padStart(7)} ms`;
for (const [i, [name, l]] of rows.entries()) {
  console.log(`  ${name.padEnd(52)} idle p50 ${ms(idle[i].p50)} p95 ${ms(idle[i].p95)} | ingesting p50 ${ms(l.p50)} p95 ${ms(l.p95)} p99 ${ms(l.p99)}  ${Math.round(l.perS)} req/s, ${Math.round(l.bytes / 1024)} KiB${l.p95 < 50 ? "" : "  (target p95 < 50 ms: missed)"}`);
}
console.log(`  ${"floor: bare node:http, first body size, same load".padEnd(52)} p50 ${ms(bare.p50)} p95 ${ms(bare.p95)} p99 ${ms(bare.p99)}  ${Math.round(bare.perS)} req/s`);
const received = /^cordon_source_records_total\S* (\d+)/m.exec(metrics)?.[1];
console.log(`  IPFIX records decoded during the run: ${received ?? "see /metrics"}`);
const inventory = await inventoryInChromium(s.httpPort);
console.log(typeof inventory === "string" ? `  console inventory in Chromium: ${inventory}`
  : `  console inventory in Chromium, ${inventory.rows} devices, navigation to all rows loaded and a filter answered: ${Math.round(inventory.ms)} ms (target < 1000 ms; median of 3)`);
s.child.kill("SIGTERM");
await new Promise((r) => s.child.once("exit", r));
