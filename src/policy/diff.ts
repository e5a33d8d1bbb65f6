import { endpointKey, endpointLabel } from "./endpoint.js";
import type { Policy, PolicyRule } from "./learn.js";

/**
 * What changed between two versions of a policy, in the terms a reviewer approves: rules
 * added and removed (a rule is its two ends and protocol), ports widened or narrowed on the
 * rules both keep, devices that joined or left a group or the managed set, and the mode. Pure.
 */
export interface PolicyDiff {
  mode?: { before: string; after: string };
  rulesAdded: PolicyRule[];
  rulesRemoved: PolicyRule[];
  rulesChanged: { before: PolicyRule; after: PolicyRule; portsAdded: [number, number][]; portsRemoved: [number, number][] }[];
  groups: { name: string; added: string[]; removed: string[] }[];
  managedAdded: string[];
  managedRemoved: string[];
}

const ruleKey = (r: PolicyRule): string => `${endpointKey(r.from)} -> ${endpointKey(r.to)} ${r.proto}`;
const portKey = ([lo, hi]: [number, number]): string => `${lo}-${hi}`;

function setDiff(before: readonly string[], after: readonly string[]): { added: string[]; removed: string[] } {
  const b = new Set(before);
  const a = new Set(after);
  return { added: [...a].filter((x) => !b.has(x)).sort(), removed: [...b].filter((x) => !a.has(x)).sort() };
}

export function diffPolicies(before: Policy, after: Policy): PolicyDiff {
  const b = new Map(before.rules.map((r) => [ruleKey(r), r]));
  const a = new Map(after.rules.map((r) => [ruleKey(r), r]));
  const rulesChanged: PolicyDiff["rulesChanged"] = [];
  for (const [k, ar] of a) {
    const br = b.get(k);
    if (!br) continue;
    const bp = new Map(br.ports.map((p) => [portKey(p), p]));
    const ap = new Map(ar.ports.map((p) => [portKey(p), p]));
    const portsAdded = [...ap].filter(([pk]) => !bp.has(pk)).map(([, p]) => p);
    const portsRemoved = [...bp].filter(([pk]) => !ap.has(pk)).map(([, p]) => p);
    if (portsAdded.length || portsRemoved.length) rulesChanged.push({ before: br, after: ar, portsAdded, portsRemoved });
  }
  const groups: PolicyDiff["groups"] = [];
  for (const name of [...new Set([...Object.keys(before.groups), ...Object.keys(after.groups)])].sort()) {
    const d = setDiff(before.groups[name] ?? [], after.groups[name] ?? []);
    if (d.added.length || d.removed.length) groups.push({ name, ...d });
  }
  const managed = setDiff(before.managed, after.managed);
  return {
    mode: before.mode !== after.mode ? { before: before.mode, after: after.mode } : undefined,
    rulesAdded: [...a].filter(([k]) => !b.has(k)).map(([, r]) => r),
    rulesRemoved: [...b].filter(([k]) => !a.has(k)).map(([, r]) => r),
    rulesChanged, groups, managedAdded: managed.added, managedRemoved: managed.removed,
  };
}

export const isEmptyDiff = (d: PolicyDiff): boolean =>
  !d.mode && !d.rulesAdded.length && !d.rulesRemoved.length && !d.rulesChanged.length && !d.groups.length && !d.managedAdded.length && !d.managedRemoved.length;

const portsText = (ps: [number, number][]): string => ps.map(([lo, hi]) => (lo === hi ? `${lo}` : `${lo}-${hi}`)).join(",");
const ruleText = (r: PolicyRule): string => `${ruleKey(r)}${r.ports.length ? `/${portsText(r.ports)}` : ""}`;

/** The diff as lines: "+" added, "-" removed, "~" changed. */
export function renderDiff(d: PolicyDiff): string[] {
  if (isEmptyDiff(d)) return ["no changes"];
  const out: string[] = [];
  if (d.mode) out.push(`~ mode ${d.mode.before} -> ${d.mode.after}`);
  // An added rule says why, when its comment says more than the rule itself (a compensating control cites its CVEs).
  for (const r of d.rulesAdded) out.push(`+ rule ${ruleText(r)}${r.comment && !r.comment.startsWith(`${endpointLabel(r.from)} -> ${endpointLabel(r.to)}`) ? `  # ${r.comment}` : ""}`);
  for (const r of d.rulesRemoved) out.push(`- rule ${ruleText(r)}`);
  for (const c of d.rulesChanged) {
    out.push(`~ rule ${ruleKey(c.after)}${c.portsAdded.length ? ` +ports ${portsText(c.portsAdded)}` : ""}${c.portsRemoved.length ? ` -ports ${portsText(c.portsRemoved)}` : ""}`);
  }
  for (const g of d.groups) {
    for (const k of g.added) out.push(`+ ${g.name}: ${k}`);
    for (const k of g.removed) out.push(`- ${g.name}: ${k}`);
  }
  for (const k of d.managedAdded) out.push(`+ managed: ${k}`);
  for (const k of d.managedRemoved) out.push(`- managed: ${k}`);
  return out;
}
