import { createHash } from "node:crypto";
import { CRITICALITY, CATEGORIES } from "../classify/taxonomy.js";
import { DeviceIndex } from "../baseline/device-index.js";
import { addressesOf, hostnames } from "../inventory/view.js";
import type { Alert } from "../model/alert.js";
import { textValue } from "../model/values.js";
import type { Store, StoredPolicy } from "../store/store.js";
import { type StoredAssumption, TrustStore } from "../store/trust.js";
import { FlowPairs } from "../store/flow-pairs.js";
import { TrustAnalysis, type BlastRadius, type ControlledNode } from "../trust/analyze.js";
import { type GraphDevice, buildTrustGraph, resolveRef } from "../trust/derive.js";
import { type TrustGraph, type TrustNode, deviceNode } from "../trust/model.js";
import { type ReachModel, flatReach, policyReach } from "../trust/reach.js";
import type { ReportModel } from "../trust/report.js";
import { type ZoneMembers, type ZoneSpec, ZoneError, parseZone, zoneSpec } from "../trust/zones.js";
import { type Actor, recordChange } from "./actor.js";
import { InputError, inputField } from "./errors.js";
import { policiesInForce, policyFileOf, storedPolicy } from "./policies.js";
import { checkSite } from "./queries.js";
import { learnDevices } from "./site-devices.js";
import { advisoryIndex, matchStoredDevice } from "./vulnerabilities.js";

/**
 * The trust graph's use cases (trust/ holds the model and the analyses): build a site's graph
 * from the store, blast radius, amplifiers, paths from a zone, the what-if of a proposed
 * policy, zones, and the trust assumptions people declare, with their review and alerts.
 */

/**
 * Alert classes whose flows are attempts, not control: a telnet brute force is no management
 * relation. An OT operation stays an edge even when it raised an alert (the actor did operate
 * the device: that is its reach), and so does a credential sent in clear (weak practice).
 */
const HOSTILE: ReadonlySet<string> = new Set(["scan", "brute-force", "exploit-attempt", "indicator"]);

/** Edges not seen for this long are stale (kept, shown, not used by the analyses). */
export const DEFAULT_STALE_DAYS = 30;
const DAY_MS = 86_400_000;
/** Reviews are at most this far ahead. */
const MAX_REVIEW_DAYS = 2 * 366;
/** A review within this many days is shown as due soon. */
const DUE_SOON_DAYS = 14;

export interface TrustOptions {
  staleDays?: number;
  now?: number;
  /** The flow pairs folded so far (a reader that builds the graph again and again keeps one): only newer flows are read. */
  pairs?: FlowPairs;
}

/** The site a trust question is about: the one named, or the only one there is. */
export function trustSite(store: Store, site: string | undefined): string {
  if (site !== undefined) {
    checkSite(store, site);
    return site;
  }
  const sites = store.sites();
  if (sites.length === 1) return sites[0];
  throw new InputError(sites.length === 0 ? "no site has data yet ('cordon analyze' or 'cordon serve' stores some)" : `name a site (--site): ${sites.join(", ")}`);
}

function policyLabel(p: StoredPolicy): string {
  return `policy ${p.name} v${p.version} (${p.status})`;
}

function zonesOf(store: Store, site: string): ZoneSpec[] {
  return new TrustStore(store.sql).zones(site).map((z) => zoneSpec(z.name, JSON.parse(z.members) as Required<ZoneMembers>));
}

/** When the facts of the given kinds were first and last seen (a firmware line's edge is as old as what named it). */
function seenOf(facts: readonly { kind: string; firstUs: number; lastUs: number }[], kinds: readonly string[]): { firstUs?: number; lastUs?: number } {
  const of = facts.filter((f) => kinds.includes(f.kind));
  return of.length === 0 ? {} : { firstUs: Math.min(...of.map((f) => f.firstUs)), lastUs: Math.max(...of.map((f) => f.lastUs)) };
}

