/**
 * `npm run bench` (NetFlow part): Cordon's collector against nfcapd on the same prepared
 * datagrams. First the decoder alone (records/s and CPU µs per record, in process), and all
 * of serve's ingest work in process (where the CPU per record goes, apart from sockets); then each
 * collector as a process receiving over loopback from a replayer at fixed rates that step up
 * until records go missing, CPU time read from /proc. A step counts as loss-free when every
 * record was decoded (Cordon: /metrics; nfcapd: its file) within a second of the replay's end. Collectors run one after the other
 * (two cores: one for the replayer, one for the collector under test).
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdirSync, rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { RECORDS_PER_PACKET, prepare, writeDatagrams } from "./netflow-datagrams.js";
import { NetflowCollector } from "../src/sources/netflow/collector.js";
import { detectorsFor } from "../src/app/detections.js";
import { DetectionEngine } from "../src/detect/engine.js";
import { createPipeline } from "../src/pipeline.js";
import type { FlowRecord } from "../src/model/flow-record.js";
import { Store } from "../src/store/store.js";
import { cpuSeconds, haveCommand, median } from "./measure.js";
import { saveInventory } from "../src/app/site-run.js";
import { testPostgres } from "../test/postgres.js";
import { serve } from "../test/serve-process.js";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const out = join(root, "bench", "out", "netflow");
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const sender = join(root, "dist", "bench", "netflow-sender.js");
const STEP_S = Number(process.env.BENCH_NETFLOW_STEP_S ?? 3);
const GRACE_MS = 1000;
/** The rate the PostgreSQL row is measured at (issue 21: 200k records/s with nothing lost). */
const PG_RATE = 200_000;
const RATES = (process.env.BENCH_NETFLOW_RATES ?? "25000,50000,100000,200000,400000,700000,1000000,1400000").split(",").map(Number);

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function replay(file: string, port: number, datagramsPerS: number, seconds: number): number {
  return Number(execFileSync(process.execPath, [sender, file, String(port), String(datagramsPerS), String(seconds)]).toString().trim());
}

interface Step { rate: number; sent: number; received: number; cpuUsPerRecord: number; stored?: number }

/** Where a step's serve stores: a new database each step, and how many flows it holds once serve has stopped. */
interface StepDatabase { open(): string; storedFlows(db: string): number }

const sqliteSteps: StepDatabase = {
  open() {
    const db = join(out, "bench.db");
    for (const s of ["", "-wal", "-shm"]) rmSync(db + s, { force: true });
    return db;
  },
  storedFlows: (db) => storedFlows(db),
};

function storedFlows(db: string): number {
  const store = new Store(db);
  try {
    // PostgreSQL's sum of BIGINT is NUMERIC, which comes back as text.
    return Number(store.sql.column<number | string | null>("SELECT sum(count) FROM flow_chunks")[0] ?? 0);
  } finally {
    store.close();
  }
}

/** Cordon serve as the collector: records counted from /metrics, flows stored counted in the database after it stops. */
async function cordonSteps(file: string, rates = RATES, where: StepDatabase = sqliteSteps): Promise<Step[]> {
  const steps: Step[] = [];
  for (const rate of rates) {
    const db = where.open();
    // In the bench folder: serve keeps its API token file there (beside a SQLite file, or <database>.token for PostgreSQL).
    // Its ports read from its log lines as JSON (test/serve-process.ts), not by a pattern over the text that a new field breaks.
    const { child, httpPort, netflowPort } = await serve(["--db", db, "--netflow", "0", "--log-level", "info"], [], { cwd: out });
    const ports = { http: httpPort, netflow: netflowPort! };
    const records = async (): Promise<number> => {
      const m = await (await fetch(`http://127.0.0.1:${ports.http}/metrics`)).text();
      return Number(/cordon_source_records_total\{[^}]*\} (\d+)/.exec(m)?.[1] ?? 0);
    };
    const cpu0 = cpuSeconds(child.pid!);
    const sent = replay(file, ports.netflow, rate / RECORDS_PER_PACKET, STEP_S) * RECORDS_PER_PACKET;
    // Sustained means decoded within a second of the replay's end, not worked off minutes later.
    await sleep(GRACE_MS);
    const received = await records();
    const cpu = cpuSeconds(child.pid!) - cpu0;
    await stop(child);
    steps.push({ rate, sent, received, cpuUsPerRecord: (cpu * 1e6) / Math.max(1, received), stored: where.storedFlows(db) });
    if (received < sent) break;
  }
  return steps;
}

