import type { Advisory, KevEntry } from "../model/advisory.js";
import { advisoryPaths, readAdvisoryFile } from "../sources/advisories/read.js";
import { canonicalVendor } from "../inventory/vendor-names.js";
import { AdvisoryIndex, type CveMatch, type DeviceIdentity } from "../vulns/match.js";
import { deviceIdentity, type DeviceIdentityView } from "../vulns/device-identity.js";
import type { StoredDevice } from "../inventory/inventory.js";
import { checkSite } from "./queries.js";
import type { Store } from "../store/store.js";
import { InputError } from "./errors.js";
import { readTableFile, textField, type TableRow } from "./table-file.js";

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

const COLUMNS = ["id", "vendor", "product", "firmware"] as const;

function listed(row: TableRow): ListedDevice {
  const { where, fields } = row;
  const id = textField(fields.id, "id", where);
  if (!id) throw new InputError(`${where}: a device needs an id`);
  const vendor = textField(fields.vendor, "vendor", where) ?? "";
  const product = textField(fields.product, "product", where) ?? "";
  if (!vendor && !product) throw new InputError(`${where}: device ${id} needs a vendor or a product`);
  const firmware = textField(fields.firmware, "firmware", where);
  const models: string[] = [];
  const model = textField(fields.model, "model", where);
  if (model) models.push(model);
  if (Array.isArray(fields.models)) {
    for (const m of fields.models.slice(0, 16)) {
      const t = textField(m, "models", where);
      if (t) models.push(t);
    }
  }
  return { id, vendor, product, firmware, models };
}

/**
 * A device list: a JSON array of `{id, vendor, product, firmware}` (and optionally `model` or
 * `models`), or a CSV whose header names the columns id, vendor, product, firmware (model
 * optional, in any order). Every row is checked; the first bad one is the error, with its place.
 */
export function readDeviceList(path: string): ListedDevice[] {
  return readTableFile(path, COLUMNS).map(listed);
}

/** A device of the inventory, what it is, and the CVEs that affect it. */
export interface InventoryDeviceVulnerabilities {
  site: string;
  key: string;
  mac: string | null;
  ips: string[];
  identity: DeviceIdentityView;
  cves: CveMatch[];
  possible: CveMatch[];
}

function judgeDevice(index: AdvisoryIndex, d: StoredDevice, verdict: { vendor?: string; model?: string; firmware?: string } | undefined): InventoryDeviceVulnerabilities {
  const identity = deviceIdentity(d.facts, verdict);
  const found = identity.vendor || identity.product || identity.models.length
    ? index.match({ vendor: identity.vendor ?? "", product: identity.product ?? identity.models[0] ?? "", models: identity.models, firmware: identity.firmware })
    : { affected: [], possible: [] };
  return { site: d.site, key: d.key, mac: d.mac, ips: d.addresses.map((a) => a.ip), identity, cves: found.affected, possible: found.possible };
}

/** Every device of a site (or of all sites) matched against the imported advisories, a page of devices at a time. */
export function* inventoryVulnerabilities(store: Store, site?: string): Generator<InventoryDeviceVulnerabilities> {
  checkSite(store, site);
  const index = advisoryIndex(store);
  let page: StoredDevice[] = [];
  const flush = function* (): Generator<InventoryDeviceVulnerabilities> {
    const verdicts = store.latestVerdicts(page.map((d) => d.id));
    for (const d of page) yield judgeDevice(index, d, verdicts.get(d.id));
    page = [];
  };
  for (const d of store.eachDevice(site)) {
    page.push(d);
    if (page.length >= 500) yield* flush();
  }
  yield* flush();
}

/** One device (by MAC or address; two sites may both have it) with its identity's evidence and its CVEs. */
export function deviceVulnerabilities(store: Store, macOrIp: string): InventoryDeviceVulnerabilities[] {
  const found = store.findDevices(macOrIp);
  if (found.length === 0) return [];
  const index = advisoryIndex(store);
  const verdicts = store.latestVerdicts(found.map((d) => d.id));
  return found.map((d) => judgeDevice(index, d, verdicts.get(d.id)));
}
