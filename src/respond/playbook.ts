import { createHash } from "node:crypto";
import { type Alert, SEVERITIES, type Severity } from "../model/alert.js";
import type { QuarantineMethod, ResponseRecord } from "../model/response.js";

/**
 * Playbooks, the pure part: which alerts start a response, and what a response to one device
 * is (quarantine by the configured method, evidence, notification), waiting for a person
 * when the device's criticality class says so.
 */

/** The `respond` section of the serve configuration. */
export interface RespondConfig {
  /** Alerts at or above this severity start a response. */
  minSeverity: Severity;
  /** Only these alert classes (all when empty). */
  classes: string[];
  quarantine: QuarantineMethod;
  /** Criticality classes whose devices are quarantined only after a person approves. */
  approval: string[];
  evidenceDir: string;
  /** How much of a device's recent traffic the evidence keeps. */
  captureSeconds: number;
  /** Per-device packet ring size, and how many devices keep one. */
  ringKb: number;
  ringDevices: number;
  /** The nft binary for nftables quarantine. */
  nftCommand: string;
  /** A quarantine also revokes the device's certificates (privilegeWithdrawn): EAP-TLS refuses it everywhere, not only at its port. */
  revokeCertificates?: boolean;
}

/** Whether an alert starts a response: severe enough, of a chosen class, not suppressed, and about a device with a MAC. */
export function triggers(a: Alert, c: RespondConfig): boolean {
  if (a.status === "suppressed" || a.status === "routine" || a.class === "response" || !a.sourceMac) return false;
  if (SEVERITIES.indexOf(a.severity) < SEVERITIES.indexOf(c.minSeverity)) return false;
  return c.classes.length === 0 || c.classes.includes(a.class);
}

export interface PlanInput {
  site: string;
  mac: string;
  at: string;
  device: { category: string; criticality: string; name?: string };
  alert?: Alert;
  /**
   * A person asked for the quarantine (the button): no approval is waited for, unless
   * `waitsFor` says whose approval it needs (a device of an OT tier, asked for by someone who
   * may not quarantine it at once).
   */
  manual?: { by: string; reason: string; waitsFor?: string };
}

export const responseId = (site: string, mac: string, cause: string): string => createHash("sha256").update(`${site}\n${mac}\n${cause}`).digest("hex").slice(0, 16);

/** The response to one alert or request. Pure. */
export function planResponse(i: PlanInput, c: RespondConfig): ResponseRecord {
  const critical = !i.manual && c.approval.includes(i.device.criticality);
  const forgeable = !i.manual && i.alert?.evidence.flowRecordsOnly === true;
  const asked = i.manual?.waitsFor !== undefined;
  const approval = critical || forgeable || asked;
  const waitsBecause = asked ? `the device is ${i.device.criticality}: a quarantine ${i.manual!.by} asked for waits for ${i.manual!.waitsFor}`
    : critical ? `the device is ${i.device.criticality}`
    : forgeable ? "the alert rests on flow records alone (NetFlow, IPFIX or Zeek conn), which anyone who reaches a collector can forge" : undefined;
  const who = `${i.mac}${i.device.name ? ` (${i.device.name})` : ""}, ${i.device.category}`;
  const title = i.manual ? `Quarantine of ${who} requested by ${i.manual.by}: ${i.manual.reason}` : `Response to "${i.alert!.title}" on ${who}`;
  const cause = i.manual ? `manual ${i.at}` : `alert ${i.alert!.id}`;
  const plan = { quarantine: c.quarantine, capture: true, notify: true, approval, ...(waitsBecause ? { waitsBecause } : {}) };
  return {
    id: responseId(i.site, i.mac, cause), site: i.site, mac: i.mac, alertId: i.alert?.id, trigger: i.manual ? "manual" : "alert",
    status: approval ? "proposed" : "running", createdAt: i.at, updatedAt: i.at, title, severity: i.alert?.severity ?? "high",
    reason: i.manual ? i.manual.reason : `alert ${i.alert!.id} (${i.alert!.class}): ${i.alert!.title}`,
    ...(asked ? { requestedBy: i.manual!.by } : {}),
    criticality: i.device.criticality, category: i.device.category, plan, steps: [],
  };
}

/** The response told through the alert outputs, as an alert record of class "response". */
export function responseNotice(r: ResponseRecord, what: string, atUs: number): Alert {
  return {
    id: `${r.id}-${createHash("sha256").update(what).digest("hex").slice(0, 6)}`, detector: "respond", class: "response", severity: r.severity, technique: "",
    site: r.site, sourceMac: r.mac, source: r.mac, title: `${what}: ${r.title}`, firstUs: atUs, lastUs: atUs, count: 1,
    evidence: { packets: [], flows: [], observations: [`response ${r.id}`, ...(r.alertId ? [`alert ${r.alertId}`] : []), ...(r.evidence ? [`capture ${r.evidence}`] : [])] },
    status: "open",
  };
}

/** Whether a response concerns the OT owners too: the highest criticality class. */
export const concernsOt = (r: ResponseRecord): boolean => r.criticality === "life-safety/physical-process";