/** nfcapd as the collector: records counted by nfdump from its files. */
async function nfcapdSteps(file: string): Promise<Step[]> {
  const steps: Step[] = [];
  for (const rate of RATES) {
    const dir = join(out, `nfcapd-${rate}`);
    mkdirSync(dir, { recursive: true });
    const port = 39000 + (rate % 997);
    const child = spawn("nfcapd", ["-p", String(port), "-b", "127.0.0.1", "-w", dir, "-B", String(16 << 20)], { stdio: "ignore" });
    await sleep(500);
    const cpu0 = cpuSeconds(child.pid!);
    const sent = replay(file, port, rate / RECORDS_PER_PACKET, STEP_S) * RECORDS_PER_PACKET;
    await sleep(GRACE_MS);
    const cpu = cpuSeconds(child.pid!) - cpu0;
    await stop(child);
    const stat = execFileSync("nfdump", ["-R", dir, "-I"]).toString();
    const received = Number(/^Flows: (\d+)/m.exec(stat)?.[1] ?? 0);
    steps.push({ rate, sent, received, cpuUsPerRecord: (cpu * 1e6) / Math.max(1, received) });
    rmSync(dir, { recursive: true, force: true });
    if (received < sent) break;
  }
  return steps;
}

/**
 * What serve's worker does with each record, in this process: the collector into the pipeline
 * with the detectors serve runs, flows stored in a new database, the inventory saved at the
 * end. CPU µs per record, the process's own (GC helpers included).
 */
function ingestInProcess(packets: Buffer[]): number {
  const db = join(out, "ingest.db");
  for (const s of ["", "-wal", "-shm"]) rmSync(db + s, { force: true });
  const store = new Store(db);
  const engine = new DetectionEngine(detectorsFor(store, "default", {}), () => {});
  const pipeline = createPipeline({ flows: (batch) => store.saveFlows(batch) }, { detect: engine });
  let n = 0;
  const c = new NetflowCollector((r) => {
    n++;
    pipeline.pushFlow(r);
  });
  const c0 = process.cpuUsage();
  for (const p of packets) c.receive(p, "192.0.2.1", 0);
  pipeline.flush();
  saveInventory(store, pipeline.inventory);
  const cu = process.cpuUsage(c0);
  store.close();
  return (cu.user + cu.system) / n;
}

/** The same records decoded and stored, nothing else (nfcapd's work, without its socket): CPU µs per record. */
function decodeAndStore(packets: Buffer[]): number {
  const db = join(out, "ingest.db");
  for (const s of ["", "-wal", "-shm"]) rmSync(db + s, { force: true });
  const store = new Store(db);
  let batch: FlowRecord[] = [];
  let n = 0;
  const c = new NetflowCollector((r) => {
    n++;
    batch.push(r);
    if (batch.length === 10_000) {
      store.saveFlows(batch);
      batch = [];
    }
  });
  const c0 = process.cpuUsage();
  for (const p of packets) c.receive(p, "192.0.2.1", 0);
  store.saveFlows(batch);
  const cu = process.cpuUsage(c0);
  store.close();
  return (cu.user + cu.system) / n;
}

/** A socket that only counts (`bench/udp-count.ts`) receiving the replay at one rate: its CPU µs per record, and what it missed. */
async function receiveOnly(file: string, rate: number): Promise<{ cpuUsPerRecord: number; sent: number; received: number }> {
  const child = spawn(process.execPath, [join(root, "dist", "bench", "udp-count.js")], { stdio: ["ignore", "pipe", "ignore"] });
  let text = "";
  child.stdout!.on("data", (d: Buffer) => void (text += d.toString()));
  while (!text.includes("\n")) await sleep(20);
  const port = Number(text.trim());
  const cpu0 = cpuSeconds(child.pid!);
  const sent = replay(file, port, rate / RECORDS_PER_PACKET, STEP_S);
  await sleep(GRACE_MS);
  const cpu = cpuSeconds(child.pid!) - cpu0;
  await stop(child);
  const received = Number(text.trim().split("\n")[1].split(" ")[0]);
  return { cpuUsPerRecord: (cpu * 1e6) / Math.max(1, received * RECORDS_PER_PACKET), sent: sent * RECORDS_PER_PACKET, received: received * RECORDS_PER_PACKET };
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((r) => {
    child.once("exit", () => r());
    child.kill("SIGTERM");
  });
}

