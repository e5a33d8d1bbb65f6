import type { FlowRecord } from "../model/flow-record.js";
import type { Alert } from "../model/alert.js";
import type { PolicyStatus } from "../model/policy-status.js";

/* The values the store takes and gives (store/ports.ts names who reads and writes which). */

export interface SourceSummary {
  name: string;
  site: string;
  kind: string;
  format?: string;
  firstUs?: number;
  lastUs?: number;
  packets: number;
  bytes: number;
  flows: number;
  errors: Record<string, number>;
  fatal?: string;
  /** A capture file read to its end: its content fingerprint (`sources/fingerprint.ts`) and when. */
  contentHash?: string;
  readAt?: string;
}

/** A stored flow: the record with the number it was stored under. */
export type StoredFlow = FlowRecord & { id: number };

export interface StoredVerdict {
  id: number;
  category: string;
  vendor?: string;
  model?: string;
  firmware?: string;
  confidence: number;
  evidence: unknown[];
  /** Record time at which the verdict was reached. */
  decidedUs: number;
}

/** A verdict without its evidence (`Store.latestVerdictSummaries`). */
export type VerdictSummary = Omit<StoredVerdict, "evidence">;

/** A person's decision about a device, which the classifier's verdict does not change. */
export interface StoredOverride {
  category?: string;
  criticality?: string;
  reason?: string;
  setBy: string;
  /** Wall-clock time of the decision (ISO 8601): when a person acted, not record time. */
  setAt: string;
}

/** A stored policy version: its body is the policy file JSON; events say who moved it when. */
export interface StoredPolicy {
  id: number;
  name: string;
  site: string;
  version: number;
  status: PolicyStatus;
  body: string;
  events: { action: string; actor: string; at: string; note?: string }[];
}

/** A stored alert: the detector's record plus its device, status history and who moved it. */
export interface StoredAlert extends Omit<Alert, "sourceMac"> {
  device?: string;
  statusBy?: string;
  statusAt?: string;
  statusNote?: string;
}

/** A stored alert without its evidence: a row of the queue. */
export type AlertSummary = Omit<StoredAlert, "evidence">;

/** Which alerts a page holds (Store.alertPage, Store.alertSummaries), in first-seen order. */
export interface AlertPageQuery {
  site?: string;
  statuses?: readonly string[];
  class?: string;
  severities?: readonly string[];
  device?: string;
  after?: [number, string];
  limit: number;
}

/** A maintenance window a person declared: a site's, or one device's in it. */
export interface StoredMaintenanceWindow {
  id: number;
  site: string;
  target?: string;
  startsAt: string;
  endsAt: string;
  reason: string;
  createdBy: string;
  createdAt: string;
}

/** A rule that silences alerts: any of device, detector and peer that is set must match; until it expires. */
export interface Suppression {
  id: number;
  device?: string;
  detector?: string;
  peer?: string;
  reason: string;
  expiresAt?: string;
  createdBy: string;
  createdAt: string;
}

/** What group membership reads of each identified device (`VerdictStore.groupingInputs`). */
export interface GroupingInput {
  site: string;
  mac: string;
  key: string;
  verdictId?: number;
  category?: string;
  vendor?: string;
  overrideCategory?: string;
  overrideCriticality?: string;
  mudUrl?: string;
}

/** One end-of-life decision of the register (app/end-of-life.ts), as stored. */
export interface StoredEolDecision {
  id: number;
  site: string;
  /** A device key, or `model:VENDOR|PRODUCT` for every device of a model. */
  target: string;
  decision: string;
  owner: string;
  rationale: string;
  /** ISO date (YYYY-MM-DD) the decision is next reviewed by. */
  reviewBy: string;
  /** ISO date the device is to be replaced by (decision "replace"). */
  replaceBy?: string;
  /** What the vendor says of its support, where known ("end of support 2025-09-30"). */
  vendorSupport?: string;
  decidedBy: string;
  decidedAt: string;
}
