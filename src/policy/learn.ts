import { externalNetwork } from "../baseline/baseline.js";
import { DeviceIndex } from "../baseline/device-index.js";
import { isGroupIp, isPrivateIp } from "../net/addr.js";
import { type FlowRecord, flowWeight } from "../model/flow-record.js";
import { type Endpoint, endpointKey, endpointLabel } from "./endpoint.js";
import type { MudProfile } from "./mud/import.js";
import { mudRules } from "./mud/rules.js";
import { CATEGORIES } from "../classify/taxonomy.js";
import type { GroupSpec, LearnDevice, Policy, PolicyRule, Protocol } from "./model.js";

export type { Endpoint } from "./endpoint.js";

export type { GroupSpec, LearnDevice, Policy, PolicyRule } from "./model.js";

export class GroupSpecError extends Error {}

const SPEC_KEYS = new Set(["name", "devices", "category", "criticality", "site", "vlan"]);

/** Checks group definitions read from a file; the message names the place. */
export function validateGroupSpecs(v: unknown): GroupSpec[] {
  if (!Array.isArray(v)) throw new GroupSpecError("groups: expected a list of group definitions");
  const names = new Set<string>();
  return v.map((g, i) => {
    const at = `groups[${i}]`;
    if (typeof g !== "object" || g === null || Array.isArray(g)) throw new GroupSpecError(`${at}: expected an object`);
    const o = g as Record<string, unknown>;
    for (const k of Object.keys(o)) if (!SPEC_KEYS.has(k)) throw new GroupSpecError(`${at}.${k}: unknown key (known: ${[...SPEC_KEYS].join(", ")})`);
    if (typeof o.name !== "string" || !/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,47}$/.test(o.name)) throw new GroupSpecError(`${at}.name: a name of letters, digits and _.:- up to 48 characters`);
    // Reserved: the names learning gives groups of its own, and the category names, which
    // serve's nac.group_vlans takes as short for category:NAME.
    if (names.has(o.name) || /^(category|device|mud):/.test(o.name) || (CATEGORIES as readonly string[]).includes(o.name)) {
      throw new GroupSpecError(`${at}.name: "${o.name}" is used twice or reserved (category names and the prefixes category:, device:, mud:)`);
    }
    names.add(o.name);
    for (const k of ["category", "criticality", "site"] as const) if (o[k] !== undefined && typeof o[k] !== "string") throw new GroupSpecError(`${at}.${k}: expected a string`);
    if (o.vlan !== undefined && (!Number.isInteger(o.vlan) || (o.vlan as number) < 0 || (o.vlan as number) > 4094)) throw new GroupSpecError(`${at}.vlan: expected a VLAN id 0-4094`);
    if (o.devices !== undefined && (!Array.isArray(o.devices) || o.devices.some((d) => typeof d !== "string"))) throw new GroupSpecError(`${at}.devices: expected a list of device keys (MACs)`);
    if (o.devices === undefined && o.category === undefined && o.criticality === undefined && o.site === undefined && o.vlan === undefined) {
      throw new GroupSpecError(`${at}: a group needs at least one selector (devices, category, criticality, site, vlan)`);
    }
    return o as unknown as GroupSpec;
  });
}

/** What grouping reads of a device. */
export type GroupedDevice = Pick<LearnDevice, "key" | "category" | "criticality" | "site" | "vlan" | "mudUrl">;

/** Whether a device matches every selector of a group definition. */
export const specMatches = (g: GroupSpec, d: GroupedDevice): boolean =>
  (g.devices === undefined || g.devices.some((k) => k.toLowerCase() === d.key.toLowerCase()))
  && (g.category === undefined || g.category === d.category)
  && (g.criticality === undefined || g.criticality === d.criticality)
  && (g.site === undefined || g.site === d.site)
  && (g.vlan === undefined || g.vlan === (d.vlan ?? 0));

