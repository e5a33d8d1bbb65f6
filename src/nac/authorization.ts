import { compileArubaRole } from "../policy/compile/aruba.js";
import { compileDownloadableAcl, compilePerUserAcl, iosAclName } from "../policy/compile/cisco.js";
import { familiesOf } from "../policy/compile/port-acl.js";
import { compileNasFilterRules } from "../policy/compile/nas-filter-rule.js";
import { PolicyError, type ResolvedPolicy } from "../policy/model.js";
import { quarantinePolicy } from "../policy/quarantine.js";
import type { AclStyle } from "./nas.js";
import { type IdentityStrength, identityAtLeast } from "../model/identity.js";
import { ARUBA_USER_ROLE, ATTR, CISCO_AVPAIR, VENDOR } from "./radius/constants.js";

/**
 * What the RADIUS server answers for a MAC, worked out ahead of time: the authorisation
 * table. The ingest side builds it from the inventory, the newest enforced (else approved)
 * policy and the quarantine list, and hands it to the thread that owns the RADIUS socket,
 * which answers from memory. Building and deciding are pure.
 */

/** One reply attribute, plain data (it crosses threads): a string is UTF-8, a number a 32-bit integer. */
export interface ReplyAttribute {
  type: number;
  value: string | number;
  /** A vendor-specific sub-attribute of this vendor. */
  vendor?: number;
  /** RFC 2868 tag for tagged integers. */
  tag?: number;
}

/** What a class of device gets: a VLAN and, per ACL style, attributes (or why that style cannot carry them). */
export interface AuthProfile {
  name: string;
  vlan?: string;
  acl: Partial<Record<AclStyle, ReplyAttribute[] | string>>;
  /** The downloadable ACLs its `dacl` attributes name, per family: what a switch's download gets. */
  dacls?: DaclContent[];
  /** The identity a device must have to get this profile; below it, onboarding. */
  minIdentity?: IdentityStrength;
}

/** A downloadable ACL as served: its name and its `ip:inacl#N=` values, split into packets. */
export interface DaclContent {
  name: string;
  packets: string[][];
}

export type NacState = "managed" | "registered" | "unknown" | "quarantined";

export interface NacDevice {
  /** The profile of its policy group, when a policy governs it. */
  group?: string;
  /** Set while the device is in quarantine: since when, who, why. */
  quarantine?: { since: string; by: string; reason: string };
  /** How strongly its identity is established, when a group of the table asks for a minimum. */
  identity?: IdentityStrength;
}

export interface NacPolicyRef {
  id: number;
  name: string;
  version: number;
  status: string;
}

export interface NacTable {
  /** "site mac" → what the inventory and policy say of the device. */
  devices: Record<string, NacDevice>;
  /** Profiles by name: "onboarding", "registered", "quarantine", and "group:SITE:NAME" per policy group. */
  profiles: Record<string, AuthProfile>;
  /** The policy each site's groups came from. */
  policies: Record<string, NacPolicyRef>;
  /** Unknown MACs: sent to the onboarding VLAN, or rejected. */
  unknown: "onboard" | "reject";
}

export interface NacSettings {
  vlans: { onboarding: string; quarantine: string; registered?: string };
  /** Extra VLANs per policy group name (a group without one keeps the port's VLAN and gets its ACL). */
  groupVlans: Record<string, string>;
  /** The identity strength a policy group's devices must have (model/identity.ts); below it, onboarding. */
  groupMinIdentity?: Record<string, IdentityStrength>;
  /** Addresses a quarantined device may still reach: the quarantine management interface. */
  quarantineAllow: string[];
  unknown: "onboard" | "reject";
}

export interface Decision {
  state: NacState | "rejected";
  accept: boolean;
  profile?: AuthProfile;
  reason: string;
}

export const groupProfile = (site: string, group: string): string => `group:${site}:${group}`;
export const deviceKey = (site: string, mac: string): string => `${site} ${mac}`;

/** The ACL of one device set in each style (or why a style cannot carry it), and its downloadable ACLs. */
export function aclAttributes(p: ResolvedPolicy, set: string): Pick<AuthProfile, "acl" | "dacls"> {
  const attempt = <T>(f: () => T): T | string => {
    try {
      return f();
    } catch (e) {
      if (e instanceof PolicyError) return e.message;
      throw e;
    }
  };
  const dacls = attempt(() => familiesOf(p, set).map((f) => compileDownloadableAcl(p, set, f)));
  const acl: AuthProfile["acl"] = {
    "per-user": attempt(() => compilePerUserAcl(p, set).map((v) => ({ type: CISCO_AVPAIR, vendor: VENDOR.cisco, value: v }))),
    dacl: typeof dacls === "string" ? dacls : dacls.map((d) => ({ type: CISCO_AVPAIR, vendor: VENDOR.cisco, value: d.accessAccept })),
    "filter-id": attempt(() => [{ type: ATTR.filterId, value: iosAclName(p, set, 4) }]),
    "nas-filter-rule": attempt(() => compileNasFilterRules(p, set).attributes.map((b) => ({ type: ATTR.nasFilterRule, value: b.toString("latin1") }))),
    "aruba-role": attempt(() => [{ type: ARUBA_USER_ROLE, vendor: VENDOR.aruba, value: compileArubaRole(p, set).role }]),
    none: [],
  };
  return { acl, dacls: typeof dacls === "string" ? [] : dacls.map((d) => ({ name: d.name, packets: d.packets })) };
}

