import type { DeviceChange, StoredDevice } from "../inventory/inventory.js";
import type { Alert } from "../model/alert.js";
import type { FlowGroup, FlowRecord } from "../model/flow-record.js";
import type { FlowPairs } from "./flow-pairs.js";
import type { PolicyStatus } from "../model/policy-status.js";
import type {
  AlertPageQuery, AlertSummary, GroupingInput, SourceSummary, StoredAlert, StoredFlow, StoredMaintenanceWindow, StoredOverride, StoredPolicy, StoredVerdict, Suppression,
} from "./records.js";

/**
 * The store by aggregate: what each part of Cordon reads and writes, as values (never a
 * domain object to mutate). `Store` implements them all on SQLite or PostgreSQL; NAC records
 * and the audit log are `NacStore` and `AuditLog`. test/store-contract.test.ts holds every
 * engine to the same behaviour.
 */

/** Devices with their addresses, facts and the endpoints behind routers. */
export interface DeviceStore {
  /** Merges changes (counters add, times widen, facts count on); each device's id, in order. */
  saveDevices(changes: readonly DeviceChange[]): number[];
  devices(site?: string): StoredDevice[];
  eachDevice(site?: string, from?: { site: string; key: string }, pageSize?: number): Generator<StoredDevice>;
  findDevices(macOrIp: string): StoredDevice[];
  addressesOfMacs(site: string, macs: readonly string[]): Map<string, string[]>;
}

/** Finished flows, numbered in the order stored. */
export interface FlowStore {
  saveFlows(batch: readonly FlowRecord[]): void;
  flows(limit?: number): StoredFlow[];
  eachFlow(site?: string, fromId?: number): Generator<StoredFlow>;
  /** The flows touching any of the hosts (MAC or address at either end), chunk by chunk, newest chunk first. */
  flowChunksTouching(hosts: readonly string[], o?: { site?: string; fromUs?: number; untilUs?: number }): Generator<{ lastUs: number; flows: StoredFlow[] }>;
  flowGroups(site: string): FlowGroup[];
  /** Folds the flows stored since the accumulator's last fold into it; the site's pairs (store/flow-pairs.ts). */
  foldFlowPairs(acc: FlowPairs, site: string): FlowGroup[];
}

/** What Cordon concluded about devices, and what people decided instead. */
export interface VerdictStore {
  saveVerdicts(list: { deviceId: number; verdict: Omit<StoredVerdict, "id"> }[]): void;
  latestVerdicts(ids?: readonly number[]): Map<number, StoredVerdict>;
  latestCategories(): Map<number, string>;
  verdictHistory(deviceId: number): StoredVerdict[];
  identifiedMacs(): { site: string; mac: string }[];
  groupingInputs(): GroupingInput[];
  overrides(ids?: readonly number[]): Map<number, StoredOverride>;
  setOverride(deviceId: number, o: StoredOverride): void;
}

/** Policy versions with their history, and MUD profiles. */
export interface PolicyStore {
  savePolicy(p: { name: string; site: string; body: (version: number) => string; actor: string; at: string; note?: string }): { id: number; version: number };
  policy(id: number): StoredPolicy | undefined;
  policies(): StoredPolicy[];
  setPolicyStatus(id: number, status: PolicyStatus, e: { actor: string; at: string; note?: string }): void;
  saveMudProfiles(list: readonly { url: string; body: string; source: string; at: string }[]): void;
  mudProfiles(): { url: string; body: string; source: string; importedAt: string }[];
  assignMud(a: { site: string; deviceKey: string; url: string; by: string; at: string }): void;
  mudAssignments(site: string): Map<string, string>;
}

/** Alerts with their status, what silences them, and declared maintenance. */
export interface AlertStore {
  saveAlerts(alerts: readonly (Alert & { deviceId?: number })[]): void;
  alerts(): StoredAlert[];
  /** A page of alerts in first-seen order, filtered in SQL (Store.alertPage). */
  alertPage(q: AlertPageQuery): StoredAlert[];
  /** The same page without the evidence. */
  alertSummaries(q: AlertPageQuery): AlertSummary[];
  /** The alerts whose id starts with a prefix, at most `limit`. */
  alertsByPrefix(prefix: string, limit: number): StoredAlert[];
  alertIds(): Set<string>;
  setAlertStatus(id: string, status: Alert["status"], by: string, at: string, note?: string): boolean;
  addSuppression(s: Omit<Suppression, "id">): number;
  suppressions(): Suppression[];
  removeSuppression(id: number): boolean;
  addMaintenanceWindow(w: Omit<StoredMaintenanceWindow, "id">): number;
  maintenanceWindows(): StoredMaintenanceWindow[];
}

/** What was read from where: capture and sensor summaries, followed logs' positions. */
export interface SourceStore {
  saveSource(s: SourceSummary): void;
  sources(): SourceSummary[];
  sourceWithContent(site: string, contentHash: string): { name: string; readAt: string | null } | undefined;
  readPositions(source: string): Map<string, { inode: number; offset: number }>;
  saveReadPositions(source: string, positions: readonly { path: string; inode: number; offset: number }[]): void;
}