/** Categories whose devices a policy governs unless told otherwise: the things that cannot defend themselves. */
const UNMANAGED = new Set(["workstation", "server", "router", "mobile", "network-infrastructure", "unknown"]);

/** A device's group: the first group a person defined that it matches, its MUD profile's, or its category's. */
export interface LearnOptions {
  name: string;
  site: string;
  manageAll?: boolean;
  groups?: readonly GroupSpec[];
  /** MUD profiles by URL: devices that announced (or were assigned) one are grouped and governed by it. */
  mudProfiles?: ReadonlyMap<string, MudProfile>;
}

export const groupOf = (d: GroupedDevice, specs: readonly GroupSpec[] = [], mud?: { has(url: string): boolean }): string =>
  specs.find((g) => specMatches(g, d))?.name
  ?? (d.mudUrl && mud?.has(d.mudUrl) ? `mud:${d.mudUrl}` : d.category === "unknown" ? `device:${d.key}` : `category:${d.category}`);

/**
 * How strictly learning treats a managed device's flows to the internet, by criticality class:
 * life-safety and physical-process devices get no internet rule (flows go to review);
 * sensitive-data devices only to DNS-named endpoints (bare addresses go to review); standard
 * devices to the exact endpoints seen; low-criticality devices to the /24 (IPv6: /48) of a
 * bare address, since their cloud endpoints move within a provider's range.
 */
type Strictness = "no-internet" | "named-only" | "exact" | "network";
const STRICTNESS: Record<string, Strictness> = {
  "life-safety/physical-process": "no-internet", "sensitive-data": "named-only", standard: "exact", low: "network",
};


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


/**
 * Learns an allow-list from observed flows: each flow that a managed device takes part in
 * becomes "initiator's group → responder (its group, the DNS name it was resolved from, or its
 * address) on protocol and port"; rules with the same ends and protocol merge their ports.
 * How far internet flows generalise follows the source's criticality class (see STRICTNESS);
 * what a class may not learn is listed for review instead. Groups are the person's group
 * definitions first, categories otherwise. Pure.
 */
