import { parentPort, workerData } from "node:worker_threads";
import { pino } from "pino";
import { NacStore } from "../store/nac.js";
import { PostgresError, redactUrl } from "../store/postgres-sql.js";
import { Store } from "../store/store.js";
import { apiFailure, readOp } from "./api-reads.js";
import type { ServeConfig } from "./config.js";
import type { ToMain, ToReader } from "./messages.js";

/**
 * serve's reader thread: answers the API's reads (serve/api-reads.ts) from a read-only
 * connection of its own (SQLite in WAL mode lets it read while the ingest worker writes;
 * PostgreSQL gives it a session of its own). It starts once the ingest worker has the schema
 * up to date, and sees what the worker has committed.
 */
const config = workerData as ServeConfig;
const port = parentPort!;
const log = pino({ level: config.logLevel, base: { thread: "reader" } });
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

port.on("message", (m: ToReader) => {
  if (m.type === "stop") {
    store.close();
    port.close();
    return;
  }
  try {
    send({ type: "api-result", id: m.id, status: 200, body: readOp(store, nacStore, m.op, m.request) });
  } catch (e) {
    const failure = apiFailure(e);
    if (failure.status === 500) log.error({ err: e, op: m.op }, "api read failed");
    send({ type: "api-result", id: m.id, ...failure });
  }
});
