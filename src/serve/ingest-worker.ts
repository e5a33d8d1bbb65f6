import { parentPort, workerData } from "node:worker_threads";
import { pino } from "pino";
import { loadModel } from "../classify/model.js";
import { loadRules } from "../classify/rules.js";
import { settleVerdicts } from "../classify/verdicts.js";
import { priorCategoryById, readIndicators, saveDetected, detectorsFor } from "../cli/detection.js";
import { DetectionEngine } from "../detect/engine.js";
import { createPipeline } from "../pipeline.js";
import { notify } from "../respond/notify/notify.js";
import { ErrorCounts } from "../sources/frame.js";
import { type LiveCapture, startLiveCapture } from "../sources/live-capture.js";
import { NetflowCollector } from "../sources/netflow/collector.js";
import { Store } from "../store/sqlite.js";
import type { ServeConfig } from "./config.js";
import type { SourceSnapshot, StatsSnapshot, ToMain, ToWorker } from "./messages.js";
import { type ZeekReader, startZeekReader } from "../sources/zeek/reader.js";

/**
 * The ingest and storage thread of `cordon serve`: every source feeds one pipeline here, and
 * every database write happens here, so the thread that owns the sockets never waits on SQLite.
 */
const config = workerData as ServeConfig;
const port = parentPort!;
const log = pino({ level: config.logLevel, base: { thread: "ingest" } });
const send = (m: ToMain): void => port.postMessage(m);

let store: Store;
try {
  store = new Store(config.db);
} catch (e) {
  send({ type: "fatal", message: `${config.db}: ${(e as Error).message}` });
  process.exit(1);
}
let engine: DetectionEngine | undefined;
try {
  engine = config.detect ? new DetectionEngine(detectorsFor(store, config.site, { indicators: config.indicators.length ? readIndicators(config.indicators) : undefined }),
    (detector, err, count) => log.error({ detector, err, count }, "detector failed")) : undefined;
} catch (e) {
  send({ type: "fatal", message: (e as Error).message });
  process.exit(1);
}
const pipeline = createPipeline({ flows: (batch) => store.saveFlows(batch) }, engine ? { detect: engine } : {});
pipeline.inventory.load(store.devices());
const priorCategories = priorCategoryById(store);
let alertsRaised = 0;

/**
 * Stores the alerts raised so far (episodes still open are upserted again as they grow),
 * lets finished episodes go from memory, and sends the new ones to the outputs.
 */
async function storeAlerts(final: boolean): Promise<void> {
  if (!engine) return;
  const alerts = final ? engine.finish() : engine.book.all();
  const fresh = saveDetected(store, alerts, pipeline.inventory, priorCategories);
  engine.book.dropFinished(pipeline.now());
  alertsRaised += fresh.length;
  if (fresh.length === 0 || config.notify.length === 0) return;
  const r = await notify(config.notify, fresh);
  for (const f of r.failures) log.error({ failure: f }, "alert output failed");
  if (r.deadLettered > 0) log.warn({ count: r.deadLettered }, "alerts went to the dead-letter file");
}
const rules = loadRules();
const model = loadModel();

interface Source {
  snapshot: SourceSnapshot;
  collector?: NetflowCollector;
  capture?: LiveCapture;
  zeek?: ZeekReader;
  errors: ErrorCounts;
}
const sources = new Map<string, Source>();

for (const n of config.netflow) {
  const errors = new ErrorCounts();
  const collector = new NetflowCollector((r) => pipeline.pushFlow(r), { site: n.site, templateLifetimeMs: n.templateLifetimeS * 1000 });
  sources.set(n.name, { collector, errors, snapshot: { kind: "netflow", site: n.site, packets: 0, bytes: 0, records: 0, drops: 0, kernelDrops: 0, errors: {}, exporters: 0, domains: [] } });
}
for (const c of config.capture) {
  const errors = new ErrorCounts();
  const s: Source = { errors, snapshot: { kind: "capture", site: c.site, packets: 0, bytes: 0, records: 0, drops: 0, kernelDrops: 0, errors: {}, exporters: 0, domains: [] } };
  s.capture = startLiveCapture({ interface: c.interface, filter: c.filter, snaplen: c.snaplen }, (frame) => {
    s.snapshot.packets++;
    s.snapshot.bytes += frame.caplen;
    pipeline.beginSource(c.name, c.site);
    pipeline.push(frame);
  }, errors);
  void s.capture.ended.then((r) => {
    if (!stopping) log.error({ source: c.name, reason: r.fatal ?? s.capture!.lastMessage() }, "live capture ended");
  });
  sources.set(c.name, s);
  log.info({ source: c.name, interface: c.interface, filter: c.filter }, "live capture started");
}
for (const z of config.zeek) {
  const errors = new ErrorCounts();
  const s: Source = { errors, snapshot: { kind: "zeek", site: z.site, packets: 0, bytes: 0, records: 0, drops: 0, kernelDrops: 0, errors: {}, exporters: 0, domains: [] } };
  const resume = store.readPositions(z.name);
  s.zeek = startZeekReader({ dir: z.dir, site: z.site, source: z.name, follow: z.follow, resumeAt: (p) => resume.get(p) }, pipeline, errors, (lines, bytes) => {
    s.snapshot.packets += lines;
    s.snapshot.bytes += bytes;
  });
  sources.set(z.name, s);
}

