import type { StoredDevice } from "../inventory/inventory.js";
import { ALERT_CLASSES, type Alert, type Severity, SEVERITIES } from "../model/alert.js";
import { CATEGORIES } from "../classify/taxonomy.js";
import type { PolicyStatus } from "../model/policy-status.js";
import type { AlertSummary, DeviceRowRecord, Store, StoredAlert, StoredFlow, StoredPolicy, StoredVerdict, VerdictSummary } from "../store/store.js";
import { AuditLog, type StoredAuditEntry } from "../store/audit.js";
import { NacStore, type StoredDecision, type StoredMove, type StoredQuarantine, type StoredSession } from "../store/nac.js";
import type { AlertPageQuery, StoredMaintenanceWindow, Suppression } from "../store/records.js";
import { mudUsers } from "./mud.js";
import { FOLD_IN_REQUEST } from "./device-context.js";
import type { RecentFlows } from "../store/recent-flows.js";
import { type Classification, classificationOf, viewOf } from "./classification.js";
import { addressesOf, deviceDetail, hostnames, isoTime } from "../inventory/view.js";
import { type IdentityView, identityIndex } from "./identity-strength.js";
import { InputError } from "./errors.js";
import { canonicalMac } from "../model/mac.js";
import { canonicalIp } from "../model/values.js";

/**
 * Reading what the store holds, a page at a time, for every face: the CLI pages through to the
 * end, an HTTP API hands a page and its cursor. A cursor is opaque to callers (base64url of
 * where the page ended) and checked when it comes back: a forged one is an InputError.
 */
export interface Page<T> {
  items: T[];
  /** The cursor of the next page; absent on the last. A full page always has one (what follows may be an empty page). */
  next?: string;
}

/** The most items a page holds, whatever is asked. */
export const MAX_PAGE = 10_000;

function limitOf(limit: number | undefined, dflt: number): number {
  if (limit === undefined) return dflt;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE) throw new InputError(`limit must be a whole number from 1 to ${MAX_PAGE}`);
  return limit;
}

const encode = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString("base64url");

function decode<T>(cursor: string, check: (v: unknown) => v is T): T {
  let v: unknown;
  try {
    if (!/^[A-Za-z0-9_-]{1,2048}$/.test(cursor)) throw new Error("not base64url");
    v = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    throw new InputError("not a cursor this list handed out");
  }
  if (!check(v)) throw new InputError("not a cursor this list handed out");
  return v;
}

const isStringPair = (v: unknown): v is [string, string] => Array.isArray(v) && v.length === 2 && v.every((x) => typeof x === "string");
const isPosition = (v: unknown): v is [number, string] => Array.isArray(v) && v.length === 2 && Number.isSafeInteger(v[0]) && typeof v[1] === "string";
const isId = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) > 0;

/**
 * A site a query names must be one the store has: a typo is an error naming the sites there
 * are, not an empty answer.
 */
export function checkSite(store: Store, site: string | undefined): void {
  if (site === undefined) return;
  const sites = store.sites();
  if (!sites.includes(site)) throw new InputError(`site: no site "${site.slice(0, 64)}" in the database (${sites.length ? `sites: ${sites.join(", ")}` : "it holds none yet"})`);
}

/** A value that must be one of a list: else an InputError naming what it takes. */
export function checkOneOf(what: string, v: string | undefined, allowed: readonly string[]): void {
  if (v !== undefined && !allowed.includes(v)) throw new InputError(`${what}: "${v.slice(0, 64)}" is not one of ${allowed.join(", ")}`);
}

export interface DeviceQuery {
  site?: string;
  /** The effective category (a person's override, else the verdict). */
  category?: string;
  limit?: number;
  after?: string;
}

export interface ClassifiedDevice<D extends DeviceRowRecord = StoredDevice> {
  device: D;
  classification: Classification;
  /** How strongly its identity is established (app/identity-strength.ts). */
  identity: IdentityView;
}

/** Devices with their effective classification, by site and key. */
export function listDevices(store: Store, q: DeviceQuery = {}): Page<ClassifiedDevice> {
  return devicePage(store, q, (site, from, limit) => store.eachDevice(site, from, limit), (ids) => store.latestVerdicts(ids));
}