/** A site's trust graph as the store holds it now. */
export function trustGraph(store: Store, siteName: string | undefined, o: TrustOptions = {}): TrustGraph {
  const site = trustSite(store, siteName);
  const now = o.now ?? Date.now();
  const pairs = store.foldFlowPairs(o.pairs ?? new FlowPairs(), site);
  const learn = new Map(learnDevices(store, site, pairs).map((d) => [d.key, d]));
  const index = advisoryIndex(store);
  const verdicts = store.latestVerdicts();
  const devices: GraphDevice[] = [];
  for (const d of store.devices(site)) {
    const l = learn.get(d.mac ?? d.key);
    if (!l) continue;
    const { identity, found } = matchStoredDevice(index, d, verdicts.get(d.id));
    const name = hostnames(d)[0];
    devices.push({
      ...l, label: name ? `${name} (${l.key})` : l.vendor ? `${l.vendor} ${l.category} (${l.key})` : l.key,
      facts: d.facts, identity: { vendor: identity.vendor, product: identity.product ?? identity.models[0], firmware: identity.firmware, ...seenOf(d.facts, identity.claims.map((c) => c.from)) },
      cves: found.affected,
    });
  }
  const inForce = policiesInForce(store).find((p) => p.stored.site === site);
  const trust = new TrustStore(store.sql);
  // An episode's flows may end a little after its last packet was judged: five minutes either side, as learning leaves them out.
  const hostile = store.alerts().filter((a) => a.site === site && a.source !== undefined && HOSTILE.has(a.class) && a.status !== "suppressed")
    .map((a) => ({ source: a.source!, ...(a.class !== "scan" && a.target ? { target: a.target } : {}), fromUs: a.firstUs - 300_000_000, toUs: a.lastUs + 300_000_000 }));
  return buildTrustGraph({
    site, nowUs: now * 1000, staleAfterS: (o.staleDays ?? DEFAULT_STALE_DAYS) * 86400, devices, pairs,
    sdkCves: (maker, product, version) => index.match({ vendor: maker, product, models: [], firmware: version }).affected,
    ...(inForce ? { policy: { resolved: inForce.file.resolved, label: policyLabel(inForce.stored) } } : {}),
    hostile, zones: zonesOf(store, site), assumptions: trust.assumptions(site), credentialKey: trust.credentialKey(),
  });
}

/** The reach model of the site's policy in force (or flat), or of a given policy version (a what-if). */
export function reachOf(store: Store, site: string, policyRef?: string): ReachModel {
  if (policyRef !== undefined) {
    const p = storedPolicy(store, policyRef);
    if (p.site !== site) throw new InputError(`policy ${policyRef} is for site ${p.site}, not ${site}`);
    return policyReach(policyFileOf(p).resolved, policyLabel(p));
  }
  const inForce = policiesInForce(store).find((p) => p.stored.site === site);
  return inForce ? policyReach(inForce.file.resolved, policyLabel(inForce.stored)) : flatReach();
}

export function trustAnalysis(store: Store, site: string | undefined, o: TrustOptions & { policy?: string } = {}): TrustAnalysis {
  const graph = trustGraph(store, site, o);
  return new TrustAnalysis(graph, reachOf(store, graph.site, o.policy));
}

/** A node as a person names it: a node id, a device's MAC, address or key, a zone or an external name. */
export function findNode(a: TrustAnalysis, ref: string): string {
  const nodes = a.graph.nodes;
  const devices = a.devices.map((n) => ({ key: n.id.slice("device:".length), ips: n.ips ?? [], category: n.category ?? "unknown", router: false, dnsAnswers: [],
    ...(/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/.test(n.id.slice("device:".length)) ? { mac: n.id.slice("device:".length) } : {}) }));
  const id = resolveRef(ref.trim(), new Map(devices.map((d) => [d.key, d])), new DeviceIndex(devices), nodes);
  if (!id) {
    const byLabel = [...nodes.values()].filter((n) => n.label === ref || n.label.startsWith(`${ref} (`));
    if (byLabel.length === 1) return byLabel[0].id;
    throw new InputError(`no node "${ref.slice(0, 80)}" in the trust graph of site ${a.graph.site} (a MAC, an address, a device key, a node id such as zone:internet, or a host name)`);
  }
  return id;
}

