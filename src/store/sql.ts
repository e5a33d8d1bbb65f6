/** A value bound to a `?` parameter. */
export type SqlValue = string | number | bigint | boolean | null | Uint8Array;

/**
 * One database connection as the store's classes use it, the same for SQLite and PostgreSQL:
 * statements with `?` parameters, rows as objects or as arrays, and transactions that nest.
 * Synchronous: a call returns when the database has answered, so the store's callers (the
 * pipeline's flow sink, the CLI, serve's ingest thread) need no promises.
 *
 * Statements are written once for both engines. Where the engines' SQL differs, the store
 * asks `dialect`, or uses the helpers below (`greatest`, `least`).
 */
export interface Sql {
  readonly dialect: "sqlite" | "postgres";
  /** Runs a statement; the number of rows it changed. */
  run(sql: string, ...params: SqlValue[]): number;
  /** The first row as an object, or undefined. */
  get<T>(sql: string, ...params: SqlValue[]): T | undefined;
  /** Every row as an object. */
  all<T>(sql: string, ...params: SqlValue[]): T[];
  /** Every row as an array of its columns, in the order selected. */
  rows<T extends unknown[]>(sql: string, ...params: SqlValue[]): T[];
  /** The first column of every row. */
  column<T>(sql: string, ...params: SqlValue[]): T[];
  /** Statements without parameters, separated by semicolons (schema steps). */
  exec(sql: string): void;
  /** Runs `fn` in a transaction (a savepoint inside another): committed when it returns, rolled back when it throws. */
  transaction<T>(fn: () => T): T;
  /**
   * Inserts many rows in as few round trips as the engine allows (PostgreSQL: multi-row
   * INSERT; SQLite: one prepared statement in a loop), inside the caller's transaction.
   * `onConflict` is appended as it is (an `ON CONFLICT ... DO ...` clause); with `returning`
   * (columns), the inserted or updated rows come back as arrays, one per row given, in order.
   * A row array may be reused by the caller for the next row: an implementation copies what
   * it keeps.
   */
  insertMany(table: string, columns: readonly string[], rows: Iterable<readonly SqlValue[]>, onConflict?: string, returning?: string): unknown[][];
  close(): void;
}

/** The greater of two expressions (SQLite's two-argument max, PostgreSQL's GREATEST). */
export const greatest = (sql: Sql, a: string, b: string): string => (sql.dialect === "sqlite" ? `max(${a}, ${b})` : `GREATEST(${a}, ${b})`);

/** The lesser of two expressions. */
export const least = (sql: Sql, a: string, b: string): string => (sql.dialect === "sqlite" ? `min(${a}, ${b})` : `LEAST(${a}, ${b})`);
