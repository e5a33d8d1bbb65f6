import { type Alert, SEVERITIES, type Severity } from "../model/alert.js";

/**
 * The severity of a behavioural finding from what the device is (pure). One table, applied
 * after classification, when each alert's device is known:
 *
 * | input | effect |
 * |---|---|
 * | the detector's finding | new peer: external medium, internal low; new service, new domain: low; volume: high |
 * | an admin protocol (SSH, telnet, SMB, RDP, VNC, WinRM) to an internal peer, from a device that is not IT (not a workstation, server, router, switch or phone) | at least medium |
 * | the device's criticality | life-safety/physical-process +2 levels, sensitive-data +1 |
 * | the device's baseline is mature (7 days, stable) | +1: a change against a settled baseline says more |
 *
 * Capped at critical. The rule that decided is added to the alert's evidence, so a person sees
 * why a temperature sensor's new SSH session is critical and a smart plug's is medium.
 */

export const BEHAVIOUR_CLASSES = ["new-peer", "new-service", "new-domain", "volume"] as const;
/** Ports of protocols that administer a host: what a sensor or PLC has no business opening. */
export const ADMIN_PORTS: ReadonlyMap<number, string> = new Map([[22, "SSH"], [23, "telnet"], [139, "SMB"], [445, "SMB"], [3389, "RDP"], [5900, "VNC"], [5985, "WinRM"], [5986, "WinRM"]]);
/** What the behaviour detector notes about a finding (observation prefixes it writes). */
export const ADMIN_CONTEXT = "admin protocol to an internal peer:";
export const MATURE_CONTEXT = "against a mature baseline";
const IT: ReadonlySet<string> = new Set(["workstation", "server", "router", "network-infrastructure", "mobile", "engineering-workstation", "hmi", "historian"]);

export interface DeviceStanding {
  category?: string;
  criticality?: string;
}

const step = (s: Severity, by: number): Severity => SEVERITIES[Math.max(0, Math.min(SEVERITIES.length - 1, SEVERITIES.indexOf(s) + by))];

/** Sets each behavioural alert's severity from its device's standing; returns how many changed. */
export function rateBehaviour(alerts: Alert[], standingOf: (a: Alert) => DeviceStanding | undefined): number {
  let changed = 0;
  for (const a of alerts) {
    if (!(BEHAVIOUR_CLASSES as readonly string[]).includes(a.class)) continue;
    const d = standingOf(a) ?? {};
    const obs = a.evidence.observations;
    // Rated once: an episode stored and raised again keeps the rating of its first raise's device standing.
    if (obs.some((o) => o.startsWith("severity:"))) continue;
    const why: string[] = [`${a.class} ${a.severity}`];
    let s = a.severity;
    const admin = obs.find((o) => o.startsWith(ADMIN_CONTEXT));
    if (admin && !IT.has(d.category ?? "unknown") && SEVERITIES.indexOf(s) < SEVERITIES.indexOf("medium")) {
      s = "medium";
      why.push(`${admin.slice(ADMIN_CONTEXT.length).trim()} from a ${d.category ?? "device"} that is not IT: at least medium`);
    }
    const plus = d.criticality === "life-safety/physical-process" ? 2 : d.criticality === "sensitive-data" ? 1 : 0;
    if (plus > 0) {
      s = step(s, plus);
      why.push(`${d.criticality}: +${plus}`);
    }
    if (obs.includes(MATURE_CONTEXT)) {
      s = step(s, 1);
      why.push("mature baseline: +1");
    }
    obs.push(`severity: ${why.join("; ")} -> ${s}`);
    if (s !== a.severity) {
      a.severity = s;
      changed++;
    }
  }
  return changed;
}