/**
 * The same page as `listDevices`, as a table of thousands shows it: devices without their
 * counters and the facts' evidence, verdicts without theirs (about two thirds of the reading).
 */
export function listDeviceRows(store: Store, q: DeviceQuery = {}): Page<ClassifiedDevice<DeviceRowRecord>> {
  return devicePage(store, q, (site, from, limit) => store.eachDeviceRow(site, from, limit), (ids) => store.latestVerdictSummaries(ids));
}

function devicePage<D extends DeviceRowRecord>(store: Store, q: DeviceQuery, read: (site: string | undefined, from: { site: string; key: string } | undefined, limit: number | undefined) => Iterable<D>,
  verdictsOf: (ids: number[]) => Map<number, VerdictSummary>): Page<ClassifiedDevice<D>> {
  const limit = limitOf(q.limit, 1000);
  const from = q.after === undefined ? undefined : decode(q.after, isStringPair);
  checkOneOf("category", q.category, CATEGORIES);
  if (from === undefined) checkSite(store, q.site);
  const items: ClassifiedDevice<D>[] = [];
  const identities = identityIndex(store);
  // Verdicts and overrides are read for a batch of devices at a time, not for the whole store per page.
  let batch: D[] = [];
  const take = (): void => {
    const ids = batch.map((d) => d.id);
    const verdicts = verdictsOf(ids);
    const overrides = store.overrides(ids);
    for (const device of batch) {
      const classification = classificationOf(device, verdicts.get(device.id), overrides.get(device.id));
      if (q.category === undefined || classification.category === q.category) items.push({ device, classification, identity: identities.of(device.site, device.mac, device.facts) });
    }
    batch = [];
  };
  // A full page ends with a cursor without reading on to see whether more follow (the next page may be empty).
  // Without a category filter a page is `limit` devices: the store reads no more than that.
  for (const device of read(q.site, from ? { site: from[0], key: from[1] } : undefined, q.category === undefined ? limit : undefined)) {
    batch.push(device);
    if (batch.length < Math.min(limit - items.length, 1000)) continue;
    take();
    if (items.length === limit) return { items, next: encode([device.site, device.key]) };
  }
  if (batch.length > 0) take();
  return { items };
}

export interface FlowQuery {
  site?: string;
  limit?: number;
  after?: string;
}

/** Flows in the order stored (by id). */
export function listFlows(store: Store, q: FlowQuery = {}): Page<StoredFlow> {
  const limit = limitOf(q.limit, 1000);
  const afterId = q.after === undefined ? 0 : decode(q.after, isId);
  if (q.after === undefined) checkSite(store, q.site);
  const items: StoredFlow[] = [];
  for (const f of store.eachFlow(q.site, afterId + 1)) {
    items.push(f);
    if (items.length === limit) return { items, next: encode(f.id) };
  }
  return { items };
}

/** Statuses a person still has to look at. */
const ACTIVE = new Set<Alert["status"]>(["open", "acknowledged"]);

export interface AlertQuery {
  site?: string;
  /** One status, or "active" (open and acknowledged, the default), or "all". */
  status?: Alert["status"] | "active" | "all";
  class?: string;
  /** At least this severity. */
  minSeverity?: Severity;
  /** A device's: its MAC, or an address as the alert's source or target. */
  device?: string;
  limit?: number;
  after?: string;
}

/** Alerts, oldest first. */
export function listAlerts(store: Store, q: AlertQuery = {}): Page<StoredAlert> {
  return alertsPage(store, q, (p) => store.alertPage(p));
}

/** The same page of alerts without their evidence: the queue's rows (`alertView` of one alert has it). */
export function listAlertSummaries(store: Store, q: AlertQuery = {}): Page<AlertSummary> {
  return alertsPage(store, q, (p) => store.alertSummaries(p));
}

