import { parentPort, workerData } from "node:worker_threads";
import { pollSnmpInto } from "../app/snmp-poll.js";
import { importAdvisoryFeed, proposeCompensation } from "../app/vulnerabilities.js";
import { reviewEolDecision, setEolDecision } from "../app/end-of-life.js";
import { addAssumption, raiseTrustAlerts, reviewAssumption } from "../app/trust.js";
import { type Authority, EnrollError, type PkiMaterial, enroll, openAuthority, raiseCertificateAlerts, recordPresentedCertificate, revokeCertificate, revokeDeviceCertificates, revokedSerials, scepOperation, scepRa, serverMaterial } from "../app/certificates.js";
import type { ScepRa } from "../pki/scep.js";
import { InputError } from "../app/errors.js";
import { overrideDevice } from "../app/devices.js";
import { snakeKeys } from "../app/report-json.js";
import type { Actor } from "../app/actor.js";
import { addSuppression, moveAlert } from "../app/alerts.js";
import { alertView, deviceDetailView, findDevices } from "../app/queries.js";
import { movePolicy, policyListView, policyTierDevices, storedPolicy } from "../app/policies.js";
import { may } from "../app/permissions.js";
import { LoginRefused, authenticateToken, login, logout, sessionUser } from "../app/users.js";
import { pino } from "pino";
import { loadModel } from "../classify/model.js";
import { readIndicators } from "../app/detections.js";
import { SiteRun } from "../app/site-run.js";
import { PostgresError, redactUrl } from "../store/postgres-sql.js";
import { notify } from "../respond/notify/notify.js";
import { ErrorCounts } from "../net/error-counts.js";
import { type LiveCapture, startLiveCapture } from "../sources/live-capture.js";
import { NetflowCollector } from "../sources/netflow/collector.js";
import { Store } from "../store/store.js";
import type { ServeConfig } from "./config.js";
import type { SourceSnapshot, StatsSnapshot, ToMain, ToWorker } from "./messages.js";
import { type ZeekReader, startZeekReader } from "../sources/zeek/reader.js";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { ensureWritableDir } from "../respond/evidence-dir.js";
import { isGroupMac } from "../net/addr.js";
import type { Alert } from "../model/alert.js";
import type { NacTable } from "../nac/authorization.js";
import { PacketRings } from "../respond/packet-ring.js";
import { Responder, ResponseError } from "../respond/responder.js";
import { NacStore, type StoredSession } from "../store/nac.js";
import { type DecisionRun, fromColumns } from "../nac/decision-runs.js";
import type { AccountingEvent } from "../nac/radius-server.js";
import { MacLocations } from "../nac/mac-locations.js";
import type { ApiOp, ApiRequest, Caller, PkiRequest, PresentedCertificate } from "./messages.js";
import { AuditLog } from "../store/audit.js";
import { Denied, apiFailure } from "./api-reads.js";
import { nacTableFromStore, regroup, responderDevice, unknownGroups } from "../app/nac.js";
import { policiesInForce } from "../app/policies.js";

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
  send({ type: "fatal", message: e instanceof PostgresError ? e.message : `${redactUrl(config.db)}: ${(e as Error).message}` });
  process.exit(1);
}
// An evidence folder that cannot be written would lose every response's packets: found at start, not at the first alert.
if (config.respond) {
  const dir = config.respond.evidenceDir;
  try {
    ensureWritableDir(dir);
  } catch (e) {
    // Thrown, not posted: an uncaught error reaches the main thread as the worker's "error" event, whole.
    throw new Error(`respond.evidence_dir ${dir}: not writable: ${(e as Error).message}`);
  }
}
let run: SiteRun;
try {
  if (config.nac) {
    const { unknown, defined } = unknownGroups(store, [...new Set([...Object.keys(config.nac.groupVlans), ...Object.keys(config.nac.groupMinIdentity ?? {})])]);
    if (unknown.length > 0) {
      const key = unknown.some((g) => config.nac!.groupVlans[g] !== undefined) ? "group_vlans" : "group_min_identity";
      throw new Error(`nac.${key}: no stored policy has the group ${unknown.join(", ")} (a category such as camera, category:NAME, mud:URL, or a group defined for policy learning${defined.length ? `: ${defined.join(", ")}` : ""})`);
    }
  }
  run = new SiteRun(store, {
    site: config.site, detect: config.detect, loopback: config.loopback, model: loadModel(), holdFlows: config.maxHeldFlows,
    indicators: config.indicators.length ? readIndicators(config.indicators) : undefined,
    pipeline: { flows: { idleTimeoutUs: config.flowIdleTimeoutS * 1_000_000 }, futureSkewUs: config.clockSkewS * 1_000_000 },
    detectorFailed: (detector, err, count) => log.error({ detector, err, count }, "detector failed"),
  });
} catch (e) {
  send({ type: "fatal", message: (e as Error).message });
  process.exit(1);
}
const pipeline = run.pipeline;
const engine = run.engine;
/** Stores the devices (and the flows held), raising new devices and identity changes first: the same as `analyze` does. */
const saveDevices = (): void => void run.commit();

/**
 * The database away (PostgreSQL stopped, unreachable): what could not be written stays in
 * memory within its budgets (flows up to max_held_flows, devices while they are changed) and
 * is written whole at the next commit. Told once when it goes, then once a minute, and when it
 * is back.
 */
