import type { Advisory, KevEntry } from "../model/advisory.js";
import { type AdvisoryFile, advisoryPaths, readAdvisoryDocument, readAdvisoryFile } from "../sources/advisories/read.js";
import { canonicalVendor } from "../inventory/vendor-names.js";
import { AdvisoryIndex, type CveMatch, type DeviceIdentity, type DeviceVulnerabilities } from "../vulns/match.js";
import { deviceIdentity, type DeviceIdentityView } from "../vulns/device-identity.js";
import { ExposureModel, riskOf, servicesAtRisk, type Initiator, type RiskParts, type ServiceExposure } from "../vulns/exposure.js";
import { addressesOf } from "../inventory/view.js";
import type { StoredDevice, StoredOverride, StoredVerdict } from "../store/store.js";
import { classificationOf } from "./classification.js";
import { policiesInForce, policyFileOf, proposePolicy } from "./policies.js";
import { siteWorkFlows, wellKnownControllers } from "./policy-learning.js";
import { learnDevices } from "./site-devices.js";
import { type Actor, recordChange } from "./actor.js";
import { NacStore } from "../store/nac.js";
import { responseId } from "../respond/playbook.js";
import type { QuarantineMethod } from "../model/response.js";
import { compensate, type CompensationTarget } from "../vulns/compensate.js";
import { resolvePolicy } from "../policy/resolve.js";
import type { StoredPolicy } from "../store/store.js";
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

/** Keeps what advisory files held, in batches, counting into `report`. */
async function keepAdvisories(store: Store, files: AsyncIterable<AdvisoryFile> | Iterable<AdvisoryFile>, at: string, report: ImportReport): Promise<void> {
  const batch: { advisory: Advisory; source: string; schemaErrors: number; at: string }[] = [];
  let kev: KevEntry[] | undefined;
  const flush = (): void => {
    report.stored += store.saveAdvisories(batch);
    batch.length = 0;
  };
  for await (const r of files) {
    const file = r.file;
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
}

const emptyReport = (files: number): ImportReport => ({ files, read: { csaf: 0, cve5: 0, nvd: 0 }, stored: 0, kevEntries: 0, products: 0, unparsedRanges: 0, schemaFailures: [], skipped: [], failed: [] });

/** Reads every advisory file under the paths and keeps the advisories and the KEV catalogue. */
export async function importAdvisories(store: Store, paths: readonly string[], at: string): Promise<ImportReport> {
  let files: string[];
  try {
    files = advisoryPaths(paths);
  } catch (e) {
    throw new InputError((e as Error).message);
  }
  const report = emptyReport(files.length);
  await keepAdvisories(store, (async function* () {
    for (const f of files) yield await readAdvisoryFile(f);
  })(), at, report);
  return report;
}

/** Larger than any advisory feed document; a larger answer is refused. */
const MAX_FEED = 64 * 1024 * 1024;

/**
 * One advisory feed (a CSAF document, CVE record, NVD page or the KEV catalogue) fetched over
 * HTTPS (plain HTTP only from a loopback mirror), within a time and size bound, and kept as a
 * file would be. A feed that cannot be reached or read is a failure with the reason, never a
 * crash: serve logs it and tries again at the next round.
 */
export async function importAdvisoryFeed(store: Store, url: string, at: string, timeoutMs = 30_000): Promise<ImportReport> {
  const report = emptyReport(1);
  const fail = (note: string): ImportReport => {
    report.failed.push({ file: url, note });
    return report;
  };
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return fail("not a URL");
  }
  const loopback = ["127.0.0.1", "[::1]", "localhost"].includes(u.hostname);
  if (u.protocol !== "https:" && !(u.protocol === "http:" && loopback)) return fail("feeds are fetched over https (http only from a loopback mirror)");
  let text: string;
  try {
    const r = await fetch(u, { signal: AbortSignal.timeout(timeoutMs), redirect: "error" });
    if (!r.ok) return fail(`HTTP ${r.status}`);
    const length = Number(r.headers.get("content-length") ?? 0);
    if (length > MAX_FEED) return fail(`larger than ${MAX_FEED / 1024 / 1024} MiB`);
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const c of r.body ?? []) {
      size += (c as Uint8Array).length;
      if (size > MAX_FEED) return fail(`larger than ${MAX_FEED / 1024 / 1024} MiB`);
      chunks.push(Buffer.from(c as Uint8Array));
    }
    text = Buffer.concat(chunks).toString("utf8");
  } catch (e) {
    const err = e as Error & { cause?: { code?: string; message?: string } };
    return fail(`cannot fetch: ${err.cause?.code ?? err.cause?.message ?? err.message}`.slice(0, 300));
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    return fail(`not JSON: ${(e as Error).message.slice(0, 200)}`);
  }
  await keepAdvisories(store, [await readAdvisoryDocument(url, doc)], at, report);
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
  /** The vendor as the list gives it; `maker` is the name Cordon gives it (the alias table's). */
  vendor: string;
  maker: string;
  product: string;
  firmware: string | null;
  cves: CveMatch[];
  /** Possibly affected: the version is unknown or not comparable, or the product is named only in part. */
  possible: CveMatch[];
}

