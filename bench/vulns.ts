/**
 * `npm run bench` (vulnerabilities part): import every corpus CSAF advisory, the KEV catalogue
 * and the CVE 5 records, then match a 10,000-device inventory, each as its own `cordon vulns`
 * process as a person would run them. Target: both under 10 s and 300 MB. Beside it the floor:
 * a Node process that only reads and JSON-parses the same files. Medians of BENCH_RUNS runs.
 * The inventory is drawn from the advisories' own products (vendors under other names, firmware
 * below, at and above the ranges, unknown firmware) plus makers no advisory names.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { rng } from "../src/lab/generate.js";
import { advisoryPaths, readAdvisoryFile } from "../src/sources/advisories/read.js";
import type { AffectedProduct } from "../src/model/advisory.js";
import { measure, median } from "./measure.js";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const corpus = resolve(process.env.CORDON_CORPUS || resolve(root, "..", "shared", "corpus"));
const out = join(root, "bench", "out", "vulns");
const runs = Number(process.env.BENCH_RUNS ?? 3);
const count = Number(process.env.BENCH_VULN_DEVICES ?? 10_000);
mkdirSync(out, { recursive: true });
const cli = join(root, "dist", "src", "cli", "main.js");
const sources = ["cisagov-CSAF", "cisagov-kev-data", "CVEProject-cvelistV5"].map((d) => join(corpus, d));

const products: AffectedProduct[] = [];
for (const f of advisoryPaths(sources)) {
  const r = await readAdvisoryFile(f);
  for (const a of r.advisories) for (const v of a.vulnerabilities) products.push(...v.products);
}
const random = rng(31);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
const OTHER_NAMES: Record<string, string> = { Siemens: "SIEMENS AG", "Rockwell Automation": "Allen-Bradley", "Mitsubishi Electric": "Mitsubishi Electric Corporation", "Schneider Electric": "Schneider" };
function firmwareNear(p: AffectedProduct): string {
  const c = p.range.kind === "constraints" ? pick(p.range.constraints).version : p.range.kind === "branches" ? pick(p.range.fixed) : `${1 + Math.floor(random() * 9)}.${Math.floor(random() * 20)}`;
  const r = random();
  // At the bound, one below it, or one above, in the advisory's own spelling.
  return r < 0.34 ? c : c.replace(/(\d+)(?!.*\d)/, (d) => String(Math.max(0, Number(d) + (r < 0.67 ? -1 : 1))));
}
const cell = (s: string): string => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
const rows = ["id,vendor,product,firmware,model"];
for (let i = 0; i < count; i++) {
  if (random() < 0.1) {
    rows.push([`d${i}`, pick(["Acme", "Contoso", "Initech"]), `Sensor ${i % 50}`, "1.0.0", ""].map(cell).join(","));
    continue;
  }
  const p = pick(products);
  const vendor = random() < 0.3 ? OTHER_NAMES[p.vendor] ?? p.vendor : p.vendor;
  const firmware = random() < 0.2 ? "" : firmwareNear(p);
  const model = p.models.length && random() < 0.5 ? pick(p.models) : "";
  rows.push([`d${i}`, vendor, p.product.replace(/\s*\([^)]*\)/g, ""), firmware, model].map(cell).join(","));
}
const devices = join(out, "devices.csv");
writeFileSync(devices, `${rows.join("\n")}\n`);

const floorScript = join(out, "floor.mjs");
writeFileSync(floorScript, `import { readFileSync } from "node:fs";
for (const f of JSON.parse(readFileSync(process.argv[2], "utf8"))) { if (f.endsWith(".json")) JSON.parse(readFileSync(f, "utf8")); }\n`);
const fileList = join(out, "files.json");
writeFileSync(fileList, JSON.stringify(advisoryPaths(sources)));

function timed(name: string, cmd: string[], before?: () => void): { wallS: number; rssMb: number } {
  const walls: number[] = [];
  const rss: number[] = [];
  for (let i = 0; i < runs; i++) {
    before?.();
    const m = measure(cmd);
    if (m.status !== 0) throw new Error(`${name} exited ${m.status}`);
    walls.push(m.wallS);
    rss.push(m.maxRssMb);
  }
  const r = { wallS: median(walls), rssMb: median(rss) };
  console.log(`  ${name.padEnd(40)} ${r.wallS.toFixed(2)} s (runs ${walls.map((w) => w.toFixed(2)).join(", ")}), peak RSS ${r.rssMb.toFixed(0)} MB`);
  return r;
}

const db = join(out, "vulns.db");
const fresh = (): void => {
  for (const s of ["", "-wal", "-shm"]) rmSync(db + s, { force: true });
};
console.log(`vulns bench: ${advisoryPaths(sources).length} corpus files, ${products.length} product entries; ${count} devices`);
const floor = timed("floor: read + JSON.parse every file", [process.execPath, floorScript, fileList]);
const imp = timed("cordon vulns import (fresh database)", [process.execPath, cli, "vulns", "import", "--db", db, ...sources], fresh);
const match = timed(`cordon vulns match (${count} devices)`, [process.execPath, cli, "vulns", "match", "--db", db, devices]);
const result = spawnSync(process.execPath, [cli, "vulns", "match", "--db", db, devices], { encoding: "utf8", maxBuffer: 1 << 30 });
const matched = JSON.parse(result.stdout) as { cves: unknown[]; possible: unknown[] }[];
console.log(`  ${matched.filter((d) => d.cves.length).length} devices affected, ${matched.filter((d) => !d.cves.length && d.possible.length).length} more possibly affected`);
const total = imp.wallS + match.wallS;
const peak = Math.max(imp.rssMb, match.rssMb);
console.log(`  import + match: ${total.toFixed(2)} s (target < 10 s; ${(imp.wallS / floor.wallS).toFixed(1)}x the floor for the import), peak RSS ${peak.toFixed(0)} MB (target < 300 MB)`);