/** What a target argument selects: a criticality tier, a category, or one node. */
export function targetFilter(a: TrustAnalysis, to: string): { describe: string; test: (n: TrustNode) => boolean } {
  if ((CRITICALITY as readonly string[]).includes(to)) return { describe: `${to} devices`, test: (n) => n.criticality === to };
  if (to === "strict") return { describe: "life-safety/physical-process devices", test: (n) => n.criticality === "life-safety/physical-process" };
  if ((CATEGORIES as readonly string[]).includes(to)) return { describe: `${to} devices`, test: (n) => n.category === to };
  const id = findNode(a, to);
  return { describe: a.graph.nodes.get(id)!.label, test: (n) => n.id === id };
}

export interface PathsReport {
  site: string;
  from: string;
  to: string;
  reachFrom: string;
  entries: number;
  targets: number;
  paths: ControlledNode[];
}

export function trustPaths(a: TrustAnalysis, from: string, to: string, limit = 50): PathsReport {
  if (!a.graph.nodes.has(`zone:${from}`)) {
    const zones = [...a.graph.nodes.values()].filter((n) => n.kind === "zone").map((n) => n.label);
    throw new InputError(`no zone "${from.slice(0, 40)}" at site ${a.graph.site} (zones: ${zones.join(", ")}; 'cordon trust zone set' declares one)`);
  }
  const t = targetFilter(a, to);
  const r = a.paths(from, t.test);
  return { site: a.graph.site, from, to: t.describe, reachFrom: a.reach.label, entries: r.entries, targets: r.targets, paths: r.reached.slice(0, limit).map((x) => x.target) };
}

/**
 * The trust analyses under a proposed policy beside the policy in force (or the flat network):
 * paths from the internet to the strictest tier, and the blast radius of every management
 * plane. Lines for `policy diff`.
 */
export function trustWhatIf(store: Store, proposed: StoredPolicy, base?: StoredPolicy): string[] {
  const graph = trustGraph(store, proposed.site);
  const before = new TrustAnalysis(graph, base ? policyReach(policyFileOf(base).resolved, policyLabel(base)) : reachOf(store, proposed.site));
  const after = new TrustAnalysis(graph, policyReach(policyFileOf(proposed).resolved, policyLabel(proposed)));
  const strict = (n: TrustNode): boolean => n.criticality === "life-safety/physical-process";
  const lines: string[] = [`trust, ${before.reach.label} -> ${policyLabel(proposed)}:`];
  const pb = before.paths("internet", strict);
  const pa = after.paths("internet", strict);
  lines.push(`  paths from the internet to life-safety/physical-process devices: ${pb.targets} -> ${pa.targets} (entry points ${pb.entries} -> ${pa.entries})`);
  const planes = before.devices.filter((n) => n.plane);
  for (const n of planes) {
    const b = before.blast(n.id);
    const x = after.blast(n.id);
    if (b.devices === x.devices && b.controls.length === x.controls.length) continue;
    lines.push(`  blast radius of ${n.label} (${n.plane}): ${b.devices} -> ${x.devices} devices, controls ${b.controls.length} -> ${x.controls.length}`);
  }
  if (lines.length === 2 && pb.targets === pa.targets) lines.push("  no management plane's blast radius changes");
  return lines;
}

export function blastView(b: BlastRadius, full: boolean): Record<string, unknown> {
  return {
    node: b.node, label: b.label, reach_from: b.reachFrom, devices: b.devices, controls: b.controls.length, reaches: b.reaches, weight: b.weight,
    by_criticality: b.byCriticality,
    controlled: (full ? b.controls : b.controls.slice(0, 20)).map((c) => ({ id: c.id, label: c.label, category: c.category, criticality: c.criticality, path: c.path })),
  };
}

