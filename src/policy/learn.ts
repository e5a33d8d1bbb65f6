import { isPrivateIp } from "../dissect/addr.js";
import type { FlowRecord } from "../model/flow-record.js";
import type { Protocol } from "./model.js";

/**
 * A policy before resolution: who may start what with whom, in the terms a person reviews
 * (groups of devices by category, DNS names of cloud endpoints, networks otherwise).
 */
export type Endpoint = { group: string } | { dns: string } | { cidr: string } | "any";

export interface PolicyRule {
  id: string;
  comment: string;
  from: Endpoint;
  to: Endpoint;
  proto: Protocol;
  ports: [number, number][];
  /** Flows of the learning data the rule covers. */
  seen: number;
}

export interface Policy {
  name: string;
  version: number;
  site: string;
  mode: "monitor" | "enforce";
  /** Group name → device keys (MAC, or ip:ADDRESS for devices known by address). */
  groups: Record<string, string[]>;
  /** Device keys the policy governs. */
  managed: string[];
  rules: PolicyRule[];
  /** What learning left out on purpose, for a person to decide. */
  review: string[];
}

/** What learning reads of a device: its key, addresses, category and criticality, and the DNS answers it received. */
export interface LearnDevice {
  key: string;
  mac?: string;
  ips: string[];
  category: string;
  criticality: string;
  router: boolean;
  /** "name TYPE data" values of dns.answer facts. */
  dnsAnswers: string[];
}

/** Categories whose devices a policy governs unless told otherwise: the things that cannot defend themselves. */
const UNMANAGED = new Set(["workstation", "server", "router", "mobile", "network-infrastructure", "unknown"]);

export const groupOf = (d: LearnDevice): string => (d.category === "unknown" ? `device:${d.key}` : `category:${d.category}`);

function ranges(ports: Set<number>): [number, number][] {
  const sorted = [...ports].sort((a, b) => a - b);
  const out: [number, number][] = [];
  for (const p of sorted) {
    const last = out[out.length - 1];
    if (last && p === last[1] + 1) last[1] = p;
    else out.push([p, p]);
  }
  return out;
}

const PROTO: Record<number, Protocol> = { 6: "tcp", 17: "udp", 1: "icmp", 58: "icmp" };

const endpointName = (e: Endpoint): string => (e === "any" ? "any" : "group" in e ? e.group : "dns" in e ? e.dns : e.cidr);

/**
 * Learns an allow-list from observed flows: each flow that a managed device takes part in
 * becomes "initiator's group → responder (its group, the DNS name it was resolved from, or its
 * address) on protocol and port"; rules with the same ends and protocol merge their ports.
 * Devices of the highest criticality class get no internet rule from learning: those flows
 * are listed for review instead. Pure.
 */
export function learnPolicy(devices: LearnDevice[], flows: Iterable<FlowRecord>, o: { name: string; site: string; manageAll?: boolean }): Policy {
  const byMac = new Map<string, LearnDevice>();
  const byIp = new Map<string, LearnDevice>();
  const nameOf = new Map<string, string>();
  for (const d of devices) {
    if (d.mac) byMac.set(d.mac, d);
    if (!d.router) for (const ip of d.ips) byIp.set(ip, d);
    for (const a of d.dnsAnswers) {
      const [name, type, data] = a.split(" ");
      if ((type === "A" || type === "AAAA") && data) nameOf.set(data, name);
    }
  }
  const managed = new Set(devices.filter((d) => !d.router && (o.manageAll || !UNMANAGED.has(d.category))).map((d) => d.key));
  const deviceOf = (mac: string | undefined, ip: string): LearnDevice | undefined => {
    const m = mac ? byMac.get(mac) : undefined;
    return m && !m.router ? m : byIp.get(ip);
  };
  const rules = new Map<string, { from: Endpoint; to: Endpoint; proto: Protocol; ports: Set<number>; seen: number }>();
  const review = new Set<string>();
  const groups = new Map<string, Set<string>>();
  const addGroup = (d: LearnDevice): string => {
    const g = groupOf(d);
    const set = groups.get(g) ?? new Set<string>();
    set.add(d.key);
    groups.set(g, set);
    return g;
  };
  for (const f of flows) {
    const proto = PROTO[f.proto];
    if (!proto) continue;
    const src = deviceOf(f.srcMac, f.srcIp);
    const dst = deviceOf(f.dstMac, f.dstIp);
    const srcManaged = src !== undefined && managed.has(src.key);
    const dstManaged = dst !== undefined && managed.has(dst.key);
    if (!srcManaged && !dstManaged) continue;
    const from: Endpoint = src ? { group: addGroup(src) } : { cidr: `${f.srcIp}/${f.srcIp.includes(":") ? 128 : 32}` };
    let to: Endpoint;
    if (dst) to = { group: addGroup(dst) };
    else if (nameOf.has(f.dstIp)) to = { dns: nameOf.get(f.dstIp)! };
    else to = { cidr: `${f.dstIp}/${f.dstIp.includes(":") ? 128 : 32}` };
    if (srcManaged && src!.criticality === "life-safety/physical-process" && !dst && !isPrivateIp(f.dstIp) && !/^(22[4-9]|23\d|255)\./.test(f.dstIp)) {
      review.add(`${src!.key} (${src!.category}) reached ${endpointName(to)} ${proto}/${f.dstPort}: no internet rule is learned for life-safety and physical-process devices`);
      continue;
    }
    const key = `${JSON.stringify(from)}|${JSON.stringify(to)}|${proto}`;
    let r = rules.get(key);
    if (!r) {
      r = { from, to, proto, ports: new Set(), seen: 0 };
      rules.set(key, r);
    }
    r.seen++;
    if (proto === "tcp" || proto === "udp") r.ports.add(f.dstPort);
  }
  const expressible = [...rules.values()].filter((r) => {
    if ((r.proto === "tcp" || r.proto === "udp") && ![...r.ports].some((p) => p > 0)) {
      review.add(`${endpointName(r.from)} -> ${endpointName(r.to)} ${r.proto} to port 0 only: no rule can name that port`);
      return false;
    }
    return true;
  });
  const list = expressible.sort((a, b) => b.seen - a.seen).map((r, i): PolicyRule => {
    const ports = r.proto === "tcp" || r.proto === "udp" ? ranges(r.ports).filter(([lo]) => lo > 0) : [];
    const portText = ports.map(([lo, hi]) => (lo === hi ? `${lo}` : `${lo}-${hi}`)).join(",");
    return {
      id: `r${i + 1}`, from: r.from, to: r.to, proto: r.proto, ports, seen: r.seen,
      comment: `${endpointName(r.from)} -> ${endpointName(r.to)} ${r.proto}${portText ? `/${portText}` : ""} (seen ${r.seen})`,
    };
  });
  return {
    name: o.name, version: 1, site: o.site, mode: "monitor",
    groups: Object.fromEntries([...groups].map(([g, s]) => [g, [...s].sort()])),
    managed: [...managed].sort(), rules: list, review: [...review].sort(),
  };
}
