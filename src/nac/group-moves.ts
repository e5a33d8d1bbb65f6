import { endpointKey } from "../policy/endpoint.js";
import { type GroupSpec, type LearnDevice, type Policy, type PolicyRule, groupOf, specMatches } from "../policy/learn.js";

/**
 * Group membership that follows the verdicts. An approved policy keeps its group definitions
 * (a person's selectors by category, criticality, site, VLAN or device; else the MUD URL; else
 * the category); at each persist every identified device's group is worked out again from its
 * current verdict. A device whose group changes moves:
 *
 * - at once, when the new group has no right the old one lacked (every rule of the new group,
 *   in each direction, is covered by a rule of the old one to the same peer), or when the
 *   evidence is a MUD URL the operator trusts;
 * - after a person approves (`cordon nac pending`, `cordon nac approve`), when the new group
 *   may reach something the old one could not;
 * - not at all while the new group is not in the policy: that takes a new policy version.
 *
 * A device that was in no group (known after the policy was approved) joining one loses the
 * unrestricted port it had, so it joins at once. Pure.
 */

/** What the regrouping reads of a device now: its learning view without the flows. */
export type LiveDevice = Pick<LearnDevice, "key" | "category" | "criticality" | "site" | "vendor" | "mudUrl"> & { mac: string };

/** A group change for one device, with the verdict change behind it. */
export interface GroupMove {
  site: string;
  mac: string;
  /** The group in force (undefined: the device was in none). */
  from?: string;
  to: string;
  /** "fewer": no new right; "more": a right the old group lacked; "undefined": the policy has no such group. */
  rights: "fewer" | "more" | "undefined";
  /** Applied now, or waiting for a person. */
  at: "now" | "approval";
  reason: string;
}

/**
 * The group a device belongs in now. A VLAN selector is judged on where learning saw the
 * device (its membership in the learned group): the VLAN is what the NAC assigns, not a
 * property a verdict changes.
 */
export function liveGroupOf(d: LiveDevice, policy: Policy, mud: { has(url: string): boolean }): string {
  const specs: readonly GroupSpec[] = policy.groupSpecs ?? [];
  const spec = specs.find((g) => g.vlan === undefined ? specMatches(g, d) : specMatches({ ...g, vlan: undefined }, d) && (policy.groups[g.name] ?? []).includes(d.key));
  return spec?.name ?? groupOf(d, [], mud);
}

/** The rules that give a group its rights, by direction, with the group itself written "self". */
function rightsOf(policy: Policy, group: string): { dir: "out" | "in"; peer: string; rule: PolicyRule }[] {
  const out: { dir: "out" | "in"; peer: string; rule: PolicyRule }[] = [];
  for (const r of policy.rules) {
    const from = endpointKey(r.from);
    const to = endpointKey(r.to);
    const self = (k: string): string => (k === group ? "self" : k);
    if (from === group) out.push({ dir: "out", peer: self(to), rule: r });
    if (to === group) out.push({ dir: "in", peer: self(from), rule: r });
  }
  return out;
}

/** Whether rule `b`'s protocol and ports lie within rule `a`'s ("any" covers every protocol, no ports every port). */
function covers(a: PolicyRule, b: PolicyRule): boolean {
  if (a.proto !== "any" && a.proto !== b.proto) return false;
  if (a.ports.length === 0) return true;
  if (b.ports.length === 0) return false;
  return b.ports.every(([lo, hi]) => a.ports.some(([x, y]) => x <= lo && hi <= y));
}

/** Whether every right of `to` is a right `from` already had: a move from `from` to `to` takes nothing new. */
export function noNewRights(policy: Policy, from: string, to: string): boolean {
  const had = rightsOf(policy, from);
  return rightsOf(policy, to).every((n) => had.some((o) => o.dir === n.dir && (o.peer === n.peer || o.peer === "any") && covers(o.rule, n.rule)));
}

export interface PlanInput {
  policy: Policy;
  devices: readonly LiveDevice[];
  /** The group each device is in now (moves already made, else the learned membership). */
  inForce(key: string): string | undefined;
  /** A move waiting for a person, per device key: where to. */
  waiting(key: string): string | undefined;
  mud: { has(url: string): boolean };
  /** Whether the operator trusts this MUD URL enough to follow it without a person. */
  trustedMud(url: string): boolean;
  /** What changed in the device's verdict, for the move's reason. */
  because(d: LiveDevice): string;
}

/** The moves the current verdicts call for (devices whose group is unchanged, or whose move already waits, call for none). */
export function planMoves(input: PlanInput): GroupMove[] {
  const { policy } = input;
  const moves: GroupMove[] = [];
  for (const d of input.devices) {
    const to = liveGroupOf(d, policy, input.mud);
    const from = input.inForce(d.key);
    if (to === from || input.waiting(d.key) === to) continue;
    const defined = Object.hasOwn(policy.groups, to);
    // A device in no group whose own group the policy lacks stays as it was: a new version learns it.
    if (!defined && from === undefined) continue;
    const why = input.because(d);
    if (!defined) {
      moves.push({ site: d.site ?? policy.site, mac: d.mac, from, to, rights: "undefined", at: "approval", reason: `${why}; policy ${policy.name} v${policy.version} has no group ${to}: learn and approve a new version` });
      continue;
    }
    const fewer = from === undefined || noNewRights(policy, from, to);
    const trusted = to.startsWith("mud:") && input.trustedMud(to.slice(4));
    const reason = fewer ? `${why}; ${to} has no right ${from ?? "an unrestricted port"} lacked`
      : trusted ? `${why}; ${to} may reach more, and its MUD URL is trusted` : `${why}; ${to} may reach more than ${from}: waits for a person`;
    moves.push({ site: d.site ?? policy.site, mac: d.mac, from, to, rights: fewer ? "fewer" : "more", at: fewer || trusted ? "now" : "approval", reason });
  }
  return moves;
}
