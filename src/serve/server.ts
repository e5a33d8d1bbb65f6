import { type Socket, createSocket } from "node:dgram";
import { EventHub } from "./events.js";
import { RadiusLog } from "./radius-log.js";
import { isIPv6 } from "node:net";
import { Worker } from "node:worker_threads";
import { type Logger, pino } from "pino";
import { CoaClient, quarantineAction } from "../nac/coa.js";
import { NasRegistry, weakNasSettings } from "../nac/nas.js";
import { DecisionRuns, toColumns } from "../nac/decision-runs.js";
import { type AccountingEvent, RadiusServer } from "../nac/radius-server.js";
import { type RadiusListener, listenRadius } from "../nac/radius-listener.js";
import type { NacTable } from "../nac/authorization.js";
import type { ServeConfig } from "./config.js";
import type { ApiOp, ApiRequest, Caller, ReaderData, ReaderRole, StatsSnapshot, ToMain, ToReader, ToWorker } from "./messages.js";
import { FairAdmission } from "./fair-admission.js";
import { type IpfixTcpListener, listenIpfixTcp } from "./ipfix-tcp.js";
import { renderMetrics } from "./metrics.js";
import { type ApiContext, type ApiReply, apiHosts, buildHttp } from "./api.js";
import { READ_OPS, readerFor } from "./api-reads.js";
import { SourceHealth } from "./source-health.js";
import { cordonVersion } from "../model/shipped-data.js";
import { serveToken } from "../app/api-token.js";
import { redactUrl } from "../store/postgres-sql.js";
import { PrefixTable } from "../policy/prefix-table.js";
import { X509Certificate } from "node:crypto";
import { createSecureContext } from "node:tls";
import type { PkiMaterial } from "../app/certificates.js";
import { EapTlsServer } from "../nac/eap-tls.js";
import { checkClientCertificate } from "../pki/client-certificate.js";
import { type EnrollmentListener, buildEnrollment } from "./enrollment.js";
import type { PkiRequest, PresentedCertificate } from "./messages.js";

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
  /** Bound ports: the HTTP endpoint, each NetFlow listener by source name, and RADIUS (when on). */
  httpPort: number;
  netflowPorts: Record<string, number>;
  radiusPorts?: { auth: number; acct: number };
  /** The enrollment listeners (EST over HTTPS, SCEP and the CRL over HTTP), when on. */
  pkiPorts?: { est?: number; http?: number };
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
  // The API is never open: without a configured token, serve keeps its own beside the database.
  let apiToken = config.http.token;
  if (apiToken === undefined) {
    const t = serveToken(config.db);
    apiToken = t.token;
    log.info({ path: t.path, created: t.created }, "API token file (the CLI reads it; CORDON_TOKEN overrides)");
  }
  const worker = new Worker(new URL("./ingest-worker.js", import.meta.url), { workerData: config });
  let stats: StatsSnapshot = { pipeline: { packets: 0, flows: 0, devices: 0, liveFlows: 0, evictions: 0, devicesLetGo: 0, errors: {}, alerts: 0, detectorFailures: 0, detectorEvictions: {}, heldFlows: 0, storeUp: true }, sources: {} };
  let up = false;
  let stopping = false;
  // The datagram queue to the worker, shared fairly between exporters; per listener, refusals by exporter.
  const admission = new FairAdmission(config.maxQueue);
  const queueDrops: Record<string, Record<string, number>> = {};
  // IPFIX over TCP: listeners (told when the queue has room again) and their stream defects, per source.
  const tcpListeners: IpfixTcpListener[] = [];
  const streamErrors: Record<string, Record<string, number>> = {};
  let finish: (code: number) => void = () => undefined;
  const done = new Promise<number>((r) => (finish = r));
  let stopped: () => void = () => undefined;
  const stoppedAck = new Promise<void>((r) => (stopped = r));
  let firstTable: NacTable | undefined;
  let pki: PkiMaterial | undefined;
  /** Serials of revoked certificates: EAP-TLS refuses them (the worker says when the list changes). */
  let revoked = new Set<string>();
  let pkiIds = 0;
  let eapTls: EapTlsServer | undefined;
  /** The enrollment listeners, by name, for their counters. */
  const enrollment: (EnrollmentListener & { name: string })[] = [];
  const pkiPending = new Map<number, (r: Extract<ToMain, { type: "pki-result" }>) => void>();
  let radius: RadiusServer | undefined;
  let coa: CoaClient | undefined;
  let apiIds = 0;
  const apiPending = new Map<number, (r: ApiReply) => void>();
  /** What to close when serve cannot go on (newest first): sockets, listeners, timers. */
  const closers: (() => unknown)[] = [];
  /** When the worker was last heard from (every message counts; it sends stats every second). */
  let lastHeard = Date.now();
  let failed = false;
  /**
   * Serve cannot do its job (a dead or stuck worker): close every socket, so RADIUS does not
   * answer from a frozen table, and end with 1 for the supervisor to restart it.
   */
  const fail = (why: string): void => {
    if (failed || stopping) return;
    failed = true;
    up = false;
    log.fatal({ reason: why }, "serve cannot go on: exiting for the supervisor to restart it");
    void Promise.allSettled(closers.reverse().map((c) => c())).then(() => worker.terminate()).finally(() => finish(1));
  };

  let notReady: (e: Error) => void = () => undefined;
  const events = new EventHub();
  const sourceHealth = new SourceHealth();
  const ready = new Promise<void>((resolve, reject) => {
    notReady = reject;
    worker.on("message", (m: ToMain) => {
      lastHeard = Date.now();
      if (m.type === "ready") {
        up = true;
        firstTable = m.nacTable;
        pki = m.pki;
        revoked = new Set(m.pki?.revoked ?? []);
        log.info({ devices: m.devices, db: redactUrl(config.db) }, "ingest worker ready");
        resolve();
      } else if (m.type === "ack") {
        admission.handled();
        for (const l of tcpListeners) l.drain();
      } else if (m.type === "stats") {
        stats = m.stats;
        sourceHealth.observe(stats, radius?.stats.received);
      } else if (m.type === "stopped") {
        stopped();
      } else if (m.type === "nac-table") {
        radius?.setTable(m.table);
      } else if (m.type === "pki-revoked") {
        revoked = new Set(m.serials);
        log.info({ revoked: m.serials.length }, "revocations changed: EAP-TLS refuses the new list");
      } else if (m.type === "pki-result") {
        pkiPending.get(m.id)?.(m);
        pkiPending.delete(m.id);
      } else if (m.type === "event") {
        events.publish(m.kind, m.data);
      } else if (m.type === "api-result") {
        apiPending.get(m.id)?.({ status: m.status, body: m.body });
        apiPending.delete(m.id);
      } else if (m.type === "coa") {
        void changeAuthorization(m).then((r) => worker.postMessage({ type: "coa-result", id: m.id, ...r } satisfies ToWorker));
      } else if (m.type === "fatal") {
        log.fatal({ reason: m.message }, "ingest worker failed");
        reject(new Error(m.message));
        if (up) fail(`ingest worker failed: ${m.message}`);
      }
    });
    worker.once("error", (e) => {
      log.fatal({ err: e }, "ingest worker crashed");
      reject(e);
      if (up) fail(`ingest worker crashed: ${e.message}`);
    });
  });
  worker.once("exit", (code) => {
    up = false;
    notReady(new Error(`the ingest worker exited with ${code} before it was ready`));
    if (!stopping) fail(`ingest worker exited with ${code}`);
  });
  try {
    await ready;
  } catch (e) {
    await worker.terminate();
    throw e;
  }
  // The API's reads on threads and connections of their own (serve/api-reader.ts), started once
  // the worker has brought the schema up to date: a click never waits behind ingest. Two: the
  // reads of flow history (a device's flows and context, the trust graph), which keep the flow
  // summaries and may take long, on one; every other read on the other, or on the first when it
  // is idle and the other is not (`readerFor`), so a page of the device list never waits behind
  // a scan of flows.
  const started = await Promise.allSettled((["reads", "flows"] as const).map((role) => startReader(config, role, fail, () => stopping)));
  const readers = started.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
  const refused = started.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (refused !== undefined) {
    // One reader up and the other not: stop the one, as the worker, before serve says why.
    await Promise.all(readers.map((r) => r.close()));
    await worker.terminate();
    throw refused.reason;
  }
  const [reads, flowReads] = readers;
  closers.push(() => Promise.all(readers.map((r) => r.close())).then(() => undefined));
  const watchdog = setInterval(() => {
    const quiet = Date.now() - lastHeard;
    if (!stopping && quiet > config.watchdogS * 1000) fail(`ingest worker stuck: nothing from it for ${Math.round(quiet / 1000)} s (watchdog_s ${config.watchdogS})`);
  }, 1000);
  closers.push(() => clearInterval(watchdog));
  /** A listener that cannot bind ends the start: what is open closes, the worker stops, the error names it. */
  const bound = async <T>(what: string, p: Promise<T>): Promise<T> => {
    try {
      return await p;
    } catch (e) {
      stopping = true;
      await Promise.allSettled(closers.reverse().map((c) => c()));
      await worker.terminate();
      throw new Error(`cannot listen for ${what}: ${(e as Error).message}`);
    }
  };

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
    admission.posted(b.exporters);
    worker.postMessage(m, [ab]);
  };
  // Armed by the first datagram of a batch, not kept ticking: an idle serve wakes for nothing.
  let flushTimer: NodeJS.Timeout | undefined;
  const flushAll = (): void => {
    flushTimer = undefined;
    for (const s of [...batches.keys()]) flush(s);
  };
  closers.push(() => clearTimeout(flushTimer));

  /** A datagram (or IPFIX message) for the worker, if the queue takes it from this exporter now. */
  const offer = (source: string, exporter: string, msg: Buffer): boolean => {
    if (!admission.admit(exporter)) return false;
    let b = batches.get(source);
    if (!b) {
      b = { chunks: [], exporters: [], receivedMs: [], bytes: 0 };
      batches.set(source, b);
      flushTimer ??= setTimeout(flushAll, BATCH_MS);
    }
    b.chunks.push(msg);
    b.exporters.push(exporter);
    b.receivedMs.push(Date.now());
    b.bytes += msg.length;
    if (b.chunks.length >= BATCH_DATAGRAMS) flush(source);
    return true;
  };

  // Exports from addresses outside a source's allow-list: dropped undecoded, counted, logged once per address.
  const foreignDrops: Record<string, Record<string, number>> = {};
  const foreign = (source: string, address: string): void => {
    const mine = (foreignDrops[source] ??= {});
    if (mine[address] === undefined) {
      if (Object.keys(mine).length >= 256) {
        mine.other = (mine.other ?? 0) + 1;
        return;
      }
      log.warn({ source, exporter: address }, "flow export from an address outside the exporters allow-list: dropped");
    }
    mine[address] = (mine[address] ?? 0) + 1;
  };
  const sockets: Socket[] = [];
  const netflowPorts: Record<string, number> = {};
  for (const n of config.netflow) {
    // The source's exporters allow-list (empty: any address).
    const listed = new PrefixTable(n.exporters.map((p) => [p, true] as const), 4096);
    const allowed = { allows: (address: string): boolean => listed.size === 0 || listed.lookup(address) === true };
    if (n.exporters.length === 0) log.warn({ source: n.name }, "no exporters: allow-list: any address that reaches the port can feed flow records (set netflow[].exporters)");
    if (n.transport === "tcp") {
      const l = await bound(`IPFIX over TCP on ${n.host}:${n.port}`, listenIpfixTcp(n.host, n.port, {
        admit: (exporter) => allowed.allows(exporter) || (foreign(n.name, exporter), false),
        offer: (exporter, msg) => offer(n.name, exporter, msg),
        ended: (exporter) => {
          // The session's last messages go first: the worker forgets its templates after them.
          flush(n.name);
          worker.postMessage({ type: "session-end", source: n.name, exporter } satisfies ToWorker);
        },
        error: (kind, exporter) => {
          const mine = (streamErrors[n.name] ??= {});
          mine[kind] = (mine[kind] ?? 0) + 1;
          log.warn({ source: n.name, exporter, kind }, "ipfix stream closed");
        },
      }));
      tcpListeners.push(l);
      closers.push(() => l.close());
      netflowPorts[n.name] = l.port;
      log.info({ source: n.name, host: n.host, port: l.port, site: n.site, transport: "tcp" }, "netflow listener bound");
      continue;
    }
    const socket = createSocket({ type: isIPv6(n.host) ? "udp6" : "udp4", recvBufferSize: 16 << 20 });
    socket.on("message", (msg, rinfo) => {
      if (!allowed.allows(rinfo.address)) return foreign(n.name, rinfo.address);
      if (offer(n.name, rinfo.address, msg)) return;
      drops.set(n.name, (drops.get(n.name) ?? 0) + 1);
      const mine = (queueDrops[n.name] ??= {});
      mine[rinfo.address] = (mine[rinfo.address] ?? 0) + 1;
    });
    socket.on("error", (e) => log.error({ source: n.name, err: e }, "netflow socket error"));
    closers.push(() => new Promise<void>((r) => socket.close(() => r())));
    await bound(`NetFlow on ${n.host}:${n.port}/udp`, new Promise<void>((resolve, reject) => {
      socket.once("error", reject);
      socket.bind(n.port, n.host, () => {
        socket.off("error", reject);
        resolve();
      });
    }));
    netflowPorts[n.name] = socket.address().port;
    sockets.push(socket);
    log.info({ source: n.name, host: n.host, port: netflowPorts[n.name], site: n.site, transport: "udp" }, "netflow listener bound");
  }

  // RADIUS: answered here from the table the worker builds; decisions and accounting go to the worker in batches.
  let radiusListener: RadiusListener | undefined;
  const decisions = new DecisionRuns();
  let accounting: AccountingEvent[] = [];
  let presented: PresentedCertificate[] = [];
  const presentedAt = new Map<string, number>();
  let nacTimer: NodeJS.Timeout | undefined;
  const flushNac = (): void => {
    clearTimeout(nacTimer);
    nacTimer = undefined;
    if (decisions.size === 0 && accounting.length === 0 && presented.length === 0) return;
    worker.postMessage({ type: "nac-events", decisions: toColumns(decisions.take()), accounting, certificates: presented } satisfies ToWorker);
    accounting = [];
    presented = [];
  };
  closers.push(() => clearTimeout(nacTimer));
  const registry = config.nac ? new NasRegistry(config.nac.nas) : undefined;
  if (config.nac && registry && firstTable) {
    // Events wait at most 100 ms for the worker, 1000 at most; the timer runs only while some wait.
    const queue = (): void => {
      if (decisions.size + accounting.length + presented.length >= 1000) flushNac();
      else nacTimer ??= setTimeout(flushNac, 100);
    };
    const radiusLog = new RadiusLog(log);
    radius = new RadiusServer(registry, firstTable, {
      decision: (e) => {
        radiusLog.decision(e);
        decisions.add(e);
        queue();
      },
      dropped: (reason, address, nas) => radiusLog.dropped(reason, address, nas),
      accounting: (e) => {
        accounting.push(e);
        queue();
      },
      certificate: (e) => {
        // The inventory needs a certificate once a minute per device, not at every re-authentication.
        const k = `${e.site} ${e.mac} ${e.der.subarray(-32).toString("hex")}`;
        const last = presentedAt.get(k);
        if (last !== undefined && e.atMs - last < 60_000) return;
        if (presentedAt.size >= 10_000) presentedAt.clear();
        presentedAt.set(k, e.atMs);
        presented.push({ site: e.site, mac: e.mac, der: e.der.toString("base64"), atMs: e.atMs });
        queue();
      },
    });
    if (pki) {
      // EAP-TLS with Cordon's server certificate; device certificates checked against the issuing CA and the revocations.
      const anchors = [new X509Certificate(pki.issuingPem)];
      radius.setEapTls(eapTls = new EapTlsServer({
        secureContext: createSecureContext({ cert: pki.serverCertPem, key: pki.serverKeyPem, ca: pki.issuingPem, minVersion: "TLSv1.2" }),
        verify: (presented, mac) => checkClientCertificate(presented, mac, { anchors, revoked, now: Date.now() }),
      }));
      log.info({ ca: anchors[0].subject.replace(/\n/g, ", ") }, "EAP-TLS on");
    }
    radiusListener = await bound(`RADIUS on ${config.nac.host}:${config.nac.authPort},${config.nac.acctPort}/udp`,
      listenRadius(radius, { host: config.nac.host, authPort: config.nac.authPort, acctPort: config.nac.acctPort }, (e) => log.error({ err: e }, "radius socket error")));
    const rl = radiusListener;
    closers.push(() => rl.close());
    coa = new CoaClient(config.nac.coa);
    const c = coa;
    closers.push(() => c.close());
    log.info({ host: config.nac.host, auth: radiusListener.authPort, acct: radiusListener.acctPort, nas: config.nac.nas.map((n) => n.name) }, "radius listener bound");
    for (const n of config.nac.nas) for (const weakness of weakNasSettings(n)) log.warn({ nas: n.name, weakness }, "weak RADIUS client configuration");
  }

  /** A CoA for the worker's responder: the session this thread saw last, else the one the store kept. */
  async function changeAuthorization(m: Extract<ToMain, { type: "coa" }>): Promise<{ ok: boolean; summary: string }> {
    if (!radius || !coa || !registry) return { ok: false, summary: "no CoA: the nac section is not configured" };
    const session = radius.sessions.get(m.site, m.mac) ?? m.stored;
    if (!session) return { ok: false, summary: `no CoA sent: ${m.mac} has not authenticated at any NAS yet (its next MAB gets the ${m.purpose === "quarantine" ? "quarantine" : "usual"} answer)` };
    const nas = registry.list.find((n) => n.name === session.nas);
    if (!nas) return { ok: false, summary: `no CoA sent: NAS ${session.nas} is no longer configured` };
    const action = quarantineAction(nas, m.purpose);
    const roleAcl = radius.currentTable().profiles.quarantine?.acl["aruba-role"];
    const role = Array.isArray(roleAcl) && roleAcl[0] ? String(roleAcl[0].value) : undefined;
    try {
      const r = await coa.change(nas, session, action, role);
      if (r.ok) log.info({ mac: m.mac, nas: nas.name, action, purpose: m.purpose, summary: r.summary }, "change of authorization");
      else log.warn({ mac: m.mac, nas: nas.name, action, purpose: m.purpose, summary: r.summary }, "change of authorization failed");
      return { ok: r.ok, summary: r.summary };
    } catch (e) {
      const summary = `${action} at ${nas.name}: ${(e as Error).message}`;
      log.warn({ mac: m.mac, nas: nas.name, action, purpose: m.purpose, summary }, "change of authorization failed");
      return { ok: false, summary };
    }
  }

  const toWorker = (op: ApiOp, request: ApiRequest, caller: Caller): Promise<ApiReply> => {
    if (READ_OPS.has(op)) return readerFor(op, reads, flowReads).ask({ type: "api", id: ++apiIds, op, request, caller });
    if (!up) return Promise.resolve({ status: 503, body: { error: "the ingest worker is not running" } });
    const id = ++apiIds;
    return new Promise((resolve) => {
      apiPending.set(id, resolve);
      worker.postMessage({ type: "api", id, op, request, caller } satisfies ToWorker);
    });
  };

  const api: ApiContext = {
    token: apiToken, hosts: apiHosts(config.http.host, config.http.allowedHosts), toWorker, log, version: cordonVersion(),
    sessions: () => radius?.sessions.all() ?? [], radiusStats: () => radius?.stats,
    health: () => {
      // Healthy means the worker is up and answered within the last 10 s, not only that it exists.
      const quietS = Math.round((Date.now() - lastHeard) / 1000);
      const healthy = up && quietS <= 10;
      return { status: healthy ? 200 : 503, body: { status: healthy ? "ok" : up ? "stalled" : "down", devices: stats.pipeline.devices, sources: Object.keys(stats.sources), workerQuietS: quietS } };
    },
    metrics: () => renderMetrics(stats, up, radius?.stats, queueDrops, streamErrors, foreignDrops, {
      ...(eapTls ? { eapTls: eapTls.stats } : {}), enrollment: Object.fromEntries(enrollment.map((l) => [l.name, l.stats])),
    }),
    status: () => {
      const sum = (r: Record<string, number>): number => Object.values(r).reduce((a, b) => a + b, 0);
      const p = stats.pipeline;
      return {
        status: 200, body: {
          worker: api.health().body, store: { up: p.storeUp, heldFlows: p.heldFlows },
          pipeline: { packets: p.packets, flows: p.flows, devices: p.devices, liveFlows: p.liveFlows, alerts: p.alerts, errors: sum(p.errors), detectorFailures: p.detectorFailures },
          sources: sourceHealth.rows(stats, radius ? { received: radius.stats.received, drops: sum(radius.stats.drops) } : undefined),
        },
      };
    },
    events,
    ...(config.http.tls ? { tls: config.http.tls } : {}),
  };
  const http = await buildHttp(api);
  await bound(`HTTP on ${config.http.host}:${config.http.port}`, http.listen({ port: config.http.port, host: config.http.host }));
  closers.push(() => {
    events.close();
    return http.close();
  });
  const address = http.server.address();
  const httpPort = typeof address === "object" && address ? address.port : config.http.port;
  log.info({ host: config.http.host, port: httpPort, tls: config.http.tls !== undefined }, "http endpoint: /healthz, /metrics");
  if (config.http.tls) {
    const days = Math.floor((config.http.tls.notAfter.getTime() - Date.now()) / 86_400_000);
    if (days < 30) log.warn({ subject: config.http.tls.subject, notAfter: config.http.tls.notAfter.toISOString() }, days < 0 ? "the HTTPS certificate has expired: browsers and clients will refuse the console" : `the HTTPS certificate expires in ${days} days`);
  }

  // Enrollment: EST, SCEP and the CRL over HTTPS; SCEP and the CRL over plain HTTP; the worker issues.
  const pkiPorts: { est?: number; http?: number } = {};
  if (config.pki && pki) {
    const ask = (request: PkiRequest): Promise<Extract<ToMain, { type: "pki-result" }>> => {
      if (!up) return Promise.resolve({ type: "pki-result", id: 0, status: 503, body: { error: "the ingest worker is not running", code: "worker-down" } });
      const id = ++pkiIds;
      return new Promise((resolve) => {
        pkiPending.set(id, resolve);
        worker.postMessage({ type: "pki", id, request } satisfies ToWorker);
      });
    };
    for (const [kind, where] of [["est", config.pki.est], ["http", config.pki.http]] as const) {
      if (!where) continue;
      const l = await buildEnrollment({ material: pki, ask, log: log.child({ listener: `pki-${kind}` }), maxBodyBytes: config.pki.maxBodyBytes }, kind === "est");
      await bound(`${kind === "est" ? "EST (HTTPS)" : "SCEP and the CRL (HTTP)"} on ${where.host}:${where.port}`, l.app.listen({ host: where.host, port: where.port }));
      closers.push(() => l.app.close());
      enrollment.push({ ...l, name: kind });
      const a = l.app.server.address();
      pkiPorts[kind] = typeof a === "object" && a ? a.port : where.port;
      log.info({ host: where.host, port: pkiPorts[kind] }, kind === "est" ? "EST listener bound (/.well-known/est, /scep, /pki/crl)" : "enrollment listener bound (/scep, /pki/crl)");
    }
  }

  const stop = async (): Promise<number> => {
    if (stopping || failed) return done;
    stopping = true;
    clearInterval(watchdog);
    log.info("stopping: closing listeners, flushing live flows and the inventory");
    await Promise.all(sockets.map((s) => new Promise<void>((r) => s.close(() => r()))));
    await Promise.all(tcpListeners.map((l) => l.close()));
    await radiusListener?.close();
    coa?.close();
    clearInterval(nacTimer);
    flushNac();
    clearInterval(flushTimer);
    for (const s of [...batches.keys()]) flush(s);
    worker.postMessage({ type: "stop" } satisfies ToWorker);
    const timeout = new Promise<"timeout">((r) => setTimeout(() => r("timeout"), 60_000).unref());
    const exited = new Promise<"exited">((r) => worker.once("exit", () => r("exited")));
    const outcome = await Promise.race([stoppedAck.then(() => "stopped" as const), timeout, exited]);
    events.close();
    await http.close();
    await Promise.all(enrollment.map((l) => l.app.close()));
    await worker.terminate();
    const code = outcome === "stopped" ? 0 : 1;
    if (code !== 0) log.error(outcome === "exited" ? "the ingest worker died while flushing" : "the ingest worker did not finish in 60 s");
    else log.info({ flows: stats.pipeline.flows, devices: stats.pipeline.devices }, "stopped");
    finish(code);
    return code;
  };
  const radiusPorts = radiusListener ? { auth: radiusListener.authPort, acct: radiusListener.acctPort } : undefined;
  return { httpPort, netflowPorts, radiusPorts, ...(config.pki ? { pkiPorts } : {}), done, stop };
}

