import type { ResolvedPolicy } from "../policy/model.js";
import { reachWith, setMatcher } from "../policy/simulate.js";
import type { CveMatch } from "./match.js";

/**
 * How exposed a vulnerable service is under the policy in force, and what that makes of a
 * device's risk. Exposure is read from the policy as its rulesets would enforce it
 * (`policy/simulate.ts` `reachWith`): which of the site's devices may open a connection to the
 * service, and whether an address outside the site may. Devices are grouped by the policy's
 * sets they belong to, so the policy is asked once per group, not once per device.
 */

/** An address from RFC 5737's documentation range standing for "the internet": judged, never sent to. */
const OUTSIDE = "198.51.100.7";

export interface ServiceExposure {
  /** `tcp/102`, or `any` when no port of the vulnerable service is known. */
  service: string;
  /** Devices of the site that may reach it, of how many. */
  insideAllowed: number;
  insideTotal: number;
  /** Whether an address outside the site may reach it (a policy that governs it says no). */
  internet: boolean;
  /** Whether the policy in force manages the device; if not, only routing (and other devices' egress rules) stand in the way. */
  governed: boolean;
  /** The rules that let someone reach it. */
  allowedBy: string[];
}

export interface Initiator {
  key: string;
  ips: readonly string[];
}

export class ExposureModel {
  private readonly reach: ((src: string, dst: string, proto: string, port?: number) => string | undefined) | undefined;
  /** One address per group of devices the policy cannot tell apart, with the group's size. */
  private readonly classes: { ip: string; keys: string[] }[];
  private readonly total: number;

  private readonly managed: ((ip: string) => boolean) | undefined;

  constructor(policy: ResolvedPolicy | undefined, initiators: readonly Initiator[]) {
    this.reach = policy ? reachWith(policy) : undefined;
    const managed = policy?.sets.find((s) => s.name === policy.managed);
    this.managed = managed ? setMatcher(managed) : undefined;
    const bySignature = new Map<string, { ip: string; keys: string[] }>();
    const matchers = policy ? policy.sets.map(setMatcher) : [];
    for (const d of initiators) {
      const ip = d.ips.find((a) => !a.includes(":")) ?? d.ips[0];
      if (!ip) continue;
      const signature = matchers.map((m) => (m(ip) ? "1" : "0")).join("");
      const c = bySignature.get(signature);
      if (c) c.keys.push(d.key);
      else bySignature.set(signature, { ip, keys: [d.key] });
    }
    this.classes = [...bySignature.values()];
    this.total = initiators.length;
  }

  /** The exposure of one service (`tcp/502`, `udp/161`, `any`) on a device with these addresses. */
  exposure(deviceKey: string, deviceIps: readonly string[], service: string): ServiceExposure {
    const [proto, portText] = service === "any" ? ["any", undefined] : service.split("/");
    const port = portText === undefined ? undefined : Number(portText);
    const target = deviceIps.find((a) => !a.includes(":")) ?? deviceIps[0];
    const insideTotal = Math.max(0, this.total - 1);
    if (!this.reach || !target) {
      return { service, insideAllowed: insideTotal, insideTotal, internet: true, governed: false, allowedBy: [] };
    }
    const rules = new Set<string>();
    let allowed = 0;
    for (const c of this.classes) {
      const by = this.reach(c.ip, target, proto!, port);
      if (by && by !== "unmanaged") rules.add(by);
      if (by) allowed += c.keys.filter((k) => k !== deviceKey).length;
    }
    const outside = this.reach(OUTSIDE, target, proto!, port);
    if (outside && outside !== "unmanaged") rules.add(outside);
    // Governed: the policy manages the device itself (an unmanaged device is reached by whatever routing lets through).
    const governed = this.managed?.(target) ?? false;
    return { service, insideAllowed: allowed, insideTotal, internet: outside !== undefined, governed, allowedBy: [...rules].sort() };
  }
}

export const CRITICALITY_WEIGHT: Record<string, number> = { "life-safety/physical-process": 1, "sensitive-data": 0.75, standard: 0.5, low: 0.25 };

export interface RiskParts {
  /** 0–100: criticality × exploitability × exposure. */
  score: number;
  criticality: string;
  criticalityWeight: number;
  /** 0–1, from the worst CVE: known exploited (KEV) or actively exploited 1, proof of concept 0.8, else CVSS/10 × 0.7. */
  exploitability: number;
  exploitabilityWhy: string;
  /** 0–1: reachable from outside 1; from a share f of the site's devices 0.2 + 0.6 f; from none 0.1. */
  exposure: number;
  exposureWhy: string;
}

function exploitabilityOf(c: CveMatch): [number, string] {
  if (c.kev) return [1, `${c.cve} is in CISA's KEV catalogue`];
  if (c.exploitation === "active") return [1, `${c.cve} is exploited (SSVC)`];
  if (c.exploitation === "poc") return [0.8, `${c.cve} has a public proof of concept (SSVC)`];
  const cvss = c.cvss ?? 5;
  return [Math.round((cvss / 10) * 0.7 * 100) / 100, `${c.cve} CVSS ${c.cvss ?? "unknown, taken as 5"}`];
}

function exposureFactor(e: ServiceExposure): number {
  if (e.internet) return 1;
  if (e.insideTotal === 0 || e.insideAllowed === 0) return 0.1;
  return Math.round((0.2 + 0.6 * (e.insideAllowed / e.insideTotal)) * 100) / 100;
}

function describe(e: ServiceExposure): string {
  const where = e.internet ? "reachable from outside the site" : e.insideAllowed === 0 ? "reachable from no device of the site" : `reachable from ${e.insideAllowed} of ${e.insideTotal} devices of the site`;
  return `${e.service} ${where}${e.governed ? e.allowedBy.length ? ` (rules ${e.allowedBy.join(", ")})` : "" : " (no policy in force manages it)"}`;
}

/**
 * The services whose exposure a CVE's risk is read from: the ports its advisory names, else
 * the ports the device was seen serving, else the device as a whole (`any`).
 */
export function servicesAtRisk(c: CveMatch, served: readonly string[]): readonly string[] {
  return c.services.length ? c.services : served.length ? served : ["any"];
}

/** A device's risk from its CVEs and the exposure of each CVE's service; undefined when it has no CVE. */
export function riskOf(cves: readonly CveMatch[], exposures: ReadonlyMap<string, ServiceExposure>, criticality: string, served: readonly string[]): RiskParts | undefined {
  let best: RiskParts | undefined;
  const weight = CRITICALITY_WEIGHT[criticality] ?? 0.5;
  for (const c of cves) {
    const [x, xWhy] = exploitabilityOf(c);
    const services = servicesAtRisk(c, served);
    for (const s of services) {
      const e = exposures.get(s);
      if (!e) continue;
      const f = exposureFactor(e);
      const score = Math.round(100 * weight * x * f);
      if (!best || score > best.score) best = { score, criticality, criticalityWeight: weight, exploitability: x, exploitabilityWhy: xWhy, exposure: f, exposureWhy: describe(e) };
    }
  }
  return best;
}
