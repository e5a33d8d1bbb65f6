import { chmodSync, statSync } from "node:fs";
import Database from "better-sqlite3";
import type { Sql, SqlValue } from "./sql.js";

/** Prepared statements kept per connection; past this many (statements with IN lists of every length) the cache starts again. */
const STATEMENT_CACHE = 512;

/** SQLite through better-sqlite3: a file (WAL, owner-only) or ":memory:". */
export class SqliteSql implements Sql {
  readonly dialect = "sqlite" as const;
  readonly db: Database.Database;
  private readonly statements = new Map<string, Database.Statement>();

  /** `readOnly`: opened read-only (the file must exist); nothing is written, not even its mode. */
  constructor(path: string, o: { readOnly?: boolean } = {}) {
    this.db = new Database(path, o.readOnly ? { readonly: true, fileMustExist: true } : {});
    if (o.readOnly) {
      this.db.pragma("foreign_keys = ON");
      return;
    }
    // The database holds payload-derived facts, credentials seen in clear and the audit log:
    // its owner only. SQLite gives the -wal and -shm files the database file's mode.
    if (path !== ":memory:" && path !== "") {
      for (const f of [path, `${path}-wal`, `${path}-shm`]) {
        try {
          if ((statSync(f).mode & 0o077) !== 0) chmodSync(f, 0o600);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
        }
      }
    }
    this.db.pragma("journal_mode = WAL");
    this.db.pragma("synchronous = NORMAL");
    this.db.pragma("foreign_keys = ON");
  }

  /** The statement for `sql` in one of better-sqlite3's row modes (a statement keeps its mode). */
  private statement(sql: string, mode: "object" | "raw" | "pluck"): Database.Statement {
    const key = `${mode}\u0000${sql}`;
    let s = this.statements.get(key);
    if (s === undefined) {
      if (this.statements.size >= STATEMENT_CACHE) this.statements.clear();
      s = this.db.prepare(sql);
      if (mode === "raw") s.raw(true);
      else if (mode === "pluck") s.pluck(true);
      this.statements.set(key, s);
    }
    return s;
  }

  run(sql: string, ...params: SqlValue[]): number {
    const s = this.statement(sql, "object");
    // A statement that returns rows (INSERT ... RETURNING) is run by reading them.
    if (s.reader) return s.all(...params).length;
    return s.run(...params).changes;
  }

  get<T>(sql: string, ...params: SqlValue[]): T | undefined {
    return this.statement(sql, "object").get(...params) as T | undefined;
  }

  all<T>(sql: string, ...params: SqlValue[]): T[] {
    return this.statement(sql, "object").all(...params) as T[];
  }

  rows<T extends unknown[]>(sql: string, ...params: SqlValue[]): T[] {
    return this.statement(sql, "raw").all(...params) as T[];
  }

  column<T>(sql: string, ...params: SqlValue[]): T[] {
    return this.statement(sql, "pluck").all(...params) as T[];
  }

  exec(sql: string): void {
    this.db.exec(sql);
  }

  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  insertMany(table: string, columns: readonly string[], rows: Iterable<readonly SqlValue[]>, onConflict = "", returning?: string): unknown[][] {
    const out: unknown[][] = [];
    const text = `INSERT INTO ${table} (${columns.join(", ")}) VALUES (${columns.map(() => "?").join(", ")}) ${onConflict}${returning ? ` RETURNING ${returning}` : ""}`;
    // One prepared statement in a loop: SQLite runs in this process, so a row costs no round trip.
    const s = this.statement(text, returning ? "raw" : "object");
    this.transaction(() => {
      if (returning) for (const r of rows) out.push(s.get(...r) as unknown[]);
      else for (const r of rows) s.run(...r);
    });
    return out;
  }

  close(): void {
    this.statements.clear();
    this.db.close();
  }
}
