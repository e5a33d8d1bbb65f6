import type { StoredDevice } from "../inventory/inventory.js";
import { type Alert, type Severity, SEVERITIES } from "../model/alert.js";
import type { PolicyStatus } from "../model/policy-status.js";
import type { Store, StoredAlert, StoredFlow, StoredPolicy, StoredVerdict } from "../store/store.js";
import { AuditLog, type StoredAuditEntry } from "../store/audit.js";
import { NacStore, type StoredDecision, type StoredMove, type StoredQuarantine, type StoredSession } from "../store/nac.js";
import type { StoredMaintenanceWindow, Suppression } from "../store/records.js";
import { mudUsers } from "./mud.js";
import { type Classification, classificationOf } from "./classification.js";
import { InputError } from "./errors.js";

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

export interface DeviceQuery {
  site?: string;
  /** The effective category (a person's override, else the verdict). */
  category?: string;
  limit?: number;
  after?: string;
}

export interface ClassifiedDevice {
  device: StoredDevice;
  classification: Classification;
}

/** Devices with their effective classification, by site and key. */
export function listDevices(store: Store, q: DeviceQuery = {}): Page<ClassifiedDevice> {
  const limit = limitOf(q.limit, 1000);
  const from = q.after === undefined ? undefined : decode(q.after, isStringPair);
  const items: ClassifiedDevice[] = [];
  // Verdicts and overrides are read for a batch of devices at a time, not for the whole store per page.
  let batch: StoredDevice[] = [];
  const take = (): void => {
    const ids = batch.map((d) => d.id);
    const verdicts = store.latestVerdicts(ids);
    const overrides = store.overrides(ids);
    for (const device of batch) {
      const classification = classificationOf(device, verdicts.get(device.id), overrides.get(device.id));
      if (q.category === undefined || classification.category === q.category) items.push({ device, classification });
    }
    batch = [];
  };
  // A full page ends with a cursor without reading on to see whether more follow (the next page may be empty).
  for (const device of store.eachDevice(q.site, from ? { site: from[0], key: from[1] } : undefined)) {
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
  limit?: number;
  after?: string;
}

/** Alerts, oldest first. */
export function listAlerts(store: Store, q: AlertQuery = {}): Page<StoredAlert> {
  const limit = limitOf(q.limit, 1000);
  const from = q.after === undefined ? undefined : decode(q.after, isPosition);
  const status = q.status ?? "active";
  const floor = q.minSeverity === undefined ? 0 : SEVERITIES.indexOf(q.minSeverity);
  const items: StoredAlert[] = [];
  for (const a of store.alerts()) {
    if (from && (a.firstUs < from[0] || (a.firstUs === from[0] && a.id <= from[1]))) continue;
    if (q.site !== undefined && a.site !== q.site) continue;
    if (status === "active" ? !ACTIVE.has(a.status) : status !== "all" && a.status !== status) continue;
    if (q.class !== undefined && a.class !== q.class) continue;
    if (SEVERITIES.indexOf(a.severity) < floor) continue;
    items.push(a);
    if (items.length === limit) return { items, next: encode([a.firstUs, a.id]) };
  }
  return { items };
}

export interface PolicyQuery {
  site?: string;
  name?: string;
  status?: PolicyStatus;
}

/** Policy versions, newest first. */
export function listPolicies(store: Store, q: PolicyQuery = {}): StoredPolicy[] {
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
  return found.map((device) => ({
    device, classification: classificationOf(device, verdicts.get(device.id), overrides.get(device.id)), history: store.verdictHistory(device.id),
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

/** The first `limit` flows by first seen (then id), of one site or of all. */
export function flowsByFirstSeen(store: Store, q: { site?: string; limit?: number } = {}): StoredFlow[] {
  if (q.limit !== undefined && !(Number.isInteger(q.limit) && q.limit > 0)) throw new InputError("limit must be a positive whole number");
  if (q.site === undefined) return store.flows(q.limit);
  const all: StoredFlow[] = [];
  let after: string | undefined;
  do {
    const page = listFlows(store, { site: q.site, after, limit: MAX_PAGE });
    all.push(...page.items);
    after = page.next;
  } while (after !== undefined);
  all.sort((a, b) => a.firstUs - b.firstUs || a.id - b.id);
  return q.limit === undefined ? all : all.slice(0, q.limit);
}
