import { createRequire } from "node:module";
import type { Sql, SqlValue } from "./sql.js";
import type { WorkerAnswer, WorkerRequest } from "./postgres-worker.js";

/** How long a statement may take before the calling thread stops waiting (the server is taken as gone). */
const ANSWER_TIMEOUT_MS = 120_000;
/** Rows per multi-row INSERT (PostgreSQL takes at most 65,535 parameters a statement). */
const MAX_PARAMETERS = 60_000;
/** Waits between attempts to reach a server that is not answering: doubling from the first to the last. */
const BACKOFF_MS = [500, 30_000] as const;

let call: ((r: WorkerRequest) => WorkerAnswer) | undefined;
let nextId = 0;

/** A database URL Cordon treats as PostgreSQL. */
export const isPostgresUrl = (s: string): boolean => /^postgres(ql)?:\/\//i.test(s);

/** The URL without its password, for messages and logs; a SQLite file's path as it is. */
export function redactUrl(url: string): string {
  if (!isPostgresUrl(url)) return url;
  try {
    const u = new URL(url);
    if (u.password) u.password = "****";
    return u.toString();
  } catch {
    return "postgres://(unreadable URL)";
  }
}

/** A failure to reach or use PostgreSQL, with its SQLSTATE or socket code when there is one. */
export class PostgresError extends Error {
  constructor(message: string, readonly code?: string) {
    super(message);
  }
}

/**
 * PostgreSQL through node-postgres, called synchronously: the client runs in a worker thread
 * (store/postgres-worker.ts) and this thread waits for each answer (synckit, Atomics.wait).
 * Cordon's store was written for SQLite's synchronous calls; this keeps one store for both
 * engines. The wait costs a thread hop per statement, so bulk writes go as multi-row INSERTs.
 *
 * When the server goes away, each call fails with a PostgresError; the next call after the
 * backoff (0.5 s, doubling to 30 s) connects again. Callers keep what they could not write.
 */
export class PostgresSql implements Sql {
  readonly dialect = "postgres" as const;
  private readonly id = ++nextId;
  private connected = false;
  private depth = 0;
  private failures = 0;
  private retryAt = 0;
  private readonly texts = new Map<string, string>();

  constructor(private readonly url: string, private readonly o: { connectTimeoutMs?: number; applicationName?: string; readOnly?: boolean } = {}) {
    // synckit is loaded when PostgreSQL is first used, not by every command on SQLite.
    const { createSyncFn } = createRequire(import.meta.url)("synckit") as typeof import("synckit");
    call ??= createSyncFn<(r: WorkerRequest) => Promise<WorkerAnswer>>(new URL("./postgres-worker.js", import.meta.url).href, { timeout: ANSWER_TIMEOUT_MS });
    this.connect();
  }

  /** Whether the last attempt reached the server. */
  get isConnected(): boolean {
    return this.connected;
  }

  private connect(): void {
    if (Date.now() < this.retryAt) throw new PostgresError(`PostgreSQL at ${redactUrl(this.url)} is unavailable; trying again in ${Math.ceil((this.retryAt - Date.now()) / 1000)} s`, "08006");
    try {
      call!({ op: "open", id: this.id, url: this.url, connectTimeoutMs: this.o.connectTimeoutMs ?? 5000, applicationName: this.o.applicationName ?? "cordon", readOnly: this.o.readOnly === true });
      this.connected = true;
      this.failures = 0;
      this.retryAt = 0;
    } catch (e) {
      this.failures++;
      this.retryAt = Date.now() + Math.min(BACKOFF_MS[1], BACKOFF_MS[0] * 2 ** (this.failures - 1));
      throw this.error(e);
    }
  }

  private error(e: unknown): PostgresError {
    const err = e as Error & { code?: string };
    const code = typeof err.code === "string" ? err.code : undefined;
    // synckit's own timeout: the server took too long, or the worker is gone.
    const message = /Atomics\.wait\(\) failed: timed-out/.test(err.message) ? `no answer from PostgreSQL within ${ANSWER_TIMEOUT_MS / 1000} s` : err.message;
    return new PostgresError(`PostgreSQL at ${redactUrl(this.url)}: ${message}`, code);
  }

