import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { parse as parseCsv } from "csv-parse/sync";
import type { Advisory, KevEntry } from "../model/advisory.js";
import { advisoryPaths, readAdvisoryFile } from "../sources/advisories/read.js";
import { canonicalVendor } from "../inventory/vendor-names.js";
import { AdvisoryIndex, type CveMatch, type DeviceIdentity } from "../vulns/match.js";
import type { Store } from "../store/store.js";
import { InputError } from "./errors.js";

/**
 * Advisories in, vulnerable devices out: `cordon vulns import` keeps CSAF, CVE 5, NVD and KEV
 * files in the store; `cordon vulns match` matches a list of devices against what is kept.
 */

export interface ImportReport {
  files: number;
  /** Advisories read, by format. */
  read: { csaf: number; cve5: number; nvd: number };
  /** Advisories stored or replaced by a newer release. */
  stored: number;
  kevEntries: number;
  /** Product entries read, and how many have a version range Cordon cannot compare. */
  products: number;
  unparsedRanges: number;
  /** CSAF documents that fail the CSAF 2.0 schema: each is still imported. */
  schemaFailures: { file: string; errors: string[] }[];
  skipped: { file: string; note: string }[];
  failed: { file: string; note: string }[];
}

/** Reads every advisory file under the paths and keeps the advisories and the KEV catalogue. */
export async function importAdvisories(store: Store, paths: readonly string[], at: string): Promise<ImportReport> {
  let files: string[];
  try {
    files = advisoryPaths(paths);
  } catch (e) {
    throw new InputError((e as Error).message);
  }
  const report: ImportReport = { files: files.length, read: { csaf: 0, cve5: 0, nvd: 0 }, stored: 0, kevEntries: 0, products: 0, unparsedRanges: 0, schemaFailures: [], skipped: [], failed: [] };
  const batch: { advisory: Advisory; source: string; schemaErrors: number; at: string }[] = [];
  let kev: KevEntry[] | undefined;
  const flush = (): void => {
    report.stored += store.saveAdvisories(batch);
    batch.length = 0;
  };
  for (const file of files) {
    const r = await readAdvisoryFile(file);
    if (r.kind === "skipped") report.skipped.push({ file, note: r.note ?? "" });
    else if (r.kind === "failed") report.failed.push({ file, note: r.note ?? "" });
    if (r.schemaErrors.length) report.schemaFailures.push({ file, errors: r.schemaErrors });
    if (r.kind === "kev") kev = [...(kev ?? []), ...r.kev];
    for (const a of r.advisories) {
      report.read[a.format]++;
      for (const v of a.vulnerabilities) {
        report.products += v.products.length;
        report.unparsedRanges += v.products.filter((p) => p.range.kind === "unparsed").length;
      }
      batch.push({ advisory: a, source: file, schemaErrors: r.schemaErrors.length, at });
      if (batch.length >= 200) flush();
    }
  }
  flush();
  if (kev) {
    store.saveKev(kev, at);
    report.kevEntries = kev.length;
  }
  return report;
}

/** The kept advisories and KEV catalogue, indexed for matching. */
export function advisoryIndex(store: Store): AdvisoryIndex {
  return new AdvisoryIndex(store.advisories(), store.kevEntries());
}

/** One device of a `vulns match` input file. */
export interface ListedDevice {
  id: string;
  vendor: string;
  product: string;
  firmware?: string;
  models: string[];
}

export interface DeviceMatchReport {
  id: string;
  vendor: string;
  product: string;
  firmware: string | null;
  cves: CveMatch[];
  /** Possibly affected: the version is unknown or not comparable, or the product is named only in part. */
  possible: CveMatch[];
}

export function matchDevice(index: AdvisoryIndex, d: ListedDevice): DeviceMatchReport {
  const identity: DeviceIdentity = { vendor: d.vendor, product: d.product, firmware: d.firmware, models: d.models };
  const m = index.match(identity);
  return { id: d.id, vendor: canonicalVendor(d.vendor), product: d.product, firmware: d.firmware ?? null, cves: m.affected, possible: m.possible };
}

/**
 * One device's report as `vulns match` prints it: snake_case, each CVE with its KEV flag, CVSS,
 * advisory entries, reason and confidence (remediation text is left to `vulns device`, where one
 * device's CVEs are read; for a whole inventory it would be most of the output).
 */