// Zones -------------------------------------------------------------------------------------

export function setZone(store: Store, by: Actor, site: string, name: string, members: ZoneMembers): { name: string; members: Required<ZoneMembers> } {
  checkSite(store, site);
  let z: { name: string; members: Required<ZoneMembers> };
  try {
    z = parseZone(name, members);
  } catch (e) {
    if (e instanceof ZoneError) throw new InputError(e.message);
    throw e;
  }
  new TrustStore(store.sql).setZone({ site, name: z.name, members: JSON.stringify(z.members), setBy: by.name, setAt: new Date().toISOString() });
  recordChange(store, by, { action: "trust.zone", target: `zone ${z.name}`, site, detail: zoneSpec(z.name, z.members).describe });
  return z;
}

export function listZones(store: Store, site?: string): { site: string; name: string; members: string; setBy: string; setAt: string }[] {
  if (site !== undefined) checkSite(store, site);
  return new TrustStore(store.sql).zones(site).map((z) => ({ ...z, members: zoneSpec(z.name, JSON.parse(z.members) as Required<ZoneMembers>).describe }));
}

// Trust assumptions ------------------------------------------------------------------------

/**
 * What the traffic must keep to for an assumption to hold: the subject talks only within
 * these UTC hours, or only inside a maintenance window declared for it (or its site).
 */
export interface Expectation {
  hours?: [number, number];
  maintenanceOnly?: boolean;
}

export interface AssumptionInput {
  /** The site; may be left out where there is only one. */
  site?: string;
  subject: string;
  object?: string;
  statement: string;
  owner: string;
  reason: string;
  evidence?: string;
  reviewBy: string;
  /** "HH-HH": the subject talks only within these UTC hours. */
  onlyHours?: string;
  /** The subject talks only inside a maintenance window (an escort). */
  onlyInMaintenance?: boolean;
}


function reviewDate(v: string, what: string, now: number): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(v);
  const d = m ? new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))) : undefined;
  if (!d || Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== v) throw new InputError(`${what}: "${v.slice(0, 20)}" is not a date (YYYY-MM-DD)`);
  if (d.getTime() <= now) throw new InputError(`${what}: ${v} is not in the future`);
  if (d.getTime() > now + MAX_REVIEW_DAYS * DAY_MS) throw new InputError(`${what}: ${v} is more than ${MAX_REVIEW_DAYS} days ahead: an assumption nobody revisits for longer is not managed`);
  return v;
}

function parseHours(v: string): [number, number] {
  const m = /^(\d{1,2})-(\d{1,2})$/.exec(v.trim());
  if (!m || Number(m[1]) > 23 || Number(m[2]) > 24 || m[1] === m[2]) throw new InputError(`only-hours: "${v.slice(0, 20)}" is not HH-HH (UTC hours, 0-24, start and end differ; 22-6 wraps midnight)`);
  return [Number(m[1]), Number(m[2])];
}