function alertsPage<T extends AlertSummary>(store: Store, q: AlertQuery, read: (p: AlertPageQuery) => T[]): Page<T> {
  const limit = limitOf(q.limit, 1000);
  const from = q.after === undefined ? undefined : decode(q.after, isPosition);
  const status = q.status ?? "active";
  checkOneOf("class", q.class, ALERT_CLASSES);
  if (from === undefined) checkSite(store, q.site);
  const statuses = status === "all" ? undefined : status === "active" ? [...ACTIVE] : [status];
  const items = read({
    site: q.site, statuses, class: q.class, severities: q.minSeverity === undefined ? undefined : SEVERITIES.slice(SEVERITIES.indexOf(q.minSeverity)),
    device: q.device, after: from, limit,
  });
  const last = items[items.length - 1];
  return items.length === limit ? { items, next: encode([last.firstUs, last.id]) } : { items };
}

export interface PolicyQuery {
  site?: string;
  name?: string;
  status?: PolicyStatus;
}

/** Policy versions, newest first. */
export function listPolicies(store: Store, q: PolicyQuery = {}): StoredPolicy[] {
  checkSite(store, q.site);
  return store.policies().filter((p) => (q.site === undefined || p.site === q.site) && (q.name === undefined || p.name === q.name) && (q.status === undefined || p.status === q.status));
}

/** A device with its effective classification and every verdict it had, oldest first. */
export interface DeviceDetail extends ClassifiedDevice {
  history: StoredVerdict[];
}

/** The devices whose MAC or one of whose addresses is `macOrIp` (two sites may both have it). */
export function findDevices(store: Store, macOrIp: string): DeviceDetail[] {
  const found = store.findDevices(macOrIp);
  const ids = found.map((d) => d.id);
  const verdicts = store.latestVerdicts(ids);
  const overrides = store.overrides(ids);
  const identities = identityIndex(store);
  return found.map((device) => ({
    device, classification: classificationOf(device, verdicts.get(device.id), overrides.get(device.id)), history: store.verdictHistory(device.id),
    identity: identities.of(device.site, device.mac, device.facts),
  }));
}

export interface AuditQuery {
  limit?: number;
  after?: string;
}

/** The audit log, newest first. */
export function listAudit(store: Store, q: AuditQuery = {}): Page<StoredAuditEntry> {
  const limit = limitOf(q.limit, 100);
  const before = q.after === undefined ? undefined : decode(q.after, isId);
  const items = new AuditLog(store.sql).list({ limit, beforeId: before });
  return items.length === limit ? { items, next: encode(items[limit - 1].id) } : { items };
}

/** Suppressions, oldest first (a site has a handful: no paging). */
export const listSuppressions = (store: Store): Suppression[] => store.suppressions();

/** Declared maintenance windows by start, of one site or of all. */
export const listMaintenanceWindows = (store: Store, site?: string): StoredMaintenanceWindow[] =>
  store.maintenanceWindows().filter((w) => site === undefined || w.site === site);

/** The imported MUD profiles with the site's devices that use each, and URLs devices announced that no imported profile has. */
export function mudProfilesInUse(store: Store, site: string): { profiles: { url: string; source: string; importedAt: string; devices: string[] }[]; unmatched: { url: string; devices: string[] }[] } {
  const users = mudUsers(store, site);
  const profiles = store.mudProfiles().map((m) => ({ url: m.url, source: m.source, importedAt: m.importedAt, devices: users.get(m.url) ?? [] }));
  const imported = new Set(profiles.map((p) => p.url));
  return { profiles, unmatched: [...users].filter(([url]) => !imported.has(url)).map(([url, devices]) => ({ url, devices })) };
}

/** RADIUS decisions, newest first: of one device, or one site, or all. */
export function listNacDecisions(store: Store, q: { site?: string; mac?: string; limit?: number } = {}): StoredDecision[] {
  return new NacStore(store.sql).decisions({ site: q.site, mac: q.mac, limit: limitOf(q.limit, 100) });
}

/** Each MAC's last known session at its NAS. */
export const listNacSessions = (store: Store): StoredSession[] => new NacStore(store.sql).sessions();

/** Quarantines, oldest first, with their releases. */
export const listQuarantines = (store: Store): StoredQuarantine[] => new NacStore(store.sql).quarantines(true);

/** Group moves, newest first: all, or those waiting for a person. */
export function listMoves(store: Store, q: { pending?: boolean; limit?: number } = {}): StoredMove[] {
  return new NacStore(store.sql).moves({ status: q.pending ? "pending" : undefined, limit: limitOf(q.limit, 100) });
}

