import { type Socket, createSocket } from "node:dgram";
import { type Server, createServer } from "node:http";
import { isIPv6 } from "node:net";
import { Worker } from "node:worker_threads";
import { type Logger, pino } from "pino";
import type { ServeConfig } from "./config.js";
import type { StatsSnapshot, ToMain, ToWorker } from "./messages.js";
import { renderMetrics } from "./metrics.js";

/** Datagrams are handed to the worker in batches: at most this many, or after this long. */
const BATCH_DATAGRAMS = 512;
const BATCH_MS = 5;

interface Batch {
  chunks: Buffer[];
  exporters: string[];
  receivedMs: number[];
  bytes: number;
}

export interface RunningServer {
  /** Bound ports: the HTTP endpoint and each NetFlow listener by source name. */
  httpPort: number;
  netflowPorts: Record<string, number>;
  /** Resolves with the exit code once the server has stopped. */
  done: Promise<number>;
  stop(): Promise<number>;
}

/**
 * `cordon serve`, main thread: owns every socket (NetFlow listeners, the HTTP endpoint for
 * /healthz and /metrics) and never touches the database. Datagrams go to the ingest worker
 * in batches; when the worker falls behind by more than `maxQueue` datagrams, new ones are
 * dropped and counted rather than queued without bound.
 */
export async function startServer(config: ServeConfig, log: Logger = pino({ level: config.logLevel })): Promise<RunningServer> {
  const worker = new Worker(new URL("./ingest-worker.js", import.meta.url), { workerData: config });
  let stats: StatsSnapshot = { pipeline: { packets: 0, flows: 0, devices: 0, liveFlows: 0, evictions: 0, errors: {}, alerts: 0, detectorFailures: 0 }, sources: {} };
  let up = false;
  let stopping = false;
  let inFlight = 0;
  let finish: (code: number) => void = () => undefined;
  const done = new Promise<number>((r) => (finish = r));
  let stopped: () => void = () => undefined;
  const stoppedAck = new Promise<void>((r) => (stopped = r));

  const ready = new Promise<void>((resolve, reject) => {
    worker.on("message", (m: ToMain) => {
      if (m.type === "ready") {
        up = true;
        log.info({ devices: m.devices, db: config.db }, "ingest worker ready");
        resolve();
      } else if (m.type === "ack") {
        inFlight -= m.count;
      } else if (m.type === "stats") {
        stats = m.stats;
      } else if (m.type === "stopped") {
        stopped();
      } else if (m.type === "fatal") {
        log.fatal({ reason: m.message }, "ingest worker failed");
        reject(new Error(m.message));
      }
    });
    worker.once("error", (e) => {
      log.fatal({ err: e }, "ingest worker crashed");
      reject(e);
    });
  });
  worker.once("exit", (code) => {
    up = false;
    if (!stopping) {
      log.fatal({ code }, "ingest worker exited");
      finish(1);
    }
  });
  await ready;

  const drops = new Map<string, number>();
  const batches = new Map<string, Batch>();
  const flush = (source: string): void => {
    const b = batches.get(source);
    if (!b || b.chunks.length === 0) return;
    batches.delete(source);
    const data = Buffer.concat(b.chunks, b.bytes);
    const offsets = [0];
    for (const c of b.chunks) offsets.push(offsets[offsets.length - 1] + c.length);
    const ab = data.buffer.slice(data.byteOffset, data.byteOffset + data.length) as ArrayBuffer;
    const m: ToWorker = { type: "datagrams", source, data: ab, offsets, exporters: b.exporters, receivedMs: b.receivedMs, dropsSoFar: drops.get(source) ?? 0 };
    inFlight += b.exporters.length;
    worker.postMessage(m, [ab]);
  };
  const flushTimer = setInterval(() => {
    for (const s of [...batches.keys()]) flush(s);
  }, BATCH_MS);

  const sockets: Socket[] = [];
  const netflowPorts: Record<string, number> = {};
  for (const n of config.netflow) {
    const socket = createSocket({ type: isIPv6(n.host) ? "udp6" : "udp4", recvBufferSize: 16 << 20 });
    socket.on("message", (msg, rinfo) => {
      if (inFlight >= config.maxQueue) {
        drops.set(n.name, (drops.get(n.name) ?? 0) + 1);
        return;
      }
      let b = batches.get(n.name);
      if (!b) {
        b = { chunks: [], exporters: [], receivedMs: [], bytes: 0 };
        batches.set(n.name, b);
      }
      b.chunks.push(msg);
      b.exporters.push(rinfo.address);
      b.receivedMs.push(Date.now());
      b.bytes += msg.length;
      if (b.chunks.length >= BATCH_DATAGRAMS) flush(n.name);
    });
    socket.on("error", (e) => log.error({ source: n.name, err: e }, "netflow socket error"));
    await new Promise<void>((resolve, reject) => {
      socket.once("error", reject);
      socket.bind(n.port, n.host, () => {
        socket.off("error", reject);
        resolve();
      });
    });
    netflowPorts[n.name] = socket.address().port;
    sockets.push(socket);
    log.info({ source: n.name, host: n.host, port: netflowPorts[n.name], site: n.site }, "netflow listener bound");
  }

  const http: Server = createServer((req, res) => {
    if (req.method === "GET" && req.url === "/healthz") {
      res.writeHead(up ? 200 : 503, { "content-type": "application/json" });
      res.end(JSON.stringify({ status: up ? "ok" : "down", devices: stats.pipeline.devices, sources: Object.keys(stats.sources) }));
    } else if (req.method === "GET" && req.url === "/metrics") {
      res.writeHead(200, { "content-type": "text/plain; version=0.0.4" });
      res.end(renderMetrics(stats, up));
    } else {
      res.writeHead(404, { "content-type": "text/plain" });
      res.end("not found\n");
    }
  });
  await new Promise<void>((resolve, reject) => {
    http.once("error", reject);
    http.listen(config.http.port, config.http.host, () => {
      http.off("error", reject);
      resolve();
    });
  });
  const address = http.address();
  const httpPort = typeof address === "object" && address ? address.port : config.http.port;
  log.info({ host: config.http.host, port: httpPort }, "http endpoint: /healthz, /metrics");

  const stop = async (): Promise<number> => {
    if (stopping) return done;
    stopping = true;
    log.info("stopping: closing listeners, flushing live flows and the inventory");
    await Promise.all(sockets.map((s) => new Promise<void>((r) => s.close(() => r()))));
    clearInterval(flushTimer);
    for (const s of [...batches.keys()]) flush(s);
    worker.postMessage({ type: "stop" } satisfies ToWorker);
    const timeout = new Promise<"timeout">((r) => setTimeout(() => r("timeout"), 60_000).unref());
    const outcome = await Promise.race([stoppedAck.then(() => "stopped" as const), timeout]);
    await new Promise<void>((r) => http.close(() => r()));
    await worker.terminate();
    const code = outcome === "stopped" ? 0 : 1;
    if (code !== 0) log.error("the ingest worker did not finish in 60 s");
    else log.info({ flows: stats.pipeline.flows, devices: stats.pipeline.devices }, "stopped");
    finish(code);
    return code;
  };
  return { httpPort, netflowPorts, done, stop };
}