/** Declares an assumption; its subject (and object) must be nodes of the site's graph. Audited. */
export function addAssumption(store: Store, by: Actor, i: AssumptionInput, now = Date.now()): StoredAssumption {
  const site = trustSite(store, i.site);
  // A device is found in the store; only another kind of node (a zone, an endpoint outside, a
  // credential) needs the graph built, which serve's ingest worker would otherwise wait for.
  let analysis: TrustAnalysis | undefined;
  const resolve = (ref: string): string => {
    const key = ref.replace(/^device:/, "");
    const d = store.findDevices(key.replace(/^ip:/, "")).find((x) => x.site === site);
    if (d) return deviceNode(d.mac ?? d.key);
    analysis ??= new TrustAnalysis(trustGraph(store, site, { now }), flatReach());
    return findNode(analysis, ref);
  };
  const subject = resolve(inputField(() => textValue(i.subject, "subject", 200)));
  const object = i.object !== undefined ? resolve(inputField(() => textValue(i.object, "object", 200))) : undefined;
  const expect: Expectation = {
    ...(i.onlyHours !== undefined ? { hours: parseHours(i.onlyHours) } : {}),
    ...(i.onlyInMaintenance ? { maintenanceOnly: true } : {}),
  };
  if (expect.hours && expect.maintenanceOnly) throw new InputError("an assumption expects either hours or maintenance windows, not both");
  const row: Omit<StoredAssumption, "id" | "reviewedBy" | "reviewedAt" | "reviewNote"> = {
    site, subject, ...(object ? { object } : {}),
    statement: inputField(() => textValue(i.statement, "statement", 500)),
    owner: inputField(() => textValue(i.owner, "owner", 100)),
    reason: inputField(() => textValue(i.reason, "reason", 1000)),
    evidence: i.evidence === undefined ? "" : inputField(() => textValue(i.evidence, "evidence", 1000)),
    ...(expect.hours || expect.maintenanceOnly ? { expect: JSON.stringify(expect) } : {}),
    reviewBy: reviewDate(i.reviewBy, "review-by", now),
    addedBy: by.name, addedAt: new Date(now).toISOString(),
  };
  const id = new TrustStore(store.sql).addAssumption(row);
  recordChange(store, by, { action: "trust.assume", target: `assumption ${id}`, site, detail: `${subject}${object ? ` -> ${object}` : ""}: ${row.statement} (owner ${row.owner}, review by ${row.reviewBy})` });
  return { id, ...row };
}

export type AssumptionStatus = "ok" | "review-due-soon" | "review-overdue" | "contradicted";

export interface AssumptionEntry extends StoredAssumption {
  status: AssumptionStatus[];
  /** Traffic that breaks the expectation since the assumption was made or last reviewed. */
  contradictions: { flows: number; firstUs?: number; example?: string };
}

function expectationOf(a: StoredAssumption): Expectation {
  return a.expect ? (JSON.parse(a.expect) as Expectation) : {};
}

function inHours(us: number, [from, to]: [number, number]): boolean {
  const h = new Date(us / 1000).getUTCHours();
  return from < to ? h >= from && h < to : h >= from || h < to;
}

/** Flows of the subject that break its assumption's expectation, since it was made or last reviewed. */
function contradictions(store: Store, a: StoredAssumption, subject: TrustNode | undefined): AssumptionEntry["contradictions"] {
  const e = expectationOf(a);
  if (!subject || (!e.hours && !e.maintenanceOnly)) return { flows: 0 };
  const key = subject.id.startsWith("device:") ? subject.id.slice("device:".length) : undefined;
  const hosts = [...(subject.ips ?? []), ...(key && /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/.test(key) ? [key] : [])];
  if (hosts.length === 0) return { flows: 0 };
  const since = Date.parse(a.reviewedAt ?? a.addedAt) * 1000;
  const names = new Set([...hosts, ...(key ? [key] : [])]);
  const windows = e.maintenanceOnly ? store.maintenanceWindows().filter((w) => w.site === a.site && (w.target === undefined || names.has(w.target)))
    .map((w) => [Date.parse(w.startsAt) * 1000, Date.parse(w.endsAt) * 1000]) : [];
  let flows = 0;
  let first: { us: number; text: string } | undefined;
  const own = new Set(hosts);
  for (const chunk of store.flowChunksTouching(hosts, { site: a.site, fromUs: since })) {
    for (const f of chunk.flows) {
      if (f.firstUs < since) continue;
      if (!own.has(f.srcIp) && !own.has(f.dstIp) && !own.has(f.srcMac ?? "") && !own.has(f.dstMac ?? "")) continue;
      const ok = e.hours ? inHours(f.firstUs, e.hours) : windows.some(([s, t]) => f.firstUs >= s && f.firstUs <= t);
      if (ok) continue;
      flows++;
      if (!first || f.firstUs < first.us) first = { us: f.firstUs, text: `${f.srcIp}:${f.srcPort} -> ${f.dstIp}:${f.dstPort} proto ${f.proto} at ${new Date(f.firstUs / 1000).toISOString()}` };
    }
  }
  return { flows, ...(first ? { firstUs: first.us, example: first.text } : {}) };
}