let storeUp = true;
let storeDownSince = 0;
let storeToldAt = 0;
function storeFailed(e: unknown, what: string): void {
  if (!(e instanceof PostgresError)) {
    log.error({ err: e }, `${what} failed; will retry`);
    return;
  }
  const now = Date.now();
  if (storeUp) {
    storeUp = false;
    storeDownSince = now;
  }
  if (now - storeToldAt < 60_000) return;
  storeToldAt = now;
  log.error({ reason: e.message, code: e.code, heldFlows: run.heldFlows(), downForS: Math.round((now - storeDownSince) / 1000) },
    "the database is unavailable: keeping what was read in memory and trying again with backoff");
}
function storeWorked(): void {
  if (storeUp) return;
  storeUp = true;
  storeToldAt = 0;
  log.warn({ downForS: Math.round((Date.now() - storeDownSince) / 1000), flowsDropped: run.flowsDropped }, "the database is back: what was held is written");
}
let alertsRaised = 0;

// --- NAC and response ---
const nacStore = new NacStore(store.sql);
const audit = new AuditLog(store.sql);
let nacTable: NacTable | undefined;
/** Builds the authorisation table again and hands it to the RADIUS thread. */
function refreshNacTable(inForce?: ReturnType<typeof policiesInForce>): void {
  if (!config.nac) return;
  nacTable = nacTableFromStore(store, nacStore, config.nac, inForce);
  send({ type: "nac-table", table: nacTable });
}
/** Asks the RADIUS thread for a CoA to the device's session, so its next authorisation reads the new table. */
function requestCoa(site: string, mac: string, purpose: "quarantine" | "release" | "regroup"): Promise<{ ok: boolean; summary: string }> {
  return new Promise((resolve) => {
    const id = ++coaIds;
    coaPending.set(id, resolve);
    const stored = nacStore.session(site, mac);
    send({ type: "coa", id, site, mac, purpose, stored: stored ? { ...stored, status: "authorized", lastMs: Date.parse(stored.lastAt) } : undefined });
  });
}
const regroupProblems = new Set<string>();
/**
 * Group membership follows the verdicts (nac/group-moves.ts): new moves are recorded, the
 * table is built again, and every move made or approved since the last time gets a CoA.
 */
function followVerdicts(): void {
  if (!config.nac) return;
  const at = new Date().toISOString();
  // The policies in force are read and parsed once for both.
  const inForce = policiesInForce(store);
  const { moves, problems } = regroup(store, nacStore, config.nac.trustedMud, at, inForce);
  for (const p of problems) {
    if (regroupProblems.has(p)) continue;
    if (regroupProblems.size > 1000) regroupProblems.clear();
    regroupProblems.add(p);
    log.error({ problem: p }, "group membership cannot follow the verdicts");
  }
  for (const m of moves) {
    const fields = { site: m.site, mac: m.mac, from: m.from ?? null, to: m.to, rights: m.rights, move: m.id, reason: m.reason };
    if (m.status === "applied") {
      log.info(fields, "device moved to another group");
      audit.append({ at, principal: "cordon", actor: "cordon", via: "playbook", action: "nac.move", site: m.site, target: m.mac, outcome: "ok", detail: `${m.from ?? "(no group)"} -> ${m.to}: ${m.reason}` });
    } else log.warn(fields, "group move waits for a person: cordon nac pending");
  }
  refreshNacTable(inForce);
  for (const m of nacStore.unenacted()) {
    nacStore.markEnacted(m.id, at);
    void requestCoa(m.site, m.mac, "regroup").then((r) => log[r.ok ? "info" : "warn"]({ site: m.site, mac: m.mac, move: m.id, ok: r.ok, summary: r.summary }, "change of authorization for a group move"));
  }
}
const rings = config.respond && config.capture.length > 0 ? new PacketRings(config.respond.ringKb * 1024, config.respond.ringDevices) : undefined;
let coaIds = 0;
const coaPending = new Map<number, (r: { ok: boolean; summary: string }) => void>();
const responder = config.respond ? new Responder(config.respond, nacStore, {
  now: () => new Date(),
  device: (site, mac) => responderDevice(store, site, mac),
  quarantineChanged: () => {
    // Devices seen so far are in the store before the table is built from it.
    saveDevices();
    refreshNacTable();
  },
  changeAuthorization: requestCoa,
  revokeCertificates: async (site, mac, actor, reason) => {
    if (!authority) return { ok: false, detail: "no CA is open (the pki section is not configured): nothing revoked" };
    const who: Actor = actor === "playbook" ? { principal: "playbook", name: "playbook", via: "playbook" } : { principal: actor, name: actor, via: "api" };
    const revoked = revokeDeviceCertificates(store, who, site, mac, "privilege-withdrawn", authority);
    if (revoked.length > 0) send({ type: "pki-revoked", serials: revokedSerials(store, authority) });
    return { ok: true, detail: revoked.length === 0 ? "the device holds no valid certificate of Cordon's CA" : `revoked ${revoked.map((c) => c.serial).join(", ")} (privilege withdrawn: ${reason.slice(0, 100)})` };
  },
  applyFirewall: (ruleset) => new Promise((resolve) => {
    const child = spawn(config.respond!.nftCommand, ["-f", "-"], { stdio: ["pipe", "ignore", "pipe"] });
    let err = "";
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    child.on("error", (e) => resolve(e.message));
    child.on("close", (code) => resolve(code === 0 ? undefined : err.trim().split("\n")[0] || `exit ${code}`));
    child.stdin.end(ruleset);
  }),
  notify: async (alerts: Alert[], ot: boolean) => {
    const r = await notify(config.notify, alerts, { ot });
    return r.failures;
  },
  rings,
  stepTaken: (r, s) => {
    log[s.outcome === "failed" ? "warn" : "info"]({ response: r.id, site: r.site, mac: r.mac, step: s.action, outcome: s.outcome, by: s.by, detail: s.detail, status: r.status }, "response step");
    send({ type: "event", kind: "response", data: snakeKeys({ id: r.id, site: r.site, mac: r.mac, status: r.status, criticality: r.criticality, title: r.title, step: s.action, outcome: s.outcome, requestedBy: r.requestedBy ?? null }) });
  },
}, config.nac?.quarantineAllow ?? []) : undefined;