/** The authorisation table from plain inputs (see `NacTable`). Pure. */
export function buildNacTable(input: {
  settings: NacSettings;
  /** Known devices per site (their MACs, canonical). */
  devices: { site: string; mac: string }[];
  /** Each site's policy in force, resolved, with its groups (group name → device keys). */
  policies: { site: string; ref: NacPolicyRef; resolved: ResolvedPolicy; groups: Record<string, string[]> }[];
  quarantines: { site: string; mac: string; since: string; by: string; reason: string }[];
  /** Each device's identity strength by "SITE MAC", when a group asks for a minimum. */
  identities?: ReadonlyMap<string, IdentityStrength>;
}): NacTable {
  const s = input.settings;
  const table: NacTable = { devices: {}, profiles: {}, policies: {}, unknown: s.unknown };
  table.profiles.onboarding = { name: "onboarding", vlan: s.vlans.onboarding, acl: {} };
  table.profiles.registered = { name: "registered", vlan: s.vlans.registered, acl: {} };
  table.profiles.quarantine = { name: "quarantine", vlan: s.vlans.quarantine, ...aclAttributes(quarantinePolicy(s.quarantineAllow), "quarantine") };
  for (const d of input.devices) table.devices[deviceKey(d.site, d.mac)] = {};
  for (const p of input.policies) {
    table.policies[p.site] = p.ref;
    const sets = new Set(p.resolved.sets.map((x) => x.name));
    for (const [group, members] of Object.entries(p.groups)) {
      const name = groupProfile(p.site, group);
      table.profiles[name] = {
        name: `${group} (policy ${p.ref.name} v${p.ref.version})`, vlan: s.groupVlans[group], ...(s.groupMinIdentity?.[group] ? { minIdentity: s.groupMinIdentity[group] } : {}),
        ...(sets.has(group) ? aclAttributes(p.resolved, group) : { acl: {} }),
      };
      for (const m of members) {
        if (!/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/.test(m)) continue;
        const k = deviceKey(p.site, m);
        table.devices[k] = { ...table.devices[k], group: name };
      }
    }
  }
  for (const [k, strength] of input.identities ?? []) if (table.devices[k]) table.devices[k] = { ...table.devices[k], identity: strength };
  for (const q of input.quarantines) {
    const k = deviceKey(q.site, q.mac);
    table.devices[k] = { ...table.devices[k], quarantine: { since: q.since, by: q.by, reason: q.reason } };
  }
  return table;
}

/**
 * What a request for `mac` at a NAS of `site` gets: MAB, or EAP-TLS with `presented` the
 * identity the request itself proved (a certificate). A device whose group asks for a
 * stronger identity than it has gets the onboarding VLAN instead. Pure.
 */
export function decide(table: NacTable, site: string, mac: string, presented?: IdentityStrength): Decision {
  const d = table.devices[deviceKey(site, mac)];
  if (d?.quarantine) {
    return { state: "quarantined", accept: true, profile: table.profiles.quarantine, reason: `quarantined since ${d.quarantine.since} by ${d.quarantine.by}: ${d.quarantine.reason}` };
  }
  if (d?.group) {
    const profile = table.profiles[d.group];
    const identity = presented === "certificate" && d.identity !== "conflict" ? presented : d.identity ?? "mac";
    if (profile.minIdentity && !identityAtLeast(identity, profile.minIdentity)) {
      return { state: "unknown", accept: true, profile: table.profiles.onboarding, reason: `group ${profile.name} requires identity ${profile.minIdentity}; this device has ${identity}: onboarding VLAN` };
    }
    return { state: "managed", accept: true, profile, reason: `known device in group ${profile.name}` };
  }
  if (d) {
    const p = table.policies[site];
    return { state: "registered", accept: true, profile: table.profiles.registered, reason: p ? `known device, not governed by policy ${p.name} v${p.version}` : "known device; no approved policy for the site yet" };
  }
  if (table.unknown === "reject") return { state: "rejected", accept: false, reason: "unknown device, and unknown devices are rejected" };
  return { state: "unknown", accept: true, profile: table.profiles.onboarding, reason: "unknown device: onboarding VLAN" };
}