/** A device subject's node as far as its flows need it (its addresses), read from the store without building the graph. */
function deviceSubject(store: Store, site: string, id: string): TrustNode | undefined {
  const key = id.slice("device:".length);
  const d = store.findDevices(key.startsWith("ip:") ? key.slice(3) : key).find((x) => x.site === site && (x.mac ?? x.key) === key);
  return d ? { id, kind: "device", label: key, site, ips: addressesOf(d) } : undefined;
}

/** The assumptions of a site (or all), each with its review status and whether the traffic contradicts it. */
export function assumptionRegister(store: Store, site?: string, now = Date.now()): AssumptionEntry[] {
  if (site !== undefined) checkSite(store, site);
  const list = new TrustStore(store.sql).assumptions(site);
  const graphs = new Map<string, TrustGraph>();
  return list.map((a) => {
    const status: AssumptionStatus[] = [];
    const review = Date.parse(`${a.reviewBy}T00:00:00Z`);
    if (review <= now) status.push("review-overdue");
    else if (review - now <= DUE_SOON_DAYS * DAY_MS) status.push("review-due-soon");
    let subject: TrustNode | undefined;
    if (a.expect) subject = a.subject.startsWith("device:") ? deviceSubject(store, a.site, a.subject) : undefined;
    if (a.expect && !subject) {
      // A zone or an external endpoint: its addresses are the graph's.
      let g = graphs.get(a.site);
      if (!g) {
        g = trustGraph(store, a.site, { now });
        graphs.set(a.site, g);
      }
      subject = g.nodes.get(a.subject);
    }
    const c = contradictions(store, a, subject);
    if (c.flows > 0) status.push("contradicted");
    return { ...a, status: status.length ? status : ["ok"], contradictions: c };
  });
}

/** Records that a person revisited an assumption: what they found, and the next review date. Audited. */
export function reviewAssumption(store: Store, by: Actor, id: number, o: { note: string; nextReview: string }, now = Date.now()): StoredAssumption {
  const trust = new TrustStore(store.sql);
  const a = trust.assumptions().find((x) => x.id === id);
  if (!a) throw new InputError(`no trust assumption ${id} ('cordon trust assume list' shows them)`);
  const note = inputField(() => textValue(o.note, "note", 1000));
  const nextReview = reviewDate(o.nextReview, "next-review", now);
  const at = new Date(now).toISOString();
  trust.reviewAssumption(id, { by: by.name, at, note, nextReview });
  recordChange(store, by, { action: "trust.review", target: `assumption ${id}`, site: a.site, detail: `next review by ${nextReview}: ${note}` });
  return { ...a, reviewBy: nextReview, reviewedBy: by.name, reviewedAt: at, reviewNote: note };
}

/**
 * Alerts for the assumptions: one for each past its review date, one for each the traffic
 * contradicts (the vendor box talking at 3 a.m. without an escort window). Ids are stable per
 * assumption and review period, so a check run again grows the same alert. Returns what it stored.
 */
