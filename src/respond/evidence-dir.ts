import { mkdirSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";

/**
 * The evidence folder: made (mode 0700: pcaps hold payloads and clear-text credentials) and
 * proven writable. Node's `mkdirSync(..., { recursive: true })` spins forever at 100% CPU
 * on a path under /proc (ENOENT from a parent that exists), so folders are made one level
 * at a time, each level at most once.
 */
export function ensureWritableDir(dir: string): void {
  const missing: string[] = [];
  for (let d = resolve(dir); ; d = dirname(d)) {
    try {
      if (!statSync(d).isDirectory()) throw new Error(`${d} is not a folder`);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
      if (dirname(d) === d) throw e;
      missing.unshift(d);
    }
  }
  for (const d of missing) mkdirSync(d, { mode: 0o700 });
  const probe = join(dir, `.cordon-write-test-${process.pid}`);
  writeFileSync(probe, "", { mode: 0o600 });
  unlinkSync(probe);
}