function snapshot(): StatsSnapshot {
  const out: StatsSnapshot = {
    pipeline: {
      packets: pipeline.stats.packets, flows: pipeline.stats.flows, devices: pipeline.inventory.devices.size,
      liveFlows: pipeline.flowTable.size, evictions: pipeline.flowTable.evictions, errors: pipeline.stats.errors.toJSON(),
      alerts: alertsRaised, detectorFailures: [...(engine?.failures.values() ?? [])].reduce((a, b) => a + b, 0),
    },
    sources: {},
  };
  for (const [name, s] of sources) {
    if (s.collector) {
      const domains = s.collector.stats();
      s.snapshot.records = domains.reduce((a, d) => a + d.records, 0);
      s.snapshot.exporters = new Set(domains.map((d) => d.exporter)).size;
      s.snapshot.domains = domains;
      const errs = s.collector.errors.toJSON();
      for (const d of domains) for (const [k, v] of Object.entries(d.errors)) errs[k] = (errs[k] ?? 0) + v;
      s.snapshot.errors = errs;
    } else {
      s.snapshot.errors = s.errors.toJSON();
    }
    if (s.capture) s.snapshot.kernelDrops = s.capture.kernelDrops();
    if (s.zeek) s.snapshot.records = s.zeek.records();
    out.sources[name] = { ...s.snapshot };
  }
  return out;
}

/** Followed logs: where reading got to, once what was read from them is stored. */
function savePositions(): void {
  for (const [name, s] of sources) if (s.zeek) store.saveReadPositions(name, s.zeek.positions());
}

/** Writes what is settled: idle flows out of the table, the inventory, and (less often) verdicts. */
let ticks = 0;
function persist(): void {
  pipeline.advance(Date.now() * 1000);
  store.saveInventory(pipeline.inventory);
  savePositions();
  if (++ticks % 6 === 0) settleVerdicts(store, pipeline.inventory, rules, pipeline.now(), model);
  void storeAlerts(false).catch((e: unknown) => log.error({ err: e }, "storing alerts failed; will retry"));
}

const persistTimer = setInterval(() => {
  try {
    persist();
  } catch (e) {
    log.error({ err: e }, "persisting failed; will retry");
  }
}, config.persistIntervalS * 1000);
let lastStats = 0;
function sendStats(): void {
  lastStats = Date.now();
  send({ type: "stats", stats: snapshot() });
}
const statsTimer = setInterval(sendStats, 1000);

let stopping = false;
async function stop(): Promise<void> {
  stopping = true;
  clearInterval(persistTimer);
  clearInterval(statsTimer);
  const positions = new Map<string, ReturnType<ZeekReader["positions"]>>();
  for (const [name, s] of sources) {
    if (s.capture) await s.capture.stop();
    if (s.zeek) {
      await s.zeek.stop();
      positions.set(name, s.zeek.positions());
    }
  }
  pipeline.flush();
  store.saveInventory(pipeline.inventory);
  for (const [name, p] of positions) store.saveReadPositions(name, p);
  settleVerdicts(store, pipeline.inventory, rules, pipeline.now(), model);
  await storeAlerts(true);
  const final = snapshot();
  for (const [name, s] of Object.entries(final.sources)) {
    store.saveSource({ name, site: s.site, kind: s.kind, packets: s.packets, bytes: s.bytes, flows: s.records, errors: s.errors });
  }
  store.close();
  send({ type: "stats", stats: final });
  send({ type: "stopped" });
}

port.on("message", (m: ToWorker) => {
  if (m.type === "datagrams") {
    const s = sources.get(m.source);
    const data = Buffer.from(m.data);
    for (let i = 0; i < m.exporters.length; i++) {
      const chunk = data.subarray(m.offsets[i], m.offsets[i + 1]);
      if (s?.collector) {
        s.snapshot.packets++;
        s.snapshot.bytes += chunk.length;
        s.collector.receive(chunk, m.exporters[i], m.receivedMs[i]);
      }
    }
    if (s) s.snapshot.drops = m.dropsSoFar;
    send({ type: "ack", count: m.exporters.length });
    // A backlog of batches is handled without a turn of the event loop: report from here too.
    if (Date.now() - lastStats >= 1000) sendStats();
  } else if (m.type === "stop") {
    stop().catch((e: unknown) => {
      send({ type: "fatal", message: `stopping: ${(e as Error).message}` });
    });
  }
});

send({ type: "ready", devices: pipeline.inventory.devices.size });