export function matchDevice(index: AdvisoryIndex, d: ListedDevice): DeviceMatchReport {
  const identity: DeviceIdentity = { vendor: d.vendor, product: d.product, firmware: d.firmware, models: d.models };
  const m = index.match(identity);
  return { id: d.id, vendor: d.vendor, maker: canonicalVendor(d.vendor), product: d.product, firmware: d.firmware ?? null, cves: m.affected, possible: m.possible };
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
  return { id: r.id, vendor: r.vendor, maker: r.maker, product: r.product, firmware: r.firmware, cves: r.cves.map(cve), possible: r.possible.map(cve) };
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

/** A device of the inventory, what it is, the CVEs that affect it, how exposed they are, and its risk. */
export interface InventoryDeviceVulnerabilities {
  site: string;
  key: string;
  mac: string | null;
  ips: string[];
  category: string;
  criticality: string;
  identity: DeviceIdentityView;
  cves: CveMatch[];
  possible: CveMatch[];
  /** The exposure, under the policy in force, of each service the CVEs are read against. */
  exposures: ServiceExposure[];
  risk?: RiskParts;
}

/** What judging a site's devices needs once: the advisories, and the policy in force with the site's devices as initiators. */
interface SiteContext {
  index: AdvisoryIndex;
  exposure: ExposureModel;
}

function siteContexts(store: Store, index: AdvisoryIndex, site: string | undefined): Map<string, SiteContext> {
  const initiators = new Map<string, Initiator[]>();
  for (const d of store.eachDevice(site)) {
    const list = initiators.get(d.site) ?? [];
    list.push({ key: d.key, ips: addressesOf(d) });
    initiators.set(d.site, list);
  }
  const inForce = new Map(policiesInForce(store).map((p) => [p.stored.site, p.file.resolved]));
  return new Map([...initiators].map(([s, list]) => [s, { index, exposure: new ExposureModel(inForce.get(s), list) }]));
}

/** A stored device's firmware identity, from every source, and the advisories that match it. */
export function matchStoredDevice(index: AdvisoryIndex, d: StoredDevice, verdict: StoredVerdict | undefined): { identity: DeviceIdentityView; found: DeviceVulnerabilities } {
  const identity = deviceIdentity(d.facts, verdict);
  const found = identity.vendor || identity.product || identity.models.length
    ? index.match({ vendor: identity.vendor ?? "", product: identity.product ?? identity.models[0] ?? "", models: identity.models, firmware: identity.firmware })
    : { affected: [], possible: [] };
  return { identity, found };
}

function judgeDevice(ctx: SiteContext, d: StoredDevice, verdict: StoredVerdict | undefined, override: StoredOverride | undefined): InventoryDeviceVulnerabilities {
  const { identity, found } = matchStoredDevice(ctx.index, d, verdict);
  const c = classificationOf(d, verdict, override);
  const ips = addressesOf(d);
  const served = [...new Set(d.facts.filter((f) => f.kind === "service.served").map((f) => f.value))].sort();
  const services = [...new Set(found.affected.flatMap((m) => servicesAtRisk(m, served)))];
  const exposures = services.map((svc) => ctx.exposure.exposure(d.key, ips, svc));
  const risk = riskOf(found.affected, new Map(exposures.map((e) => [e.service, e])), c.criticality, served);
  return {
    site: d.site, key: d.key, mac: d.mac, ips, category: c.category, criticality: c.criticality, identity,
    cves: found.affected, possible: found.possible, exposures, ...(risk ? { risk } : {}),
  };
}

/** Every device of a site (or of all sites) matched against the imported advisories, with exposure and risk, a page of devices at a time. */
export function* inventoryVulnerabilities(store: Store, site?: string): Generator<InventoryDeviceVulnerabilities> {
  checkSite(store, site);
  const contexts = siteContexts(store, advisoryIndex(store), site);
  let page: StoredDevice[] = [];
  const flush = function* (): Generator<InventoryDeviceVulnerabilities> {
    const ids = page.map((d) => d.id);
    const verdicts = store.latestVerdicts(ids);
    const overrides = store.overrides(ids);
    for (const d of page) yield judgeDevice(contexts.get(d.site)!, d, verdicts.get(d.id), overrides.get(d.id));
    page = [];
  };
  for (const d of store.eachDevice(site)) {
    page.push(d);
    if (page.length >= 500) yield* flush();
  }
  yield* flush();
}

/** One device (by MAC or address; two sites may both have it) with its identity's evidence, its CVEs, exposure and risk. */
export function deviceVulnerabilities(store: Store, macOrIp: string): InventoryDeviceVulnerabilities[] {
  const found = store.findDevices(macOrIp);
  if (found.length === 0) return [];
  const index = advisoryIndex(store);
  const ids = found.map((d) => d.id);
  const verdicts = store.latestVerdicts(ids);
  const overrides = store.overrides(ids);
  return found.map((d) => judgeDevice(siteContexts(store, index, d.site).get(d.site)!, d, verdicts.get(d.id), overrides.get(d.id)));
}

export interface CompensationProposal {
  /** The proposed version, or undefined when no device needed one. */
  policy?: StoredPolicy;
  changes: string[];
  /** Devices left as they were, and why. */
  skipped: { device: string; why: string }[];
  /** Quarantines proposed for strict-tier devices with a known exploited vulnerability: they wait for another person's approval. */
  quarantines: { id: string; device: string; cves: string[] }[];
}

/** The criticality class whose known exploited vulnerabilities propose a quarantine (it is never carried out without a person). */
export const STRICT_TIER = "life-safety/physical-process";

/**
 * A quarantine proposed for a strict-tier device with a CVE in CISA's KEV catalogue: stored as
 * a response that waits for approval, by someone other than the person who ran this (four-eyes),
 * through serve's responder (`cordon respond approve`), which carries it out with `method`.
 * A proposal already made for the same CVEs is not made again.
 */
function proposeKevQuarantine(store: Store, by: Actor, v: InventoryDeviceVulnerabilities, method: QuarantineMethod, now: Date): { id: string; device: string; cves: string[] } | undefined {
  const kev = v.cves.filter((c) => c.kev).map((c) => c.cve);
  if (kev.length === 0 || v.criticality !== STRICT_TIER || !v.mac) return undefined;
  const nac = new NacStore(store.sql);
  const id = responseId(v.site, v.mac, `kev ${kev.join(" ")}`);
  if (nac.response(id)) return undefined;
  const at = now.toISOString();
  const reason = `known exploited ${kev.join(", ")} (CISA KEV) on a ${STRICT_TIER} device`;
  const waitsBecause = `the device is ${STRICT_TIER}: a quarantine for a known exploited vulnerability waits for a person other than ${by.name}`;
  nac.saveResponse({
    id, site: v.site, mac: v.mac, trigger: "manual", status: "proposed", createdAt: at, updatedAt: at,
    title: `Quarantine of ${v.mac}, ${v.category}, proposed by ${by.name}: ${reason}`, requestedBy: by.name, reason, severity: "high",
    criticality: v.criticality, category: v.category, plan: { quarantine: method, capture: true, notify: true, approval: true, waitsBecause },
    steps: [{ at, action: "propose", outcome: "waiting", detail: waitsBecause, by: by.name }],
  });
  recordChange(store, by, { action: "quarantine.propose", target: v.mac, site: v.site, detail: `response ${id}: ${reason}` });
  return { id, device: v.mac, cves: kev };
}

/**
 * `cordon vulns compensate`: one new proposed version of the site's policy (the one in force,
 * else the newest) in which each affected device's vulnerable services are reachable only from
 * the peers seen using them (flows of attacks and of quarantined devices left out). It goes
 * through approval and enforcement like any version; the change is audited by proposePolicy.
 */
export function proposeCompensation(store: Store, site: string, by: Actor, device?: string, quarantineMethod: QuarantineMethod = "coa", now = new Date()): CompensationProposal {
  checkSite(store, site);
  const base = policiesInForce(store).find((p) => p.stored.site === site)?.file
    ?? (() => {
      const newest = store.policies().find((p) => p.site === site);
      return newest ? policyFileOf(newest) : undefined;
    })();
  if (!base) throw new InputError(`site ${site} has no policy yet: 'cordon policy learn' makes one, and compensating controls are versions of it`);
  const only = device === undefined ? undefined : new Set(store.findDevices(device).filter((d) => d.site === site).map((d) => d.key));
  if (only && only.size === 0) throw new InputError(`no device ${device} at site ${site}`);
  const skipped: CompensationProposal["skipped"] = [];
  const targets: CompensationTarget[] = [];
  const quarantines: CompensationProposal["quarantines"] = [];
  for (const v of inventoryVulnerabilities(store, site)) {
    if (v.cves.length === 0 || (only && !only.has(v.key))) continue;
    const q = proposeKevQuarantine(store, by, v, quarantineMethod, now);
    if (q) quarantines.push(q);
    const services = [...new Set(v.exposures.map((e) => e.service))]
      .map((s) => /^(tcp|udp)\/(\d+)$/.exec(s))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => ({ proto: m[1] as "tcp" | "udp", port: Number(m[2]) }));
    if (services.length === 0) {
      skipped.push({ device: v.key, why: "no port of its vulnerable services is known (the advisory names none and the device was seen serving none)" });
      continue;
    }
    targets.push({ key: v.key, ips: v.ips, services, cves: v.cves.map((c) => c.cve) });
  }
  if (targets.length === 0) return { changes: [], skipped, quarantines };
  const { clean: flows } = siteWorkFlows(store, site);
  const { policy, changes } = compensate(base.policy, targets, flows);
  const devices = learnDevices(store, site, flows);
  const resolved = resolvePolicy(policy, devices, { controllers: wellKnownControllers(devices, flows) });
  const cves = [...new Set(targets.flatMap((t) => t.cves))].sort();
  const stored = proposePolicy(store, { policy, resolved }, by, `compensating controls for ${cves.join(", ")}`);
  return { policy: stored, changes, skipped, quarantines };
}