/** Which flows to list; every field is a canonical value (see `flowFilter`), all must hold. */
export interface FlowFilter {
  site?: string;
  /** A MAC or an IP address, canonical: either end of the flow. */
  device?: string;
  /** An IP protocol number, or an application protocol name (lower case). */
  protocol?: number | string;
  /** Either end's port. */
  port?: number;
  /** Flows seen at or after (last seen) and at or before (first seen) these times, in µs. */
  fromUs?: number;
  untilUs?: number;
}

const IP_PROTOCOLS: Record<string, number> = { icmp: 1, igmp: 2, tcp: 6, udp: 17, gre: 47, esp: 50, icmpv6: 58, sctp: 132 };

/** The flow filter from text as a person or a request gives it; a bad value is an InputError naming what it takes. */
export function flowFilter(t: { site?: string; device?: string; protocol?: string; port?: string; from?: string; until?: string }, now = Date.now()): FlowFilter {
  const f: FlowFilter = { site: t.site };
  if (t.device !== undefined) {
    f.device = canonicalMac(t.device) ?? canonicalIp(t.device);
    if (f.device === undefined) throw new InputError(`device: "${t.device.slice(0, 64)}" is neither a MAC nor an IP address`);
  }
  if (t.protocol !== undefined) {
    const p = t.protocol.toLowerCase();
    if (IP_PROTOCOLS[p] !== undefined) f.protocol = IP_PROTOCOLS[p];
    else if (/^\d{1,3}$/.test(p) && Number(p) <= 255) f.protocol = Number(p);
    else if (/^[a-z0-9][a-z0-9._-]{0,31}$/.test(p)) f.protocol = p;
    else throw new InputError(`protocol: "${t.protocol.slice(0, 64)}" is not a protocol (${Object.keys(IP_PROTOCOLS).join(", ")}, a number, or an application protocol such as dns, modbus)`);
  }
  if (t.port !== undefined) {
    if (!/^\d{1,5}$/.test(t.port) || Number(t.port) > 65535) throw new InputError(`port: "${t.port.slice(0, 64)}" is not a port (0 to 65535)`);
    f.port = Number(t.port);
  }
  const time = (v: string, name: string): number => {
    const ago = /^(\d{1,6})([dhm])$/.exec(v);
    if (ago) return (now - Number(ago[1]) * { d: 86_400_000, h: 3_600_000, m: 60_000 }[ago[2] as "d" | "h" | "m"]) * 1000;
    const ms = /^\d{4}-\d\d-\d\d(T\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d))?$/.test(v) ? Date.parse(v) : Number.NaN;
    if (Number.isNaN(ms)) throw new InputError(`${name}: "${v.slice(0, 64)}" is neither a time (2026-01-05T08:00:00Z, 2026-01-05) nor a duration ago (30m, 12h, 7d)`);
    return ms * 1000;
  };
  if (t.from !== undefined) f.fromUs = time(t.from, "from");
  if (t.until !== undefined) f.untilUs = time(t.until, "until");
  return f;
}

/**
 * The hosts a device filter stands for: the MAC or address given, and every MAC and address of
 * the stored devices it names (so a device known by MAC has its NetFlow flows, which carry
 * addresses only; an address no device has stands for itself).
 */
function deviceHosts(store: Store, device: string, site: string | undefined): Set<string> {
  const hosts = new Set([device]);
  for (const d of store.findDevices(device)) {
    if (site !== undefined && d.site !== site) continue;
    if (d.mac) hosts.add(d.mac);
    for (const a of d.addresses) hosts.add(a.ip);
  }
  return hosts;
}

function flowMatches(f: FlowFilter, hosts: ReadonlySet<string> | undefined): (x: StoredFlow) => boolean {
  return (x) => (hosts === undefined || hosts.has(x.srcIp) || hosts.has(x.dstIp) || (x.srcMac !== undefined && hosts.has(x.srcMac)) || (x.dstMac !== undefined && hosts.has(x.dstMac)))
    && (f.protocol === undefined || (typeof f.protocol === "number" ? x.proto === f.protocol : x.appProtocol === f.protocol))
    && (f.port === undefined || x.srcPort === f.port || x.dstPort === f.port)
    && (f.fromUs === undefined || x.lastUs >= f.fromUs)
    && (f.untilUs === undefined || x.firstUs <= f.untilUs);
}

