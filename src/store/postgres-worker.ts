import pg from "pg";
import { runAsWorker } from "synckit";

/**
 * The thread behind `PostgresSql`: it holds the connections (node-postgres, `pg`) and runs
 * each request the calling thread makes, which waits for the answer (synckit). One connection
 * per `PostgresSql`, so a transaction's statements all go through it.
 */

// BIGINT columns (record times in microseconds, counters) as numbers: every value Cordon
// stores is below 2^53. COUNT(*) is BIGINT too.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));

export type WorkerRequest =
  | { op: "open"; id: number; url: string; connectTimeoutMs: number; applicationName: string; readOnly: boolean }
  | { op: "query"; id: number; text: string; values: unknown[]; rowMode?: "array" }
  | { op: "close"; id: number };

export interface WorkerAnswer {
  rows: unknown[];
  rowCount: number;
}

const clients = new Map<number, pg.Client>();

/** The error as the calling thread sees it: message, and PostgreSQL's SQLSTATE or the socket's code. */
function plain(e: unknown): Error & { code?: string } {
  const err = e as Error & { code?: string };
  const out = new Error(err.message || String(e)) as Error & { code?: string };
  if (typeof err.code === "string") out.code = err.code;
  return out;
}

runAsWorker(async (r: WorkerRequest): Promise<WorkerAnswer> => {
  try {
    if (r.op === "open") {
      const client = new pg.Client({
        connectionString: r.url, connectionTimeoutMillis: r.connectTimeoutMs, application_name: r.applicationName,
        // A reading command's connection is read-only on the server's side too, whatever it is asked.
        ...(r.readOnly ? { options: "-c default_transaction_read_only=on" } : {}),
      });
      // A server that goes away is found at the next query; the client's own error event must not end the thread.
      client.on("error", () => clients.delete(r.id));
      await client.connect();
      clients.set(r.id, client);
      return { rows: [], rowCount: 0 };
    }
    const client = clients.get(r.id);
    if (r.op === "close") {
      clients.delete(r.id);
      await client?.end();
      return { rows: [], rowCount: 0 };
    }
    if (!client) throw Object.assign(new Error("the connection to PostgreSQL was lost"), { code: "57P01" });
    const values = r.values.map((v) => (v instanceof Uint8Array && !Buffer.isBuffer(v) ? Buffer.from(v.buffer, v.byteOffset, v.byteLength) : v));
    const res = await client.query({ text: r.text, values, ...(r.rowMode ? { rowMode: r.rowMode } : {}) });
    return { rows: res.rows, rowCount: res.rowCount ?? 0 };
  } catch (e) {
    if (r.op === "query" && clients.has(r.id) && isConnectionError(e)) {
      clients.get(r.id)?.end().catch(() => undefined);
      clients.delete(r.id);
    }
    throw plain(e);
  }
});

/** Errors after which the connection is of no more use (the server went away, the socket broke). */
function isConnectionError(e: unknown): boolean {
  const code = (e as { code?: string }).code ?? "";
  return code.startsWith("08") || code === "57P01" || code === "57P02" || code === "57P03" || /^E[A-Z]+$/.test(code) || /Connection terminated/i.test((e as Error).message ?? "");
}
