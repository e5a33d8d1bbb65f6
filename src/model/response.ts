import type { Severity } from "./alert.js";

/**
 * A response to an alert, or to a person pressing the button: what was planned for one
 * device (quarantine, evidence, notification), whether it waits for a person's approval,
 * and every step as it happened.
 */
/**
 * `done`: the quarantine acted now (CoA acknowledged, firewall loaded, or nothing configured
 * to act). `next-auth`: the device is on the quarantine list, so its next authentication gets
 * the quarantine VLAN, but the CoA that would have made it re-authenticate now did not go
 * through. `failed`: not in effect.
 */
export type ResponseStatus = "proposed" | "running" | "done" | "next-auth" | "failed" | "rejected";

export type QuarantineMethod = "coa" | "nftables" | "none";

export interface ResponseStep {
  at: string;
  action: "propose" | "approve" | "reject" | "quarantine" | "revoke" | "capture" | "notify" | "release";
  outcome: "ok" | "failed" | "skipped" | "waiting";
  detail: string;
  by?: string;
}

export interface ResponseRecord {
  id: string;
  site: string;
  mac: string;
  alertId?: string;
  trigger: "alert" | "manual";
  status: ResponseStatus;
  createdAt: string;
  updatedAt: string;
  title: string;
  /** The person who asked for a quarantine that waits for another's approval (four-eyes). */
  requestedBy?: string;
  /** Why, in a person's words (a manual quarantine's reason) or the alert's: what the quarantine list records. */
  reason?: string;
  severity: Severity;
  /** The device's criticality class when the response was planned. */
  criticality: string;
  category: string;
  /** `approval`: a person decides first; `waitsBecause` says why (the device's class, or evidence an outsider could forge). */
  plan: { quarantine: QuarantineMethod; capture: boolean; notify: boolean; approval: boolean; waitsBecause?: string };
  /** The evidence capture, once written. */
  evidence?: string;
  steps: ResponseStep[];
}