/** The newest flows a filter keeps, and where they were read: the flows kept per end (store/recent-flows.ts), or the chunks. */
export interface LatestFlows {
  flows: StoredFlow[];
  read: "recent" | "chunks";
}

/**
 * The `limit` newest flows (by first seen) that the filter keeps, newest first, holding no
 * more than `limit` at a time whatever the store holds. A device's come from `recent` (kept by
 * a long-lived reader) when it can answer: the filter names only the device (and site), and
 * what was stored since its last fold, up to FOLD_IN_REQUEST flows a site, is folded first.
 * Otherwise they are read from the chunks that hold its hosts, newest chunk first, each
 * filtered before decoding (Store flowChunksTouching), stopping at the first chunk that ends
 * before the oldest flow kept. Both give the same flows (test/queries.test.ts).
 */
export function latestFlows(store: Store, q: FlowFilter, limit: number, o: { recent?: RecentFlows } = {}): LatestFlows {
  const n = limitOf(limit, 100);
  checkSite(store, q.site);
  const hosts = q.device === undefined ? undefined : deviceHosts(store, q.device, q.site);
  const keep = flowMatches(q, hosts);
  if (hosts !== undefined && o.recent !== undefined && q.protocol === undefined && q.port === undefined && q.fromUs === undefined && q.untilUs === undefined) {
    const recent = o.recent;
    if ((q.site === undefined ? store.flowSites() : [q.site]).every((site) => recent.fold(store, site, FOLD_IN_REQUEST))) {
      const flows = recent.newest(q.site, hosts, n, keep);
      if (flows !== undefined) return { flows, read: "recent" };
    }
  }
  const older = (a: StoredFlow, b: StoredFlow): boolean => a.firstUs < b.firstUs || (a.firstUs === b.firstUs && a.id < b.id);
  // A min-heap of the newest `n` so far: its root is the oldest kept, the one a newer flow replaces.
  const heap: StoredFlow[] = [];
  const down = (i: number): void => {
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < heap.length && older(heap[l], heap[m])) m = l;
      if (r < heap.length && older(heap[r], heap[m])) m = r;
      if (m === i) return;
      [heap[i], heap[m]] = [heap[m], heap[i]];
      i = m;
    }
  };
  const offer = (f: StoredFlow): void => {
    if (!keep(f)) return;
    if (heap.length < n) {
      heap.push(f);
      for (let i = heap.length - 1; i > 0 && older(heap[i], heap[(i - 1) >> 1]); i = (i - 1) >> 1) [heap[i], heap[(i - 1) >> 1]] = [heap[(i - 1) >> 1], heap[i]];
    } else if (older(heap[0], f)) {
      heap[0] = f;
      down(0);
    }
  };
  if (hosts === undefined) {
    for (const f of store.eachFlow(q.site)) offer(f);
  } else {
    for (const chunk of store.flowChunksTouching([...hosts], { site: q.site, fromUs: q.fromUs, untilUs: q.untilUs })) {
      // Chunks come newest first: once one ends before the oldest kept flow began, no later one has a newer flow.
      if (heap.length === n && chunk.lastUs < heap[0].firstUs) break;
      for (const f of chunk.flows) offer(f);
    }
  }
  return { flows: heap.sort((a, b) => (older(a, b) ? 1 : -1)), read: "chunks" };
}