for (const version of [9, 10] as const) {
  const packets = prepare(version);
  const file = join(out, `v${version}.datagrams`);
  writeDatagrams(file, packets);
  // The decoder alone, in process: every datagram through the collector, five times.
  const times: number[] = [];
  const cpus: number[] = [];
  for (let run = 0; run < 5; run++) {
    let n = 0;
    const c = new NetflowCollector(() => n++);
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    for (const p of packets) c.receive(p, "192.0.2.1", 0);
    const wall = Number(process.hrtime.bigint() - t0) / 1e9;
    const cu = process.cpuUsage(c0);
    times.push(n / wall);
    cpus.push((cu.user + cu.system) / n);
  }
  console.log(`\nNetFlow v${version === 10 ? "10 (IPFIX)" : "9"}, ${packets.length} packets of ${RECORDS_PER_PACKET} records`);
  console.log(`  decoder alone: ${Math.round(median(times))} records/s, ${median(cpus).toFixed(3)} µs CPU per record (median of 5)`);
  const ingest = [0, 1, 2].map(() => ingestInProcess(packets));
  console.log(`  serve's ingest work in process (decode, inventory, behaviour, detectors, flows stored; no sockets): ${median(ingest).toFixed(2)} µs CPU per record (median of 3)`);
  const stored = [0, 1, 2].map(() => decodeAndStore(packets));
  const floorRate = 1_000_000;
  const received = await receiveOnly(file, floorRate);
  const floor = received.cpuUsPerRecord + median(stored);
  console.log(`  floor of a Node collector at ${floorRate} records/s: a dgram socket that only counts, ${received.cpuUsPerRecord.toFixed(2)} µs CPU per record (${received.received}/${received.sent} received),`);
  console.log(`    + decode and store only (no inventory, no detection), ${median(stored).toFixed(2)} µs (median of 3) = ${floor.toFixed(2)} µs per record`);
  const ours = await cordonSteps(file);
  const theirs = haveCommand("nfcapd") ? await nfcapdSteps(file) : [];
  console.log("  offered rate    cordon serve: received/sent  CPU µs/rec    nfcapd: received/sent  CPU µs/rec");
  for (let i = 0; i < Math.max(ours.length, theirs.length); i++) {
    const a = ours[i];
    const b = theirs[i];
    const rate = (a ?? b).rate;
    const cell = (s: Step | undefined): string => (s ? `${String(s.received).padStart(9)}/${String(s.sent).padEnd(9)} ${s.cpuUsPerRecord.toFixed(3).padStart(8)}` : "".padEnd(29));
    console.log(`  ${String(rate).padStart(9)}/s     ${cell(a)}        ${cell(b)}`);
  }
  const best = (steps: Step[]): Step | undefined => [...steps].reverse().find((s) => s.received >= s.sent);
  const bo = best(ours);
  const bt = best(theirs);
  console.log(`  highest loss-free rate: cordon ${bo ? bo.rate : "none"} records/s, nfcapd ${bt ? bt.rate : "none"} records/s (target: cordon >= 1,000,000)`);
  if (bo && bt) console.log(`  CPU per record at that rate, cordon / nfcapd = ${(bo.cpuUsPerRecord / bt.cpuUsPerRecord).toFixed(2)} (target <= 2); the Node floor above / nfcapd = ${(floor / bt.cpuUsPerRecord).toFixed(2)}`);
  // Into PostgreSQL at 200,000 records/s, beside SQLite at the same rate: every record decoded and every flow stored.
  const pg = await testPostgres();
  const sqliteAt = ours.find((s) => s.rate === PG_RATE);
  if (typeof pg === "string") console.log(`  ${pg.replace("tests", "row")}`);
  else {
    const [p] = await cordonSteps(file, [PG_RATE], { open: () => pg.database("netflow"), storedFlows });
    // Lost means not stored once serve stopped; decoded within a second of the replay's end is told beside it.
    const line = (s: Step | undefined): string => (s ? `decoded within 1 s ${s.received}/${s.sent}, stored ${s.stored}, ${s.cpuUsPerRecord.toFixed(3)} µs CPU per record${s.stored === s.sent ? ", nothing lost" : `, ${s.sent - (s.stored ?? 0)} LOST`}` : "not measured");
    console.log(`  at ${PG_RATE} records/s into SQLite:     ${line(sqliteAt)}`);
    console.log(`  at ${PG_RATE} records/s into PostgreSQL: ${line(p)}`);
  }
}
