import { isIP } from "node:net";
import { type Alert, SEVERITIES } from "../model/alert.js";
import type { FlowRecord } from "../model/flow-record.js";
import { flowWeight } from "../model/flow-record.js";

/**
 * Learning from clean traffic only (pure). A flow that took part in an attack must not become
 * an allow rule: policy learning proposed the lab's port scan ("-> plc tcp/1-1024") and its
 * telnet brute force ("-> camera tcp/23,2323") although alerts had fired on exactly those
 * flows. Left out:
 *
 * - flows of an alert of a hostile class (scan, brute force, exploit, clear-text credentials,
 *   indicator, policy violation; an OT operation of high severity or more, unless its actor
 *   is one whose daily work that is: an engineering workstation programming a PLC, an HMI
 *   writing to one, which the caller names in `otStaff`): from the alert's
 *   source, within its episode (five minutes either side, for flows that ended late), and to
 *   its target when the class names one host (a scan reaches many, so all its source's flows
 *   in the window go);
 * - flows from or to a device while it was in quarantine.
 *
 * Each reason is returned with the number of flows it removed, for the policy's review list.
 */

/** Alert classes whose flows are attacks, not the device's work. */
export const TAINTING_CLASSES = ["scan", "brute-force", "exploit-attempt", "cleartext-credentials", "indicator", "policy-violation"] as const;
const MARGIN_US = 300_000_000;

export interface QuarantineSpan {
  mac: string;
  ips: readonly string[];
  fromUs: number;
  /** Undefined while still in quarantine. */
  toUs?: number;
}

export interface LeftOut {
  /** Why, for a person: the alert (id, class, title) or the quarantine. */
  reason: string;
  flows: number;
}

function tainting(a: Alert, otStaff: ReadonlySet<string>): boolean {
  if (a.status === "suppressed" || a.status === "routine") return false;
  if ((TAINTING_CLASSES as readonly string[]).includes(a.class)) return true;
  return a.class === "ot-operation" && SEVERITIES.indexOf(a.severity) >= SEVERITIES.indexOf("high") && !otStaff.has(a.source ?? "");
}

export function leaveOutAttacks<F extends FlowRecord>(
  flows: readonly F[], alerts: readonly Alert[], quarantines: readonly QuarantineSpan[] = [], otStaff: ReadonlySet<string> = new Set(),
): { clean: F[]; leftOut: LeftOut[] } {
  const rules = alerts.filter((a) => tainting(a, otStaff) && a.source !== undefined && isIP(a.source) !== 0).map((a) => ({
    reason: `alert ${a.id} (${a.class}): ${a.title}`,
    source: a.source!,
    target: a.class !== "scan" && a.target !== undefined && isIP(a.target) !== 0 ? a.target : undefined,
    fromUs: a.firstUs - MARGIN_US, toUs: a.lastUs + MARGIN_US, flows: 0,
  }));
  const spans = quarantines.map((q) => ({ reason: `quarantine of ${q.mac}`, ips: new Set(q.ips), fromUs: q.fromUs, toUs: q.toUs ?? Number.POSITIVE_INFINITY, flows: 0 }));
  const bySource = new Map<string, typeof rules>();
  for (const r of rules) (bySource.get(r.source) ?? bySource.set(r.source, []).get(r.source)!).push(r);
  const clean: F[] = [];
  for (const f of flows) {
    let hit = false;
    for (const r of bySource.get(f.srcIp) ?? []) {
      if (f.lastUs < r.fromUs || f.firstUs > r.toUs || (r.target !== undefined && f.dstIp !== r.target)) continue;
      r.flows += flowWeight(f);
      hit = true;
      break;
    }
    if (!hit) {
      for (const s of spans) {
        if ((s.ips.has(f.srcIp) || s.ips.has(f.dstIp)) && f.lastUs >= s.fromUs && f.firstUs <= s.toUs) {
          s.flows += flowWeight(f);
          hit = true;
          break;
        }
      }
    }
    if (!hit) clean.push(f);
  }
  const leftOut = [...rules, ...spans].filter((r) => r.flows > 0).map((r) => ({ reason: r.reason, flows: r.flows }));
  return { clean, leftOut };
}