export function matchReportJson(r: DeviceMatchReport): object {
  const cve = (c: CveMatch) => ({
    cve: c.cve, kev: c.kev, cvss: c.cvss, cvss_version: c.cvssVersion, exploitation: c.exploitation,
    advisories: c.advisories, reason: c.reason, confidence: c.confidence, services: c.services,
  });
  return { id: r.id, vendor: r.vendor, product: r.product, firmware: r.firmware, cves: r.cves.map(cve), possible: r.possible.map(cve) };
}

const MAX_LIST_FILE = 64 * 1024 * 1024;
const MAX_FIELD = 256;
const COLUMNS = ["id", "vendor", "product", "firmware"] as const;

function field(v: unknown, what: string, where: string): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "string" && typeof v !== "number") throw new InputError(`${where}: ${what} must be text`);
  const t = String(v).replace(/[\u0000-\u001f\u007f]+/g, " ").trim();
  if (t.length > MAX_FIELD) throw new InputError(`${where}: ${what} is longer than ${MAX_FIELD} characters`);
  return t.length ? t : undefined;
}

function listed(row: Record<string, unknown>, where: string): ListedDevice {
  const id = field(row.id, "id", where);
  if (!id) throw new InputError(`${where}: a device needs an id`);
  const vendor = field(row.vendor, "vendor", where) ?? "";
  const product = field(row.product, "product", where) ?? "";
  if (!vendor && !product) throw new InputError(`${where}: device ${id} needs a vendor or a product`);
  const firmware = field(row.firmware, "firmware", where);
  const models: string[] = [];
  const model = field(row.model, "model", where);
  if (model) models.push(model);
  if (Array.isArray(row.models)) for (const m of row.models.slice(0, 16)) { const t = field(m, "models", where); if (t) models.push(t); }
  return { id, vendor, product, firmware, models };
}

function readBounded(path: string): string {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (e) {
    throw new InputError(`${path}: ${(e as Error).message}`);
  }
  try {
    const size = fstatSync(fd).size;
    if (size > MAX_LIST_FILE) throw new InputError(`${path}: larger than ${MAX_LIST_FILE / 1024 / 1024} MiB`);
    const buf = Buffer.alloc(size);
    let off = 0;
    while (off < size) {
      const n = readSync(fd, buf, off, size - off, off);
      if (n === 0) break;
      off += n;
    }
    return buf.subarray(0, off).toString("utf8");
  } finally {
    closeSync(fd);
  }
}

/**
 * A device list: a JSON array of `{id, vendor, product, firmware}` (and optionally `model` or
 * `models`), or a CSV whose header names the columns id, vendor, product, firmware (model
 * optional, in any order). Every row is checked; the first bad one is the error, with its place.
 */
export function readDeviceList(path: string): ListedDevice[] {
  const text = readBounded(path).replace(/^\uFEFF/, "");
  if (/^\s*\[/.test(text)) {
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch (e) {
      throw new InputError(`${path}: not JSON: ${(e as Error).message.slice(0, 200)}`);
    }
    if (!Array.isArray(doc)) throw new InputError(`${path}: a JSON device list is an array`);
    return doc.map((d, i) => {
      if (typeof d !== "object" || d === null || Array.isArray(d)) throw new InputError(`${path}: item ${i + 1} is not an object`);
      return listed(d as Record<string, unknown>, `${path}: item ${i + 1}`);
    });
  }
  let rows: string[][];
  try {
    rows = parseCsv(text, { skip_empty_lines: true, relax_column_count: false, trim: true }) as string[][];
  } catch (e) {
    throw new InputError(`${path}: not CSV: ${(e as Error).message.slice(0, 200)}`);
  }
  const header = (rows[0] ?? []).map((h) => h.toLowerCase());
  const missing = COLUMNS.filter((c) => !header.includes(c));
  if (missing.length) throw new InputError(`${path}: the CSV header needs the columns ${COLUMNS.join(",")} (missing ${missing.join(", ")})`);
  return rows.slice(1).map((r, i) => listed(Object.fromEntries(header.map((h, j) => [h, r[j]])), `${path}: line ${i + 2}`));
}
