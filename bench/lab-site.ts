import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DEFAULT_LAB, generateLab } from "../src/lab/generate.js";

/**
 * The benchmarks' big site: a lab of 10,000 devices over `durationS` seconds (2,900 s gives
 * about a million flows), analysed into `dir/lab.db` by the CLI. Made once per size and kept;
 * the capture is deleted after (it is most of a gigabyte). Each bench copies the database
 * before it changes anything.
 */
export function labDatabase(dir: string, cli: string, durationS: number): string {
  const db = join(dir, "lab.db");
  const marker = join(dir, "lab.json");
  const want = JSON.stringify({ devices: 10_000, durationS });
  if (existsSync(db) && existsSync(marker) && readFileSync(marker, "utf8") === want) return db;
  for (const s of ["", "-wal", "-shm"]) rmSync(db + s, { force: true });
  const lab = join(dir, "lab");
  mkdirSync(lab, { recursive: true });
  const r = generateLab(lab, { ...DEFAULT_LAB, devices: 10_000, durationS });
  execFileSync(process.execPath, [cli, "analyze", "--db", db, "--format", "json", r.pcap], { encoding: "utf8", cwd: dir, maxBuffer: 1 << 30 });
  rmSync(lab, { recursive: true, force: true });
  writeFileSync(marker, want);
  return db;
}