export function raiseTrustAlerts(store: Store, site?: string, now = Date.now()): Alert[] {
  const out: Alert[] = [];
  const nowUs = now * 1000;
  for (const a of assumptionRegister(store, site, now)) {
    const key = a.subject.startsWith("device:") ? a.subject.slice("device:".length) : undefined;
    const alert = (kind: string, title: string, severity: Alert["severity"], firstUs: number, count: number, observations: string[]): Alert => ({
      id: createHash("sha256").update(`trust\n${a.id}\n${kind}\n${a.reviewedAt ?? a.addedAt}`).digest("hex").slice(0, 16),
      detector: "trust-assumption", class: "trust-assumption", severity, technique: "", site: a.site,
      ...(key ? { source: key, ...(/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/.test(key) ? { sourceMac: key } : {}) } : {}),
      title, firstUs, lastUs: nowUs, count, status: "open",
      evidence: { packets: [], flows: [], observations: [`trust assumption ${a.id}: ${a.statement} (owner ${a.owner}, review by ${a.reviewBy})`, ...observations] },
    });
    if (a.status.includes("review-overdue")) {
      out.push(alert(`review ${a.reviewBy}`, `Trust assumption ${a.id} is past its review date ${a.reviewBy}: "${a.statement}" (owner ${a.owner})`, "medium", nowUs, 1, []));
    }
    if (a.status.includes("contradicted")) {
      const e = expectationOf(a);
      const rule = e.hours ? `only between ${e.hours[0]}:00 and ${e.hours[1]}:00 UTC` : "only inside a maintenance window";
      out.push(alert("contradicted", `The traffic contradicts trust assumption ${a.id} ("${a.statement}"): ${a.contradictions.flows} flows outside "${rule}"`, "high",
        a.contradictions.firstUs ?? nowUs, a.contradictions.flows, a.contradictions.example ? [`first: ${a.contradictions.example}`] : []));
    }
  }
  if (out.length) store.saveAlerts(out);
  return out;
}

// The per-site report -----------------------------------------------------------------------

/** A site's trust report (trust/report.ts renders it). */
export type TrustReport = ReportModel;

/** What a site's report holds: the graph's size, its management planes, top amplifiers, paths from each zone to the strictest tier, inherited exposure, shared credentials and the assumptions. */
export function trustReport(store: Store, site: string | undefined, o: TrustOptions & { top?: number } = {}): TrustReport {
  const a = trustAnalysis(store, site, o);
  const g = a.graph;
  const count = <T>(list: Iterable<T>, key: (x: T) => string): Record<string, number> => {
    const out: Record<string, number> = {};
    for (const x of list) out[key(x)] = (out[key(x)] ?? 0) + 1;
    return out;
  };
  const planes = a.devices.filter((n) => n.plane).map((n) => {
    const b = a.blast(n.id);
    return { label: n.label, plane: n.plane!, why: n.planeWhy ?? "", devices: b.devices, controls: b.controls.length, weight: b.weight };
  }).sort((x, y) => y.weight - x.weight || y.devices - x.devices);
  const zones = [...g.nodes.values()].filter((n) => n.kind === "zone").map((n) => n.label);
  const strict = "life-safety/physical-process";
  const inherited = [...g.nodes.values()].filter((n) => (n.kind === "sdk" || n.kind === "firmware") && n.cves?.length).map((n) => ({
    label: n.label, kind: n.kind, cves: n.cves!.map((c) => ({ cve: c.cve, kev: c.kev })), devices: a.index.to(n.id).filter((e) => e.kind === "runs").length,
  })).sort((x, y) => Number(y.cves.some((c) => c.kev)) - Number(x.cves.some((c) => c.kev)) || y.devices - x.devices);
  const credentials = [...g.nodes.values()].filter((n) => n.kind === "credential").map((n) => {
    const holders = a.index.to(n.id).filter((e) => e.kind === "holds-credential");
    return { label: n.label, holders: holders.filter((e) => e.detail === "uses").length, acceptors: holders.filter((e) => e.detail === "accepts").length };
  }).sort((x, y) => y.holders + y.acceptors - x.holders - x.acceptors);
  return {
    site: g.site, built: new Date(g.builtUs / 1000).toISOString(), reachFrom: a.reach.label,
    nodes: count(g.nodes.values(), (n) => n.kind), edges: count(g.edges, (e) => e.kind), stale: g.edges.filter((e) => e.stale).length,
    planes, amplifiers: a.amplifiers(o.top ?? 10), paths: zones.map((z) => trustPaths(a, z, strict, 20)), inherited, credentials,
    assumptions: assumptionRegister(store, g.site, o.now),
  };
}