/**
 * Stores the alerts raised so far (episodes still open are upserted again as they grow),
 * lets finished episodes go from memory, and sends the new ones to the outputs.
 */
async function storeAlerts(final: boolean): Promise<void> {
  const fresh = run.saveAlerts(final);
  alertsRaised += fresh.length;
  if (fresh.length === 0) return;
  for (const a of fresh) {
    send({ type: "event", kind: "alert", data: snakeKeys({ id: a.id, severity: a.severity, class: a.class, site: a.site, source: a.source ?? null, target: a.target ?? null, title: a.title, count: a.count, firstSeen: new Date(a.firstUs / 1000).toISOString(), lastSeen: new Date(a.lastUs / 1000).toISOString() }) });
    log.info({ alert: a.id, severity: a.severity, class: a.class, detector: a.detector, site: a.site, source: a.source, target: a.target, count: a.count, title: a.title }, "new alert");
  }
  if (config.notify.length > 0) {
    const r = await notify(config.notify, fresh);
    for (const f of r.failures) log.error({ failure: f }, "alert output failed");
    if (r.deadLettered > 0) log.warn({ count: r.deadLettered }, "alerts went to the dead-letter file");
  }
  if (responder && final) {
    log.warn({ alerts: fresh.map((a) => a.id) }, "alerts raised while stopping: stored, but no response is started for them");
  } else if (responder) {
    for (const r of await responder.onAlerts(fresh)) {
      log.warn({ response: r.id, mac: r.mac, status: r.status, steps: r.steps.map((x) => `${x.action}: ${x.outcome}`) }, "response to an alert");
      audit.append({ at: new Date().toISOString(), principal: "playbook", actor: "playbook", via: "playbook", action: r.status === "proposed" ? "propose" : "quarantine",
        site: r.site, target: r.mac, outcome: r.status === "failed" ? "failed" : "ok", detail: `response ${r.id} to alert ${r.alertId ?? "-"}: ${r.title}` });
    }
  }
}

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
  const collector = new NetflowCollector((r) => pipeline.pushFlow(r), { site: n.site, templateLifetimeMs: n.templateLifetimeS * 1000, transport: n.transport });
  sources.set(n.name, { collector, errors, snapshot: { kind: "netflow", site: n.site, packets: 0, bytes: 0, records: 0, drops: 0, kernelDrops: 0, errors: {}, exporters: 0, domains: [] } });
}
for (const c of config.capture) {
  const errors = new ErrorCounts();
  const s: Source = { errors, snapshot: { kind: "capture", site: c.site, packets: 0, bytes: 0, records: 0, drops: 0, kernelDrops: 0, errors: {}, exporters: 0, domains: [] } };
  s.capture = startLiveCapture({ interface: c.interface, filter: c.filter, snaplen: c.snaplen, bufferKiB: c.bufferMib * 1024 }, (frame) => {
    s.snapshot.packets++;
    s.snapshot.bytes += frame.caplen;
    if (rings && frame.linkType === 1 && frame.caplen >= 14) keepPacket(rings, frame);
    pipeline.beginSource(c.name, c.site);
    pipeline.push(frame);
  }, errors);
  void s.capture.ended.then((r) => {
    // tcpdump's own words (no such device, permission denied) say why; the reader's only that the stream was empty.
    if (!stopping) log.error({ source: c.name, reason: s.capture!.lastMessage() || r.fatal || "tcpdump exited" }, "live capture ended");
  });
  sources.set(c.name, s);
  log.info({ source: c.name, interface: c.interface, filter: c.filter }, "live capture started");
  void s.capture.listening.then(() => log.info({ source: c.name, interface: c.interface }, "live capture listening"));
}
for (const z of config.zeek) {
  const errors = new ErrorCounts();
  const s: Source = { errors, snapshot: { kind: "zeek", site: z.site, packets: 0, bytes: 0, records: 0, drops: 0, kernelDrops: 0, errors: {}, exporters: 0, domains: [] } };
  if (!existsSync(z.dir)) log.error({ source: z.name, dir: z.dir }, z.follow ? "zeek log directory does not exist: reading starts when it appears" : "zeek log directory does not exist");
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
      liveFlows: pipeline.flowTable.size, evictions: pipeline.flowTable.evictions, devicesLetGo: pipeline.inventory.evicted, errors: pipeline.stats.errors.toJSON(),
      alerts: alertsRaised, detectorFailures: run.detectorFailures(), detectorEvictions: engine?.evictions() ?? {}, heldFlows: run.heldFlows(), storeUp,
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
let lastOverBudgetWarning = 0;
function persist(): void {
  pipeline.advance(Date.now() * 1000);
  const changed = run.commit();
  if (changed > 0) send({ type: "event", kind: "devices", data: { changed } });
  // The device budget: saved devices quiet for an hour leave memory (the store keeps them).
  const inv = pipeline.inventory;
  if (inv.devices.size > config.maxDevices) {
    const gone = inv.letGoIdle(config.maxDevices, pipeline.now() - 3_600_000_000);
    if (gone > 0) log.info({ gone, devices: inv.devices.size, budget: config.maxDevices }, "idle devices let go from memory (kept in the store)");
    if (inv.devices.size > config.maxDevices && Date.now() - lastOverBudgetWarning > 3_600_000) {
      lastOverBudgetWarning = Date.now();
      log.warn({ devices: inv.devices.size, budget: config.maxDevices }, "more devices active within the hour than max_devices: memory grows past the budget");
    }
  }
  if (++ticks % 6 === 0) run.settle();
  if (config.nac) {
    followVerdicts();
    if (ticks % 360 === 1) nacStore.pruneDecisions(new Date(Date.now() - config.nac.keepDecisionsDays * 86_400_000).toISOString());
  }
  void storeAlerts(false).catch((e: unknown) => storeFailed(e, "storing alerts"));
}

/**
 * Every second: finished flows, the devices they changed and the Zeek read positions, in one
 * transaction. A kill -9 loses at most the last second of finished flows, and the flows still
 * live in the flow table; never a flow without its devices, nor a position past what is stored.
 */
function commit(): void {
  pipeline.advance(pipeline.now());
  retryNacWrites();
  run.commit(savePositions);
  storeWorked();
}
const commitTimer = setInterval(() => {
  // Collector state ages out on the wall clock: held data past its wait, idle domains, UDP templates past their lifetime.
  for (const s of sources.values()) s.collector?.expire(Date.now());
  try {
    commit();
  } catch (e) {
    storeFailed(e, "committing flows");
  }
}, 1000);

const persistTimer = setInterval(() => {
  try {
    persist();
  } catch (e) {
    storeFailed(e, "persisting");
  }
}, config.persistIntervalS * 1000);
let lastStats = 0;
function sendStats(): void {
  lastStats = Date.now();
  send({ type: "stats", stats: snapshot() });
}
const statsTimer = setInterval(sendStats, 1000);

let stopping = false;
/** How long stopping waits for a database that is away before it gives up (exit 1). */
const STOP_WAIT_MS = 30_000;
async function stop(): Promise<void> {
  stopping = true;
  clearInterval(commitTimer);
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
  // What was read is written before serve ends: with the database away, tried again with
  // backoff until STOP_WAIT_MS, then serve ends with 1 and says what it could not store.
  const deadline = Date.now() + STOP_WAIT_MS;
  for (;;) {
    try {
      retryNacWrites(true);
      run.commit(() => {
        for (const [name, p] of positions) store.saveReadPositions(name, p);
      });
      run.settle();
      await storeAlerts(true);
      break;
    } catch (e) {
      storeFailed(e, "the final write");
      if (!(e instanceof PostgresError) || Date.now() > deadline) {
        send({ type: "fatal", message: `stopping: could not store what was read (${run.heldFlows()} flows, ${pipeline.inventory.unsaved().length} devices): ${(e as Error).message}` });
        return;
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
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
  } else if (m.type === "session-end") {
    sources.get(m.source)?.collector?.endSession(m.exporter);
  } else if (m.type === "nac-events") {
    storeNacEvents(fromColumns(m.decisions), m.accounting);
    storePresented(m.certificates);
  } else if (m.type === "pki") {
    pkiRequest(m.request).then((r) => send({ type: "pki-result", id: m.id, ...r }), (e: unknown) => {
      log.error({ err: e }, "enrollment failed");
      send({ type: "pki-result", id: m.id, status: 500, body: { error: "internal error", code: "internal" } });
    });
  } else if (m.type === "coa-result") {
    coaPending.get(m.id)?.({ ok: m.ok, summary: m.summary });
    coaPending.delete(m.id);
  } else if (m.type === "api") {
    api(m.op, m.request, m.caller).then((body) => send({ type: "api-result", id: m.id, status: 200, body }), (e: unknown) => {
      const failure = apiFailure(e, ResponseError);
      if (failure.status === 500) log.error({ err: e, op: m.op }, "api request failed");
      send({ type: "api-result", id: m.id, ...failure });
    });
  } else if (m.type === "stop") {
    stop().catch((e: unknown) => {
      send({ type: "fatal", message: `stopping: ${(e as Error).message}` });
    });
  }
});

/** Client certificates presented in EAP-TLS, into the certificate inventory. */
function storePresented(list: readonly PresentedCertificate[]): void {
  if (list.length === 0) return;
  nacWrite(() => store.sql.transaction(() => {
    for (const c of list) recordPresentedCertificate(store, c.site, c.mac, Buffer.from(c.der, "base64"), c.atMs);
  }));
}

/** An enrollment listener's request: a certificate issued (or refused with the protocol's status), or the CRL. */
async function pkiRequest(r: PkiRequest): Promise<{ status: number; body: { der: string } | { error: string; code: string } }> {
  if (!authority || !config.pki) return { status: 503, body: { error: "no CA is open", code: "no-ca" } };
  if (r.op === "crl") return { status: 200, body: { der: Buffer.from(await authority.currentCrl(store)).toString("base64") } };
  if (r.op === "scep") {
    if (!ra) return { status: 503, body: { error: "no SCEP RA", code: "no-ra" } };
    try {
      const answer = await scepOperation(store, authority, ra, config.pki.site, Buffer.from(r.message, "base64"));
      log.info({ outcome: answer.outcome }, "scep request answered");
      if (!answer.outcome.startsWith("issued")) pipeline.stats.errors.add("pki.scep-refused", answer.outcome);
      return { status: 200, body: { der: answer.reply.toString("base64") } };
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      pipeline.stats.errors.add("pki.scep-malformed", e.message);
      log.warn({ reason: e.message }, "scep request refused");
      return { status: 400, body: { error: e.message, code: "malformed" } };
    }
  }
  try {
    const credential = r.clientChain && r.clientChain.length > 0 ? { kind: "certificate" as const, chain: r.clientChain.map((c) => Buffer.from(c, "base64")) }
      : { kind: "token" as const, token: r.token ?? "" };
    const issued = await enroll(store, authority, { site: config.pki.site, csr: Buffer.from(r.csr, "base64"), credential, mode: r.mode, via: r.via });
    log.info({ mac: issued.mac, serial: issued.facts.serial, via: issued.via }, "certificate issued");
    return { status: 200, body: { der: Buffer.from(issued.certificate.rawData).toString("base64") } };
  } catch (e) {
    if (!(e instanceof EnrollError)) throw e;
    pipeline.stats.errors.add(`pki.${e.code}`, e.message);
    log.warn({ code: e.code, reason: e.message, via: r.via }, "enrollment refused");
    return { status: e.status, body: { error: e.message, code: e.code } };
  }
}

/** One frame into the rings of its unicast Ethernet source and destination. */
function keepPacket(r: PacketRings, f: { buf: Buffer; offset: number; caplen: number; wireLen: number; tsUs: number; linkType: number }): void {
  const dst = f.buf.readUIntBE(f.offset, 6);
  const src = f.buf.readUIntBE(f.offset + 6, 6);
  if (!isGroupMac(src)) r.add(src, f.linkType, f.tsUs, f.buf, f.offset, f.caplen, f.wireLen);
  if (!isGroupMac(dst) && dst !== src) r.add(dst, f.linkType, f.tsUs, f.buf, f.offset, f.caplen, f.wireLen);
}

/** Where each MAC authenticated last: one MAC at two switch ports at once is an alert. */
const macLocations = new MacLocations();

/** RADIUS decisions and accounting in time order through `macLocations`; a conflict is raised as an identity-change alert. */
function watchMacLocations(decisions: readonly DecisionRun[], accounting: readonly AccountingEvent[]): void {
  if (!engine) return;
  const events = [
    ...decisions.map((d) => ({ atMs: d.atMs, lastMs: d.lastAtMs, site: d.site, mac: d.mac, place: `${d.nas} ${d.nasPortId ?? "-"}`, stop: false })),
    ...accounting.map((a) => ({ atMs: a.atMs, lastMs: a.atMs, site: a.site, mac: a.mac, place: `${a.nas} ${a.nasPortId ?? "-"}`, stop: a.status === "stop" })),
  ].sort((x, y) => x.atMs - y.atMs);
  for (const e of events) {
    if (e.stop) {
      macLocations.stopped(e.site, e.mac, e.place);
      continue;
    }
    const c = macLocations.seen(e.site, e.mac, e.place, e.atMs, e.lastMs);
    if (!c) continue;
    engine.book.raiseAs("nac-location", {
      class: "identity-change", severity: "high", technique: "T1036", site: c.site, source: c.mac, sourceMac: c.mac, target: c.second,
      title: `${c.mac} authenticated at ${c.first} and at ${c.second} ${Math.round(c.gapMs / 1000)} s apart, with no session end between: one MAC at two switch ports at once (a cloned MAC)`,
      tsUs: c.atMs * 1000, episode: "two-ports", observation: `nac.mab at ${c.first}; nac.mab at ${c.second}`,
    });
  }
}

/** RADIUS writes the database could not take yet, in order; at most MAX_NAC_WRITES batches wait (the oldest go). */
const nacWrites: (() => void)[] = [];
const MAX_NAC_WRITES = 10_000;
function nacWrite(w: () => void): void {
  nacWrites.push(w);
  if (nacWrites.length > MAX_NAC_WRITES) {
    nacWrites.shift();
    pipeline.stats.errors.add("store.nac-writes-dropped", "RADIUS decisions waited for the database past their budget");
  }
  retryNacWrites();
}
/** Writes the waiting RADIUS batches in order; the first that fails stops the rest (tried again at the next commit). */
function retryNacWrites(rethrow = false): void {
  while (nacWrites.length > 0) {
    try {
      nacWrites[0]();
    } catch (e) {
      if (rethrow) throw e;
      storeFailed(e, "storing RADIUS decisions");
      return;
    }
    nacWrites.shift();
  }
}

/** RADIUS decisions and accounting: stored (decisions, sessions) and told to the inventory. */
function storeNacEvents(decisions: DecisionRun[], accounting: AccountingEvent[]): void {
  watchMacLocations(decisions, accounting);
  // Another device's certificate presented from a MAC: the identity of that MAC is in doubt.
  for (const d of decisions) {
    if (d.identity !== "conflict" || !engine) continue;
    engine.book.raiseAs("eap-tls", {
      class: "identity-change", severity: "high", technique: "T1036", site: d.site, source: d.mac, sourceMac: d.mac, target: d.nas,
      title: `${d.mac} presented another device's certificate in EAP-TLS at ${d.nas}${d.nasPortId ? ` ${d.nasPortId}` : ""}: a copied certificate or a spoofed MAC`,
      tsUs: d.atMs * 1000, episode: "certificate-conflict", observation: d.reason,
    });
  }
  const iso = (ms: number): string => new Date(ms).toISOString();
  nacWrite(() => nacStore.saveDecisions(decisions));
  // The inventory hears once per batch of each device at each NAS port (the decision log counts every request).
  const told = new Set<string>();
  for (const d of decisions) {
    const value = d.nasPortId ? `${d.nas} ${d.nasPortId}` : d.nas;
    const key = `${d.site} ${d.mac} ${value}`;
    if (told.has(key)) continue;
    told.add(key);
    pipeline.observe({ site: d.site, source: `radius:${d.nas}`, tsUs: d.atMs * 1000, mac: d.mac, kind: "nac.mab", value });
  }
  for (const a of accounting) {
    const src = `radius:${a.nas}`;
    if (a.nasPortId) pipeline.observe({ site: a.site, source: src, tsUs: a.atMs * 1000, mac: a.mac, kind: "nac.session", value: `${a.nas} ${a.nasPortId}` });
    if (a.ip) pipeline.observe({ site: a.site, source: src, tsUs: a.atMs * 1000, mac: a.mac, ip: a.ip, kind: "nac.assigned_ip", value: a.ip });
  }
  // Sessions: each device's newest decision, then what accounting adds.
  const newest = new Map<string, DecisionRun>();
  for (const d of decisions) newest.set(`${d.site} ${d.mac}`, d);
  const sessions = new Map<string, StoredSession>();
  for (const [k, d] of newest) {
    sessions.set(k, { site: d.site, mac: d.mac, nas: d.nas, nasIp: d.nasIp, nasPortId: d.nasPortId, status: "authorized", lastAt: iso(d.lastAtMs),
      callingStationId: d.callingStationId, userName: d.userName, auditSessionId: d.auditSessionId });
  }
  for (const a of accounting) {
    const old = sessions.get(`${a.site} ${a.mac}`);
    sessions.set(`${a.site} ${a.mac}`, { ...old, site: a.site, mac: a.mac, nas: a.nas, nasIp: a.nasIp, nasPortId: a.nasPortId ?? old?.nasPortId, ip: a.ip ?? old?.ip,
      acctSessionId: a.acctSessionId ?? old?.acctSessionId, status: a.status === "stop" ? "stopped" : "started", lastAt: iso(a.atMs) });
  }
  const list = [...sessions.values()];
  nacWrite(() => nacStore.saveSessions(list));
}

/**
 * The API's changes that go through the application layer with the caller as the actor, so
 * the audit log has the user and role. Deciding on a policy that governs devices of an OT
 * tier takes an OT engineer or an admin, and not the person who proposed it (four-eyes).
 */
function change(op: ApiOp, req: ApiRequest, caller: Caller): unknown {
  const by: Actor = { principal: caller.principal, name: caller.actor, via: "api", peer: caller.peer, role: caller.role };
  if (op === "alert-move") return alertView(moveAlert(store, req.id!, req.to as "acknowledged" | "resolved" | "open", by, req.note));
  if (op === "override") {
    // A device of an OT tier, or one made so: an OT engineer or an admin.
    const tiers = config.respond?.approval ?? ["life-safety/physical-process"];
    const found = findDevices(store, req.device!).filter((d) => req.site === undefined || d.device.site === req.site);
    const touchesTier = found.some((d) => tiers.includes(d.classification.criticality)) || (req.criticality !== undefined && tiers.includes(req.criticality));
    if (touchesTier && !may(caller.role, "override.ot")) throw new Denied(403, `${req.device} is or would be of ${tiers.join(", ")}: an OT engineer or an admin sets it, not ${caller.role}`);
    overrideDevice(store, by, { device: req.device!, category: req.category, criticality: req.criticality, reason: req.reason });
    return { items: findDevices(store, req.device!).map(deviceDetailView) };
  }
  if (op === "suppress") return { id: addSuppression(store, by, { device: req.device, detector: req.detector, peer: req.peer, reason: req.note!, expires: req.expires }) };
  const site = req.site ?? config.site;
  if (op === "eol-set") {
    const e = req.eol!;
    return setEolDecision(store, by, {
      site, device: req.device, model: e.model, decision: e.decision!, owner: e.owner!, rationale: e.rationale!, reviewBy: e.reviewBy!, replaceBy: e.replaceBy, vendorSupport: e.vendorSupport,
    });
  }
  if (op === "eol-review") return reviewEolDecision(store, by, site, req.eol!.target!, { nextReview: req.eol!.reviewBy!, note: req.reason! });
  if (op === "trust-assume") return addAssumption(store, by, { site, ...req.trust!.assumption! });
  if (op === "trust-review") return reviewAssumption(store, by, req.trust!.assumptionId!, { note: req.note!, nextReview: req.trust!.nextReview! });
  if (op === "cert-revoke") {
    const c = revokeCertificate(store, by, { certificate: req.certificate!, reason: req.revokeReason }, authority);
    return { serial: c.serial, mac: c.mac ?? null, revokedAt: c.revokedAt, reason: c.revokeReason };
  }
  if (op === "compensate") {
    const r = proposeCompensation(store, site, by, req.device, config.respond?.quarantine ?? "coa");
    return { policy: r.policy ? policyListView(r.policy) : null, changes: r.changes, skipped: r.skipped, quarantines: r.quarantines };
  }
  const p = storedPolicy(store, req.id!);
  const tiers = config.respond?.approval ?? ["life-safety/physical-process"];
  const tierDevices = policyTierDevices(store, p, tiers);
  if (tierDevices.length > 0) {
    if (!may(caller.role, "policy.approve.ot")) throw new Denied(403, `policy ${p.id} governs ${tierDevices.length} device(s) of ${tiers.join(", ")}: an OT engineer or an admin decides, not ${caller.role}`);
    const proposer = p.events[0]?.actor;
    if (req.to !== "rejected" && proposer === caller.actor) throw new Denied(403, `${caller.actor} proposed policy ${p.id}, which governs devices of ${tiers.join(", ")}: another person approves it (four-eyes)`);
  }
  return policyListView(movePolicy(store, String(p.id), req.to as "approved" | "rejected" | "enforced", by, req.note));
}

/** A request its caller may not make: 401 (not who it says) or 403 (its role may not). */

/** Whether a device is of an OT tier: a criticality class a person approves for first (`respond.approval`). */
function otTier(site: string, mac: string): string | undefined {
  const c = responderDevice(store, site, mac)?.criticality;
  return c !== undefined && (config.respond?.approval ?? ["life-safety/physical-process"]).includes(c) ? c : undefined;
}

/**
 * What the caller's role allows on this device or response, beyond what the API checked
 * (app/permissions.ts). A person's quarantine of a device of an OT tier is proposed, whoever
 * asks (`waitsFor`): a second person, an OT engineer or an admin, approves it, and the one who
 * asked cannot (four-eyes). Releasing such a device, and deciding on its responses, takes an OT
 * engineer or an admin.
 */
function authorise(op: ApiOp, req: ApiRequest, caller: Caller, site: string): { waitsFor?: string } {
  if (op === "quarantine" || op === "release") {
    const tier = otTier(site, req.mac!);
    if (tier === undefined) return {};
    if (op === "quarantine") return { waitsFor: "another person's approval (an OT engineer or an admin)" };
    if (!may(caller.role, "quarantine.ot")) throw new Denied(403, `${req.mac} is ${tier}: releasing it takes an OT engineer or an admin, not ${caller.role}`);
    return {};
  }
  if (op === "approve" || op === "reject") {
    const found = nacStore.responsesByPrefix(req.id!);
    if (found.length !== 1) return {};
    const r = found[0];
    const tier = (config.respond?.approval ?? []).includes(r.criticality);
    if (tier && !may(caller.role, "response.approve.ot")) throw new Denied(403, `response ${r.id} is for a ${r.criticality} device: an OT engineer or an admin decides, not ${caller.role}`);
    if (op === "approve" && r.requestedBy !== undefined && r.requestedBy === caller.actor) throw new Denied(403, `${caller.actor} asked for this quarantine: another person approves it (four-eyes)`);
  }
  return {};
}

async function api(op: ApiOp, req: ApiRequest, caller: Caller): Promise<unknown> {
  if (op === "authenticate") {
    if (req.session !== undefined) {
      const s = sessionUser(store, req.session);
      if (!s) throw new Denied(401, "the session ended or expired");
      return s;
    }
    const who = authenticateToken(store, req.token ?? "");
    if (!who) throw new Denied(401, "the token is unknown, expired or revoked, or its user is disabled");
    return { user: who.user, role: who.role };
  }
  if (op === "login") {
    try {
      return login(store, req.name!, req.password!, caller.peer);
    } catch (e) {
      if (e instanceof LoginRefused) throw new Denied(401, e.message);
      throw e;
    }
  }
  if (op === "logout") return { ended: logout(store, req.session ?? "") };
  if (op === "alert-move" || op === "suppress" || op === "policy-move" || op === "override" || op === "eol-set" || op === "eol-review" || op === "compensate" || op === "trust-assume" || op === "trust-review" || op === "cert-revoke") return change(op, req, caller);
  const site = req.site ?? config.site;
  const target = req.mac ?? req.id;
  const entry = { principal: caller.principal, actor: caller.actor, role: caller.role, via: "api" as const, peer: caller.peer, action: op, site, target };
  try {
    if (!responder) throw new ResponseError("responses are off: add a respond section to the serve configuration");
    const { waitsFor } = authorise(op, req, caller, site);
    let outcome: "ok" | "failed";
    let detail: string;
    let result: unknown;
    if (op === "quarantine" || op === "approve") {
      const r = op === "quarantine" ? await responder.quarantine(site, req.mac!, caller.actor, req.reason!, waitsFor) : await responder.approve(req.id!, caller.actor, req.reason);
      outcome = r.status === "failed" ? "failed" : "ok";
      detail = `${req.reason ? `${req.reason}; ` : ""}response ${r.id}: ${r.status}; ${r.steps.filter((x) => x.action === "quarantine").map((x) => x.detail).join("; ")}`;
      result = r;
    } else if (op === "release") {
      const r = await responder.release(site, req.mac!, caller.actor, req.reason!);
      outcome = "ok";
      detail = `${req.reason}; ${r.enforcement}`;
      result = r;
    } else {
      const r = await responder.reject(req.id!, caller.actor, req.reason!);
      outcome = "ok";
      detail = req.reason!;
      result = r;
    }
    audit.append({ ...entry, at: new Date().toISOString(), outcome, detail });
    log.info({ action: op, actor: caller.actor, principal: caller.principal, role: caller.role, peer: caller.peer, site, target, outcome, reason: req.reason, detail }, "action through the API");
    return result;
  } catch (e) {
    audit.append({ ...entry, at: new Date().toISOString(), outcome: "refused", detail: e instanceof ResponseError || e instanceof Denied ? e.message : "internal error" });
    log.warn({ action: op, actor: caller.actor, principal: caller.principal, role: caller.role, peer: caller.peer, site, target, outcome: "refused", reason: (e as Error).message }, "action through the API");
    throw e;
  }
}

/**
 * Jobs serve runs on a period of its own, in this thread (it owns the writes and the
 * pipeline): SNMP rounds, whose facts go through the pipeline like any sensor's, and advisory
 * feeds. A round still running when the next is due is not started twice; a failure is logged
 * and the next round tries again.
 */
function every(name: string, seconds: number, job: () => Promise<void>): void {
  let running = false;
  const tick = (): void => {
    if (running) return;
    running = true;
    job().catch((e: Error) => log.warn({ job: name, err: e.message }, "scheduled job failed")).finally(() => {
      running = false;
    });
  };
  setTimeout(tick, 1000).unref();
  setInterval(tick, seconds * 1000).unref();
}
if (config.snmp && config.snmp.intervalS > 0) {
  const snmp = config.snmp;
  every("snmp", snmp.intervalS, async () => {
    const r = await pollSnmpInto(store, config.site, snmp, (o) => pipeline.observe(o));
    for (const p of r.polled.filter((x) => x.error)) log.warn({ target: p.ip, requests: p.requests, error: p.error }, "snmp target could not be read");
    log.info({ polled: r.polled.length, facts: r.polled.reduce((n, p) => n + p.observations, 0), skipped: r.skipped.length, requests: r.polled.reduce((n, p) => n + p.requests, 0) }, "snmp round done");
  });
}
// Trust assumptions past their review, or that the traffic contradicts, are alerts: checked hourly.
every("trust-assumptions", 3600, async () => {
  const alerts = raiseTrustAlerts(store);
  if (alerts.length) log.warn({ alerts: alerts.map((a) => a.title) }, "trust assumptions need a person");
});
if (config.advisories) {
  const feeds = config.advisories;
  every("advisories", feeds.intervalS, async () => {
    for (const url of feeds.feeds) {
      const r = await importAdvisoryFeed(store, url, new Date().toISOString(), feeds.timeoutMs);
      if (r.failed.length) log.warn({ feed: url, reason: r.failed[0]!.note }, "advisory feed failed");
      else log.info({ feed: url, advisories: r.read.csaf + r.read.cve5 + r.read.nvd, stored: r.stored, kev: r.kevEntries, schemaFailures: r.schemaFailures.length, skipped: r.skipped.length }, "advisory feed imported");
    }
  });
}

if (config.nac) nacTable = nacTableFromStore(store, nacStore, config.nac);
// The CA, opened once: a server certificate for EAP-TLS and EST made now, to a key only this process holds.
let authority: Authority | undefined;
let pki: PkiMaterial | undefined;
let ra: ScepRa | undefined;
if (config.pki) {
  try {
    authority = await openAuthority(store, config.pki.passphrase, config.pki.crlUrl);
    pki = await serverMaterial(store, authority, config.pki.names, config.pki.site);
    const made = await scepRa(store, authority, config.pki.passphrase, config.pki.site);
    ra = made;
    pki.scepRaPem = made.certPem;
  } catch (e) {
    send({ type: "fatal", message: `pki: ${(e as Error).message}` });
    process.exit(1);
  }
  const open = authority;
  let lastRevoked = pki.revoked.join(",");
  // Revocations made elsewhere (the CLI, the API) reach EAP-TLS within 5 s.
  setInterval(() => {
    try {
      const serials = revokedSerials(store, open);
      if (serials.join(",") === lastRevoked) return;
      lastRevoked = serials.join(",");
      open.crlChanged();
      send({ type: "pki-revoked", serials });
    } catch (e) {
      storeFailed(e, "reading revocations");
    }
  }, 5000).unref();
  every("certificate-expiry", 3600, async () => {
    const alerts = raiseCertificateAlerts(store);
    if (alerts.length) log.warn({ alerts: alerts.map((a) => a.title) }, "certificates running out");
  });
}
send({ type: "ready", devices: pipeline.inventory.devices.size, nacTable, ...(pki ? { pki } : {}) });
