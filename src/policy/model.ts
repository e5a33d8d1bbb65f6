import { isIPv6 } from "node:net";
import type { SiteDevice } from "../baseline/device-index.js";
import type { Endpoint } from "./endpoint.js";

/**
 * A segmentation policy as the compilers take it: default deny for the managed devices, and
 * rules that allow new connections from one address set to another on given protocols and
 * ports (the initiator is the rule's `from` side; replies ride on connection tracking).
 * Groups, device names and DNS names are already resolved to addresses here, each set keeping
 * the list of what it was made from, so a compiled ruleset can say why an address is in it.
 */

/** A named set of addresses, with the members it was resolved from (device MACs, DNS names and their answers). */
export interface AddressSet {
  name: string;
  v4: string[];
  v6: string[];
  members: string[];
}

export const PROTOCOLS = ["tcp", "udp", "icmp", "any"] as const;
export type Protocol = (typeof PROTOCOLS)[number];

export interface ResolvedRule {
  id: string;
  /** A line a person reads in the ruleset: what the rule allows and why. */
  comment: string;
  /** Initiator side; "any" matches every address. */
  from: string | "any";
  /** Responder side. */
  to: string | "any";
  proto: Protocol;
  /** Destination port ranges (inclusive); empty means every port. Only for tcp and udp. */
  ports: [number, number][];
}

export interface ResolvedPolicy {
  name: string;
  version: number;
  /** monitor: what would be dropped is counted and logged, and allowed; enforce: dropped. */
  mode: "monitor" | "enforce";
  /** The set of addresses the policy governs (by name in `sets`): their traffic is judged, others' passes. */
  managed: string;
  sets: AddressSet[];
  rules: ResolvedRule[];
}

/**
 * A policy before resolution: who may start what with whom, in the terms a person reviews
 * (groups of devices by category, DNS names of cloud endpoints, networks otherwise).
 */
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
  /** Group name → device keys (MAC, or ip:ADDRESS for devices known by address), as learning found them. */
  groups: Record<string, string[]>;
  /**
   * The group definitions a person gave (first match wins), kept so that membership can follow
   * a device's verdict after approval; devices matching none are grouped by MUD URL or category.
   */
  groupSpecs?: GroupSpec[];
  /** Device keys the policy governs. */
  managed: string[];
  rules: PolicyRule[];
  /** What learning left out on purpose, for a person to decide. */
  review: string[];
}

/** What learning reads of a device: its key, addresses, category and criticality, and the DNS answers it received. */
export interface LearnDevice extends SiteDevice {
  criticality: string;
  site?: string;
  /** The VLAN most of its traffic was seen on (0: untagged). */
  vlan?: number;
  vendor?: string;
  /** The MUD URL it announced (DHCP option 161, LLDP). */
  mudUrl?: string;
}

/**
 * A group a person defines: the devices that match every given selector (explicit device
 * keys, category, criticality class, site, VLAN). A device joins the first group it matches;
 * devices matching none are grouped by category.
 */
export interface GroupSpec {
  name: string;
  devices?: string[];
  category?: string;
  criticality?: string;
  site?: string;
  vlan?: number;
}

export class PolicyError extends Error {}

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(\/(\d{1,2}))?$/;

/** True for an IPv4 address or CIDR in dotted form. */
export function isIpv4Prefix(s: string): boolean {
  const m = IPV4.exec(s);
  if (!m) return false;
  if ([m[1], m[2], m[3], m[4]].some((o) => Number(o) > 255)) return false;
  return m[6] === undefined || Number(m[6]) <= 32;
}

/** True for an IPv6 address or CIDR. */
export function isIpv6Prefix(s: string): boolean {
  const [addr, len, extra] = s.split("/");
  if (extra !== undefined || !isIPv6(addr)) return false;
  return len === undefined || (/^\d{1,3}$/.test(len) && Number(len) <= 128);
}

/**
 * Checks a resolved policy before any target sees it: names resolve, addresses parse, ports
 * are ranges within 1–65535 and only on tcp/udp. The message names the place.
 */
export function validatePolicy(p: ResolvedPolicy): void {
  const names = new Set<string>();
  p.sets.forEach((s, i) => {
    if (!s.name) throw new PolicyError(`sets[${i}].name: empty`);
    if (names.has(s.name)) throw new PolicyError(`sets[${i}].name: "${s.name}" is defined twice`);
    names.add(s.name);
    s.v4.forEach((a, k) => {
      if (!isIpv4Prefix(a)) throw new PolicyError(`sets[${i}].v4[${k}]: "${a}" is not an IPv4 address or prefix`);
    });
    s.v6.forEach((a, k) => {
      if (!isIpv6Prefix(a)) throw new PolicyError(`sets[${i}].v6[${k}]: "${a}" is not an IPv6 address or prefix`);
    });
  });
  if (!names.has(p.managed)) throw new PolicyError(`managed: no set named "${p.managed}"`);
  const ids = new Set<string>();
  p.rules.forEach((r, i) => {
    if (!r.id || ids.has(r.id)) throw new PolicyError(`rules[${i}].id: ${r.id ? `"${r.id}" is used twice` : "empty"}`);
    ids.add(r.id);
    for (const side of ["from", "to"] as const) {
      if (r[side] !== "any" && !names.has(r[side])) throw new PolicyError(`rules[${i}].${side}: no set named "${r[side]}"`);
    }
    // A policy file is input too: only a known protocol reaches a target's syntax.
    if (!PROTOCOLS.includes(r.proto)) throw new PolicyError(`rules[${i}].proto: must be one of ${PROTOCOLS.join(", ")}`);
    if (r.ports.length > 0 && r.proto !== "tcp" && r.proto !== "udp") throw new PolicyError(`rules[${i}].ports: ports need tcp or udp, not ${r.proto}`);
    r.ports.forEach(([lo, hi], k) => {
      if (!Number.isInteger(lo) || !Number.isInteger(hi) || lo < 1 || hi > 65535 || lo > hi) {
        throw new PolicyError(`rules[${i}].ports[${k}]: ${lo}-${hi} is not a port range within 1-65535`);
      }
    });
  });
}

function addressToBig(a: string): bigint {
  if (!a.includes(":")) return BigInt(a.split(".").reduce((x, o) => x * 256 + Number(o), 0));
  const [head, tail] = a.split("::");
  const h = head ? head.split(":") : [];
  const t = tail !== undefined && tail !== "" ? tail.split(":") : [];
  const groups = tail === undefined ? h : [...h, ...new Array(8 - h.length - t.length).fill("0"), ...t];
  return groups.reduce((x, g) => (x << 16n) + BigInt(Number.parseInt(g || "0", 16)), 0n);
}

/** The first and last address of an address or prefix (IPv4 or IPv6), as integers. */
export function addressRange(p: string): [bigint, bigint] {
  const [a, len] = p.split("/");
  const width = a.includes(":") ? 128 : 32;
  const bits = len === undefined ? width : Number(len);
  const size = 1n << BigInt(width - bits);
  const start = (addressToBig(a) / size) * size;
  return [start, start + size - 1n];
}

/** Text safe inside a quoted comment of any target: printable ASCII, no quotes or line breaks, bounded. */
export function commentText(s: string, max: number): string {
  const t = s.replace(/→/g, "->").replace(/["\\\n\r\t]/g, " ").replace(/[^\x20-\x7e]/g, "?");
  return t.length > max ? `${t.slice(0, max - 3)}...` : t;
}