  /** `?` parameters as PostgreSQL's `$1, $2, ...` (outside quoted text). */
  private text(sql: string): string {
    let t = this.texts.get(sql);
    if (t === undefined) {
      let n = 0;
      let out = "";
      let quote: string | undefined;
      for (const ch of sql) {
        if (quote) {
          if (ch === quote) quote = undefined;
          out += ch;
        } else if (ch === "'" || ch === '"') {
          quote = ch;
          out += ch;
        } else out += ch === "?" ? `$${++n}` : ch;
      }
      t = out;
      if (this.texts.size > 4096) this.texts.clear();
      this.texts.set(sql, t);
    }
    return t;
  }

  private query(sql: string, params: readonly SqlValue[], rowMode?: "array"): WorkerAnswer {
    if (!this.connected) {
      if (this.depth > 0) throw new PostgresError(`PostgreSQL at ${redactUrl(this.url)}: the connection was lost inside a transaction`, "08006");
      this.connect();
    }
    try {
      return call!({ op: "query", id: this.id, text: this.text(sql), values: params.map((v) => (typeof v === "bigint" ? v.toString() : v)), ...(rowMode ? { rowMode } : {}) });
    } catch (e) {
      const err = this.error(e);
      if (err.code === undefined || /^(08|57P)/.test(err.code) || /^E[A-Z]+$/.test(err.code) || /no answer/.test(err.message)) {
        this.connected = false;
        this.failures++;
        this.retryAt = Date.now() + Math.min(BACKOFF_MS[1], BACKOFF_MS[0] * 2 ** (this.failures - 1));
      }
      throw err;
    }
  }

  run(sql: string, ...params: SqlValue[]): number {
    return this.query(sql, params).rowCount;
  }

  get<T>(sql: string, ...params: SqlValue[]): T | undefined {
    return this.query(sql, params).rows[0] as T | undefined;
  }

  all<T>(sql: string, ...params: SqlValue[]): T[] {
    return this.query(sql, params).rows as T[];
  }

  rows<T extends unknown[]>(sql: string, ...params: SqlValue[]): T[] {
    return this.query(sql, params, "array").rows as T[];
  }

  column<T>(sql: string, ...params: SqlValue[]): T[] {
    return (this.query(sql, params, "array").rows as unknown[][]).map((r) => r[0] as T);
  }

  exec(sql: string): void {
    this.query(sql, []);
  }

  transaction<T>(fn: () => T): T {
    const savepoint = this.depth > 0 ? `cordon_${this.depth}` : undefined;
    this.query(savepoint ? `SAVEPOINT ${savepoint}` : "BEGIN", []);
    this.depth++;
    try {
      const out = fn();
      this.depth--;
      this.query(savepoint ? `RELEASE SAVEPOINT ${savepoint}` : "COMMIT", []);
      return out;
    } catch (e) {
      this.depth--;
      if (this.connected) {
        try {
          this.query(savepoint ? `ROLLBACK TO SAVEPOINT ${savepoint}` : "ROLLBACK", []);
        } catch {
          // The connection broke as well: the server rolls the transaction back itself.
        }
      }
      throw e;
    }
  }

  insertMany(table: string, columns: readonly string[], rows: Iterable<readonly SqlValue[]>, onConflict = "", returning?: string): unknown[][] {
    const out: unknown[][] = [];
    const per = Math.max(1, Math.min(1000, Math.floor(MAX_PARAMETERS / columns.length)));
    const head = `INSERT INTO ${table} (${columns.join(", ")}) VALUES `;
    const tuple = `(${columns.map(() => "?").join(", ")})`;
    const write = (part: (readonly SqlValue[])[]): void => {
      const text = `${head}${part.map(() => tuple).join(", ")} ${onConflict}`;
      // RETURNING gives no promise of order: the caller matches rows by the columns it asks back.
      if (returning) out.push(...this.rows(`${text} RETURNING ${returning}`, ...part.flat()));
      else this.run(text, ...part.flat());
    };
    let part: (readonly SqlValue[])[] = [];
    for (const r of rows) {
      part.push([...r]);
      if (part.length === per) {
        write(part);
        part = [];
      }
    }
    if (part.length > 0) write(part);
    return out;
  }

  close(): void {
    if (this.connected) call!({ op: "close", id: this.id });
    this.connected = false;
  }
}
