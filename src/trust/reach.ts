import type { ResolvedPolicy } from "../policy/model.js";
import { reachWith, setMatcher } from "../policy/simulate.js";
import type { TrustNode } from "./model.js";

/**
 * What may open a connection to what: the policy in force (or a proposed one, for a what-if),
 * read as its rulesets would enforce it (`policy/simulate.ts` `reachWith`), or a flat network
 * when no policy is in force. Nodes are grouped into classes by the policy's sets they belong
 * to, so the policy is asked once per pair of classes and service, not once per pair of nodes.
 */
export interface ReachModel {
  /** Where reach comes from, in words ("policy plant v3 (enforced)"). */
  label: string;
  flat: boolean;
  /** The class a node belongs to: nodes of one class are alike to the policy. */
  classOf(n: TrustNode): string;
  /**
   * Why `from` may open a connection to `to` on a service (`tcp/102`; undefined: on some
   * service): a rule id, "flat" (no policy in force), "unmanaged" (the policy governs neither
   * end); undefined when the policy forbids it.
   */
  allows(from: TrustNode, to: TrustNode, service?: string): string | undefined;
  /** The same, by class. */
  allowsClass(from: string, to: string, service?: string): string | undefined;
}

/** An address standing for the internet in the policy's eyes (RFC 5737 documentation range): judged, never sent to. */
export const OUTSIDE = "198.51.100.7";

const addressOf = (n: TrustNode): string | undefined => n.kind === "zone" && n.label === "internet" ? OUTSIDE : n.ips?.find((a) => !a.includes(":")) ?? n.ips?.[0];

export function flatReach(): ReachModel {
  return {
    label: "no policy in force: the network is flat", flat: true,
    classOf: () => "flat",
    allows: () => "flat",
    allowsClass: () => "flat",
  };
}

export function policyReach(p: ResolvedPolicy, label: string): ReachModel {
  const reach = reachWith(p);
  const matchers = p.sets.map(setMatcher);
  const classes = new Map<string, string>();
  const representative = new Map<string, string>();
  const cache = new Map<string, string | null>();
  const classOfIp = (ip: string | undefined): string => {
    if (ip === undefined) return "none";
    let c = classes.get(ip);
    if (c === undefined) {
      c = matchers.map((m) => (m(ip) ? "1" : "0")).join("");
      classes.set(ip, c);
      if (!representative.has(c)) representative.set(c, ip);
    }
    return c;
  };
  const allowsClass = (from: string, to: string, service?: string): string | undefined => {
    const k = `${from}|${to}|${service ?? ""}`;
    const hit = cache.get(k);
    if (hit !== undefined) return hit ?? undefined;
    let by: string | undefined;
    // A node without an address is not something the policy can govern.
    if (from === "none" || to === "none") by = "unmanaged";
    else {
      const [proto, port] = service ? service.split("/") : ["any"];
      by = reach(representative.get(from)!, representative.get(to)!, proto === "icmp6" ? "icmp" : proto, port ? Number(port) : undefined);
    }
    cache.set(k, by ?? null);
    return by;
  };
  return {
    label, flat: false,
    classOf: (n) => classOfIp(addressOf(n)),
    allows: (from, to, service) => allowsClass(classOfIp(addressOf(from)), classOfIp(addressOf(to)), service),
    allowsClass,
  };
}