export function learnPolicy(devices: LearnDevice[], flows: Iterable<FlowRecord>, o: LearnOptions): Policy {
  const specs = o.groups ?? [];
  const profiles = o.mudProfiles;
  const index = new DeviceIndex(devices);
  const hasMud = (d: LearnDevice): boolean => d.mudUrl !== undefined && profiles?.has(d.mudUrl) === true;
  const managed = new Set(devices.filter((d) => !d.router && (o.manageAll || hasMud(d) || !UNMANAGED.has(d.category))).map((d) => d.key));
  const rules = new Map<string, { from: Endpoint; to: Endpoint; proto: Protocol; ports: Set<number>; seen: number }>();
  const review = new Set<string>();
  const groups = new Map<string, Set<string>>();
  const addGroup = (d: LearnDevice): string => {
    const g = groupOf(d, specs, profiles);
    const set = groups.get(g) ?? new Set<string>();
    set.add(d.key);
    groups.set(g, set);
    return g;
  };
  for (const d of devices) if (hasMud(d) && managed.has(d.key)) addGroup(d);
  for (const f of flows) {
    const proto = PROTO[f.proto];
    if (!proto) continue;
    const src = index.src(f);
    const dst = index.dst(f);
    const srcManaged = src !== undefined && managed.has(src.key);
    const dstManaged = dst !== undefined && managed.has(dst.key);
    if (!srcManaged && !dstManaged) continue;
    const from: Endpoint = src ? { group: addGroup(src) } : { cidr: `${f.srcIp}/${f.srcIp.includes(":") ? 128 : 32}` };
    const internet = !dst && !isPrivateIp(f.dstIp) && !isGroupIp(f.dstIp);
    const strictness = srcManaged ? STRICTNESS[src!.criticality] ?? "exact" : "exact";
    let to: Endpoint;
    if (dst) to = { group: addGroup(dst) };
    else if (index.dnsName(f.dstIp)) to = { dns: index.dnsName(f.dstIp)! };
    else if (internet && strictness === "network") to = { cidr: externalNetwork(f.dstIp) };
    else to = { cidr: `${f.dstIp}/${f.dstIp.includes(":") ? 128 : 32}` };
    if (internet && strictness === "no-internet") {
      review.add(`${src!.key} (${src!.category}) reached ${endpointLabel(to)} ${proto}/${f.dstPort}: no internet rule is learned for life-safety and physical-process devices`);
      continue;
    }
    if (internet && strictness === "named-only" && !("dns" in to)) {
      review.add(`${src!.key} (${src!.category}) reached ${endpointLabel(to)} ${proto}/${f.dstPort} with no DNS name observed: sensitive-data devices get internet rules only to named endpoints`);
      continue;
    }
    const key = `${JSON.stringify(from)}|${JSON.stringify(to)}|${proto}`;
    let r = rules.get(key);
    if (!r) {
      r = { from, to, proto, ports: new Set(), seen: 0 };
      rules.set(key, r);
    }
    r.seen += flowWeight(f);
    if (proto === "tcp" || proto === "udp") r.ports.add(f.dstPort);
  }
  const expressible = [...rules.values()].filter((r) => {
    if ((r.proto === "tcp" || r.proto === "udp") && ![...r.ports].some((p) => p > 0)) {
      review.add(`${endpointLabel(r.from)} -> ${endpointLabel(r.to)} ${r.proto} to port 0 only: no rule can name that port`);
      return false;
    }
    return true;
  });
  const learned = expressible.sort((a, b) => b.seen - a.seen).map((r, i): PolicyRule => {
    const ports = r.proto === "tcp" || r.proto === "udp" ? ranges(r.ports).filter(([lo]) => lo > 0) : [];
    const portText = ports.map(([lo, hi]) => (lo === hi ? `${lo}` : `${lo}-${hi}`)).join(",");
    return {
      id: `r${i + 1}`, from: r.from, to: r.to, proto: r.proto, ports, seen: r.seen,
      comment: `${endpointLabel(r.from)} -> ${endpointLabel(r.to)} ${r.proto}${portText ? `/${portText}` : ""} (seen ${r.seen})`,
    };
  });
  // Devices with a MUD profile: the manufacturer's rules join the policy, and what they did
  // beyond them stays allowed (nothing seen is dropped) but is named for review.
  const fromMud: PolicyRule[] = [];
  for (const g of groups.keys()) {
    const url = g.startsWith("mud:") ? g.slice(4) : undefined;
    const profile = url ? profiles?.get(url) : undefined;
    if (!profile) continue;
    const m = mudRules(profile, g);
    for (const x of m.review) review.add(x);
    for (const r of m.rules) fromMud.push({ ...r, id: `m${fromMud.length + 1}` });
    const declared = new Map(m.rules.map((r) => [`${endpointKey(r.from)}|${endpointKey(r.to)}|${r.proto}`, r]));
    for (const r of learned) {
      if (endpointKey(r.from) !== g && endpointKey(r.to) !== g) continue;
      const d = declared.get(`${endpointKey(r.from)}|${endpointKey(r.to)}|${r.proto}`);
      const within = d !== undefined && (d.ports.length === 0 || r.ports.every(([lo, hi]) => d.ports.some(([a, b]) => a <= lo && hi <= b)));
      if (!within) review.add(`${r.id} ${r.comment}: beyond the MUD profile ${url}`);
    }
  }
  return {
    name: o.name, version: 1, site: o.site, mode: "monitor",
    groups: Object.fromEntries([...groups].map(([g, s]) => [g, [...s].sort()])),
    ...(specs.length > 0 ? { groupSpecs: [...specs] } : {}),
    managed: [...managed].sort(), rules: [...learned, ...fromMud], review: [...review].sort(),
  };
}
