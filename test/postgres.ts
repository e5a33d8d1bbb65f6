import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Store } from "../src/store/store.js";

/**
 * A PostgreSQL server of the tests' own: Debian's `postgresql` package (which .ci/run
 * installs), a new cluster in a temporary folder, listening on loopback only, stopped when the
 * test process ends. As root, the cluster runs as the `postgres` user (PostgreSQL refuses
 * root). The superuser `cordon` signs in with a password over TCP, so a wrong one is refused.
 */
export interface TestPostgres {
  /** postgres://cordon:PASSWORD@127.0.0.1:PORT/ (add a database name). */
  base: string;
  port: number;
  password: string;
  /** A new, empty database's URL. */
  database(name: string): string;
  stop(): void;
  start(): void;
}

function binDir(): string | undefined {
  const root = "/usr/lib/postgresql";
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root).filter((v) => existsSync(join(root, v, "bin", "pg_ctl"))).sort((a, b) => Number(b) - Number(a));
  return versions.length ? join(root, versions[0], "bin") : undefined;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

let started: TestPostgres | undefined;
let why: string | undefined;

/** The tests' PostgreSQL, started once per test file; a reason string when it cannot start. */
export async function testPostgres(): Promise<TestPostgres | string> {
  if (started) return started;
  if (why) return why;
  const bin = binDir();
  if (!bin) return (why = "PostgreSQL not installed (/usr/lib/postgresql/*/bin/pg_ctl; .ci/run installs Debian's postgresql): PostgreSQL tests skipped");
  const root = process.getuid?.() === 0;
  let uid: number | undefined;
  let gid: number | undefined;
  if (root) {
    const id = spawnSync("id", ["-u", "postgres"], { encoding: "utf8" });
    const g = spawnSync("id", ["-g", "postgres"], { encoding: "utf8" });
    if (id.status !== 0) return (why = "running as root and there is no postgres user to run PostgreSQL as: PostgreSQL tests skipped");
    uid = Number(id.stdout.trim());
    gid = Number(g.stdout.trim());
  }
  const dir = mkdtempSync(join(tmpdir(), "cordon-pg-"));
  chmodSync(dir, 0o755);
  const data = join(dir, "data");
  const password = `pw-${process.pid}-${Date.now()}`;
  const pwfile = join(dir, "pw");
  writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
  if (root) chownSync(pwfile, uid!, gid!);
  if (root) chownSync(dir, uid!, gid!);
  const as = (cmd: string, args: string[]): ReturnType<typeof spawnSync> =>
    root ? spawnSync("runuser", ["-u", "postgres", "--", join(bin, cmd), ...args], { encoding: "utf8", cwd: dir }) : spawnSync(join(bin, cmd), args, { encoding: "utf8", cwd: dir });
  const init = as("initdb", ["-D", data, "-U", "cordon", `--pwfile=${pwfile}`, "--auth-host=scram-sha-256", "--auth-local=trust", "--locale=C", "-E", "UTF8", "--no-sync"]);
  if (init.status !== 0) return (why = `initdb failed: ${String(init.stderr).trim().split("\n").pop()}: PostgreSQL tests skipped`);
  const port = await freePort();
  const ctl = (args: string[]): ReturnType<typeof spawnSync> => as("pg_ctl", ["-D", data, ...args]);
  const start = (): void => {
    const r = ctl(["-w", "-t", "30", "-l", join(dir, "log"), "-o", `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off -c max_connections=50`, "start"]);
    if (r.status !== 0) throw new Error(`pg_ctl start: ${String(r.stderr || r.stdout).trim()}`);
  };
  try {
    start();
  } catch (e) {
    return (why = `${(e as Error).message}: PostgreSQL tests skipped`);
  }
  const base = `postgres://cordon:${encodeURIComponent(password)}@127.0.0.1:${port}/`;
  const stop = (): void => {
    ctl(["-m", "immediate", "-w", "stop"]);
  };
  process.on("exit", () => {
    stop();
    rmSync(dir, { recursive: true, force: true });
  });
  let n = 0;
  started = {
    base, port, password, stop, start,
    database(name: string): string {
      const db = `${name.replace(/[^a-z0-9_]/gi, "_").toLowerCase()}_${++n}`;
      execFileSync(join(bin, "psql"), ["-h", dir, "-p", String(port), "-U", "cordon", "-d", "postgres", "-q", "-c", `CREATE DATABASE ${db}`], { stdio: "pipe" });
      return `${base}${db}`;
    },
  };
  return started;
}

/** A store on a new PostgreSQL database, or the reason there is none. */
export async function postgresStore(name: string): Promise<{ store: Store; url: string } | string> {
  const pg = await testPostgres();
  if (typeof pg === "string") return pg;
  const url = pg.database(name);
  return { store: new Store(url), url };
}