/**
 * A device's vulnerabilities as the CLI's JSON and the API show them: what it is, its risk with
 * its parts, the exposure of each vulnerable service, the CVEs and the possible ones; `full`
 * adds where each part of its identity came from and the vendors' remediations.
 */
export function vulnerabilityView(v: InventoryDeviceVulnerabilities, full: boolean): Record<string, unknown> {
  const id = v.identity;
  return {
    site: v.site, device: v.key, mac: v.mac, ips: v.ips,
    vendor: id.vendor ?? null, product: id.product ?? null, models: id.models, firmware: id.firmware ?? null, serial: id.serial ?? null,
    category: v.category, criticality: v.criticality,
    risk: v.risk ?? null, exposures: v.exposures,
    ...(full ? { identity_evidence: id.claims } : {}),
    cves: v.cves.map((c) => ({ ...c, remediations: full ? c.remediations : undefined })),
    possible: v.possible.map((c) => ({ ...c, remediations: full ? c.remediations : undefined })),
  };
}

/** The site's devices with CVEs (or possible ones), riskiest first: the list `vulns list` and the API show. */
export function vulnerableDevices(store: Store, site?: string, all = false): InventoryDeviceVulnerabilities[] {
  return [...inventoryVulnerabilities(store, site)].filter((v) => all || v.cves.length > 0 || v.possible.length > 0)
    .sort((a, b) => (b.risk?.score ?? -1) - (a.risk?.score ?? -1) || b.cves.length - a.cves.length);
}