/** The first `limit` flows by first seen (then id) that the filter keeps, of one site or of all. */
export function flowsByFirstSeen(store: Store, q: FlowFilter & { limit?: number } = {}): StoredFlow[] {
  if (q.limit !== undefined && !(Number.isInteger(q.limit) && q.limit > 0)) throw new InputError("limit must be a positive whole number");
  const filtered = q.device !== undefined || q.protocol !== undefined || q.port !== undefined || q.fromUs !== undefined || q.untilUs !== undefined;
  if (q.site === undefined && !filtered) return store.flows(q.limit);
  checkSite(store, q.site);
  const hosts = q.device === undefined ? undefined : deviceHosts(store, q.device, q.site);
  const keep = flowMatches(q, hosts);
  const all: StoredFlow[] = [];
  if (hosts === undefined) {
    for (const f of store.eachFlow(q.site)) if (keep(f)) all.push(f);
  } else {
    for (const chunk of store.flowChunksTouching([...hosts], { site: q.site, fromUs: q.fromUs, untilUs: q.untilUs })) for (const f of chunk.flows) if (keep(f)) all.push(f);
  }
  all.sort((a, b) => a.firstUs - b.firstUs || a.id - b.id);
  return q.limit === undefined ? all : all.slice(0, q.limit);
}

/** A device whole, as `cordon device --format json` and the API show it: facts with evidence, verdict and its history. */
export function deviceDetailView(d: DeviceDetail): Record<string, unknown> {
  return {
    ...viewOf(d.device, d.classification, d.identity),
    ...deviceDetail(d.device),
    verdict_history: d.history.map((v) => ({
      category: v.category, vendor: v.vendor ?? null, model: v.model ?? null, firmware: v.firmware ?? null,
      confidence: v.confidence, decided: isoTime(v.decidedUs),
    })),
  };
}

/** A device in a list, as `cordon devices --format json` and the API show it. */
export const deviceListView = (d: ClassifiedDevice): Record<string, unknown> => viewOf(d.device, d.classification, d.identity);

/** A device as a row of a long table: who it is and what it was judged to be, without the evidence. */
export const deviceRowView = (d: ClassifiedDevice<DeviceRowRecord>): Record<string, unknown> => ({
  site: d.device.site, mac: d.device.mac, ips: addressesOf(d.device), category: d.classification.category, vendor: d.classification.vendor ?? null,
  model: d.classification.model ?? null, criticality: d.classification.criticality, identity: d.identity.strength, hostnames: hostnames(d.device), last_seen: isoTime(d.device.lastUs),
});

/** An alert as `cordon alerts --format json` prints it. */
export function alertView(a: StoredAlert): Record<string, unknown> {
  return { ...alertRowView(a), evidence: a.evidence };
}

/** An alert in a list of many: everything but the evidence. */
export function alertRowView(a: AlertSummary): Record<string, unknown> {
  return {
    id: a.id, detector: a.detector, class: a.class, severity: a.severity, technique: a.technique, site: a.site,
    device: a.device ?? null, source: a.source ?? null, target: a.target ?? null, title: a.title,
    first_seen: isoTime(a.firstUs), last_seen: isoTime(a.lastUs), count: a.count, status: a.status,
    ...(a.statusBy ? { status_by: a.statusBy, status_at: a.statusAt, status_note: a.statusNote ?? null } : {}),
  };
}

const PROTO_NAMES: Record<number, string> = { 1: "icmp", 6: "tcp", 17: "udp", 58: "icmpv6", 47: "gre", 50: "esp", 2: "igmp", 132: "sctp" };

/** The JSON shape of a flow in `cordon flows --format json`. */
export function flowView(f: StoredFlow): Record<string, unknown> {
  return {
    id: f.id,
    site: f.site,
    vlan: f.vlan,
    proto: PROTO_NAMES[f.proto] ?? String(f.proto),
    src_mac: f.srcMac ?? null,
    src_ip: f.srcIp,
    src_port: f.srcPort,
    dst_mac: f.dstMac ?? null,
    dst_ip: f.dstIp,
    dst_port: f.dstPort,
    initiator: f.initiatorKnown ? "src" : "unknown",
    app_protocol: f.appProtocol ?? null,
    app_confidence: f.appConfidence ?? null,
    app_service: f.appService ?? null,
    packets_src_to_dst: f.packetsSrcToDst,
    bytes_src_to_dst: f.bytesSrcToDst,
    packets_dst_to_src: f.packetsDstToSrc,
    bytes_dst_to_src: f.bytesDstToSrc,
    first_seen: isoTime(f.firstUs),
    last_seen: isoTime(f.lastUs),
    end_reason: f.endReason,
    source: f.source,
  };
}