/** One of serve's API reader threads: asked a read, it answers; `close` stops it. */
interface ApiReader {
  ask(m: Extract<ToReader, { type: "api" }>): Promise<ApiReply>;
  /** Reads asked and not yet answered. */
  waiting(): number;
  close(): Promise<void>;
}


/** Starts a reader thread (serve/api-reader.ts) in `role`; it fails serve when it dies unasked. */
async function startReader(config: ServeConfig, role: ReaderRole, fail: (why: string) => void, stopping: () => boolean): Promise<ApiReader> {
  const reader = new Worker(new URL("./api-reader.js", import.meta.url), { workerData: { config, role } satisfies ReaderData });
  let up = false;
  const pending = new Map<number, (r: ApiReply) => void>();
  const ready = new Promise<void>((resolve, reject) => {
    reader.on("message", (m: ToMain) => {
      if (m.type === "reader-ready") {
        up = true;
        resolve();
      } else if (m.type === "api-result") {
        pending.get(m.id)?.({ status: m.status, body: m.body });
        pending.delete(m.id);
      } else if (m.type === "fatal") {
        reject(new Error(m.message));
        fail(`API reader (${role}) failed: ${m.message}`);
      }
    });
    reader.once("error", (e) => {
      reject(e);
      fail(`API reader (${role}) crashed: ${e.message}`);
    });
    reader.once("exit", (code) => {
      up = false;
      for (const answer of pending.values()) answer({ status: 503, body: { error: "the API reader stopped" } });
      pending.clear();
      reject(new Error(`the API reader (${role}) exited with ${code}`));
      if (!stopping()) fail(`API reader (${role}) exited with ${code}`);
    });
  });
  try {
    await ready;
  } catch (e) {
    await reader.terminate();
    throw e;
  }
  return {
    waiting: () => pending.size,
    ask: (m) => {
      if (!up) return Promise.resolve({ status: 503, body: { error: "the API reader is not running" } });
      return new Promise((resolve) => {
        pending.set(m.id, resolve);
        reader.postMessage(m satisfies ToReader);
      });
    },
    close: async () => {
      if (up) reader.postMessage({ type: "stop" } satisfies ToReader);
      await reader.terminate();
    },
  };
}
