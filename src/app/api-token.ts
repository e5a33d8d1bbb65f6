import { randomBytes } from "node:crypto";
import { chmodSync, closeSync, openSync, readFileSync, statSync, writeSync } from "node:fs";
import { isPostgresUrl } from "../store/postgres-sql.js";

/**
 * The local API's token when the configuration names none: made at first start, kept in
 * `<db>.token` (mode 0600, beside the database), read by the CLI from there or from
 * CORDON_TOKEN. Whoever can read the file can act through the API, as whoever can read the
 * database can read everything Cordon knows. With PostgreSQL there is no file beside the
 * database: the token is `<database name>.token` in the working folder.
 */
export function tokenPath(db: string): string {
  if (!isPostgresUrl(db)) return `${db}.token`;
  let name = "cordon";
  try {
    name = decodeURIComponent(new URL(db).pathname.slice(1)) || "cordon";
  } catch {
    // An unreadable URL fails where the database is opened, with its own message.
  }
  return `${name.replace(/[^A-Za-z0-9_.-]/g, "_").replace(/^\.+/, "_")}.token`;
}

/** The token in `<db>.token`, made now (32 random bytes, base64url) when the file does not exist. */
export function serveToken(db: string): { token: string; path: string; created: boolean } {
  const path = tokenPath(db);
  try {
    const fd = openSync(path, "wx", 0o600);
    const token = randomBytes(32).toString("base64url");
    try {
      writeSync(fd, `${token}\n`);
    } finally {
      closeSync(fd);
    }
    return { token, path, created: true };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw new Error(`${path}: cannot make the API token: ${(e as Error).message}`);
  }
  const token = readToken(path);
  if (token === undefined) throw new Error(`${path}: not a token (delete it and start again to make a new one)`);
  // A token file others can read is made private again.
  if ((statSync(path).mode & 0o077) !== 0) chmodSync(path, 0o600);
  return { token, path, created: false };
}

/** The token a file holds, or undefined when the file is missing or holds no token. */
export function readToken(path: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
  const t = text.trim();
  return /^[\x21-\x7e]{16,512}$/.test(t) ? t : undefined;
}