/** A site's risk at a glance: how many devices are affected, how many by a known exploited CVE, the worst and the sum of device risks, the riskiest devices. */
export interface SiteRisk {
  site: string;
  devicesAffected: number;
  devicesPossiblyAffected: number;
  devicesWithKev: number;
  /** The riskiest device's score, and the sum over the site's devices (0–100 each). */
  maxRisk: number;
  totalRisk: number;
  top: { device: string; risk: number }[];
}

export function siteRisks(list: readonly InventoryDeviceVulnerabilities[]): SiteRisk[] {
  const bySite = new Map<string, InventoryDeviceVulnerabilities[]>();
  for (const v of list) bySite.set(v.site, [...(bySite.get(v.site) ?? []), v]);
  return [...bySite].sort(([a], [b]) => (a < b ? -1 : 1)).map(([site, devices]) => {
    const scored = devices.filter((v) => v.risk).sort((a, b) => b.risk!.score - a.risk!.score);
    return {
      site,
      devicesAffected: devices.filter((v) => v.cves.length > 0).length,
      devicesPossiblyAffected: devices.filter((v) => v.cves.length === 0 && v.possible.length > 0).length,
      devicesWithKev: devices.filter((v) => v.cves.some((c) => c.kev)).length,
      maxRisk: scored[0]?.risk!.score ?? 0,
      totalRisk: scored.reduce((n, v) => n + v.risk!.score, 0),
      top: scored.slice(0, 5).map((v) => ({ device: v.key, risk: v.risk!.score })),
    };
  });
}
