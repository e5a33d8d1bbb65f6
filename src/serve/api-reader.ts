import { parentPort, workerData } from "node:worker_threads";
import { pino } from "pino";
import { NacStore } from "../store/nac.js";
import { PostgresError, redactUrl } from "../store/postgres-sql.js";
import { Store } from "../store/store.js";
import { apiFailure, flowSummariesOf, readOp, recentFlowsOf } from "./api-reads.js";
import type { ReaderData, ToMain, ToReader } from "./messages.js";

/**
 * One of serve's two reader threads: answers the API's reads (serve/api-reads.ts), those of
 * flow history in the "flows" role (which keeps the flow summaries folded), the others in the
 * "reads" role, from a read-only connection of its own (SQLite in WAL mode lets it read while the ingest worker writes;
 * PostgreSQL gives it a session of its own). It starts once the ingest worker has the schema
 * up to date, and sees what the worker has committed.
 */
const { config, role } = workerData as ReaderData;
const port = parentPort!;
const log = pino({ level: config.logLevel, base: { thread: `reader-${role}` } });
const send = (m: ToMain): void => port.postMessage(m);

let store: Store;
try {
  store = new Store(config.db, { readOnly: true });
} catch (e) {
  send({ type: "fatal", message: e instanceof PostgresError ? e.message : `${redactUrl(config.db)}: ${(e as Error).message}` });
  process.exit(1);
}
const nacStore = new NacStore(store.sql);
send({ type: "reader-ready" });

/**
 * The flow summaries and the newest flows per end kept up to date between requests: every
 * FOLD_EVERY_MS, the flows stored since, one chunk (at most 10,000 flows, about 5 ms for the
 * summaries and 13 for the newest flows) at a turn of the event loop, so a request waits at
 * most one chunk's fold. A device's context or
 * flows then find them caught up (they fold what is left, up to a bound). Each only once
 * someone has asked for what it answers: a sensor nobody browses does not spend a thread's
 * CPU (nor the newest flows' memory) on the whole stored history at start.
 */
const FOLD_EVERY_MS = 100;
/** Flows a turn folds at least: a fold goes a whole chunk at a time, so 1 is one chunk. */
const FOLD_SLICE = 1;
let folding = false;
/** What has been asked for: summaries (a device's context), the newest flows (a device's flows). */
const wanted = { summaries: false, recent: false };
let stopped = false;
let failing = false;
/** Folds the next slice of `sites` (all of the store's with flows when undefined), and asks for the next turn until caught up. */
const foldSlice = (sites?: string[]): void => {
  if (stopped) return;
  try {
    sites ??= store.flowSites();
    while (sites.length > 0) {
      const summaries = !wanted.summaries || flowSummariesOf(store).fold(store, sites[0], FOLD_SLICE);
      const recent = !wanted.recent || recentFlowsOf(store).fold(store, sites[0], FOLD_SLICE);
      if (!(summaries && recent)) break;
      sites.shift();
    }
    if (failing) log.info("folding flow summaries again");
    failing = false;
  } catch (e) {
    // The database gone for a while (PostgreSQL restarting): the reads say so; the fold tries
    // again next time, and says so once, not every turn.
    if (!failing) log.warn({ err: e instanceof PostgresError ? e.message : e }, "folding flow summaries or newest flows failed; trying again");
    failing = true;
    sites = [];
  }
  if (sites.length > 0) setImmediate(foldSlice, sites);
  else folding = false;
};
const folds = role !== "flows" ? undefined : setInterval(() => {
  if (folding || !(wanted.summaries || wanted.recent)) return;
  folding = true;
  foldSlice();
}, FOLD_EVERY_MS).unref();

port.on("message", (m: ToReader) => {
  if (m.type === "stop") {
    clearInterval(folds);
    stopped = true;
    store.close();
    port.close();
    return;
  }
  if (m.op === "device-context") wanted.summaries = true;
  if (m.op === "flows") wanted.recent = true;
  try {
    send({ type: "api-result", id: m.id, status: 200, body: readOp(store, nacStore, m.op, m.request) });
  } catch (e) {
    const failure = apiFailure(e);
    if (failure.status === 500) log.error({ err: e, op: m.op }, "api read failed");
    send({ type: "api-result", id: m.id, ...failure });
  }
});
