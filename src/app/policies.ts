import { readFileSync } from "node:fs";
import { diffPolicies, renderDiff } from "../policy/diff.js";
import { classificationOf } from "./classification.js";
import { checkTransition } from "../policy/lifecycle.js";
import { compileDownloadableAcl, compileIosAcl, compilePerUserAcl } from "../policy/compile/cisco.js";
import { compileIptables } from "../policy/compile/iptables.js";
import { compileNasFilterRules } from "../policy/compile/nas-filter-rule.js";
import { compileNftables } from "../policy/compile/nftables.js";
import { familiesOf } from "../policy/compile/port-acl.js";
import { type GroupSpec, GroupSpecError, validateGroupSpecs } from "../policy/learn.js";
import { PolicyError } from "../policy/model.js";
import { exportMud } from "../policy/mud/export.js";
import { mudAuthority } from "../policy/resolve.js";
import { compileArubaRole } from "../policy/compile/aruba.js";
import { TARGETS } from "../policy/compile/targets.js";
import { type Verdict, judgeWith, simulate } from "../policy/simulate.js";
import { Store, type StoredPolicy } from "../store/store.js";
import { analyzeCaptures } from "./analyze-captures.js";
import { readListFile } from "./list-file.js";
import type { Policy } from "../policy/learn.js";
import type { ResolvedPolicy } from "../policy/model.js";
import { InputError } from "./errors.js";
import { type Actor, recordChange } from "./actor.js";

/** A learned policy file: the policy as a person reviews it, and its addresses resolved for the compilers. */
export interface PolicyFile {
  policy: Policy;
  resolved: ResolvedPolicy;
}

/** A policy file's text, parsed; `where` names it in the error. */
export function parsePolicyFile(text: string, where: string): PolicyFile {
  try {
    const f = JSON.parse(text) as PolicyFile;
    if (!f || typeof f !== "object" || !f.resolved || !f.policy) throw new Error("not a policy file (no \"policy\" and \"resolved\")");
    return f;
  } catch (e) {
    throw new InputError(`${where}: ${(e as Error).message}`);
  }
}

export const policyFileOf = (p: StoredPolicy): PolicyFile => parsePolicyFile(p.body, `policy ${p.id}`);

/** Each site's policy in force: its newest enforced version, else its newest approved one. */
export function policiesInForce(store: Store): { stored: StoredPolicy; file: PolicyFile }[] {
  const chosen = new Map<string, StoredPolicy>();
  for (const status of ["approved", "enforced"] as const) {
    // policies() is newest first; enforced ones, looked at last, win over approved ones.
    for (const p of [...store.policies()].reverse()) if (p.status === status) chosen.set(p.site, p);
  }
  return [...chosen.values()].map((stored) => ({ stored, file: policyFileOf(stored) }));
}

/** Reads a group definitions file (YAML or JSON: a list, or an object with a "groups" list). */
export const readGroupSpecs = (path: string): GroupSpec[] => readListFile(path, "groups", validateGroupSpecs, GroupSpecError);

export function readPolicyFile(path: string): PolicyFile {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new InputError(`${path}: ${(e as Error).message}`);
  }
  return parsePolicyFile(text, path);
}

/** Stores a learned or edited policy as a new proposed version. */
export function proposePolicy(store: Store, f: PolicyFile, by: Actor, note?: string): StoredPolicy {
  const body = (version: number): string => JSON.stringify({ policy: { ...f.policy, version }, resolved: { ...f.resolved, version } });
  const { id, version } = store.savePolicy({ name: f.policy.name, site: f.policy.site, body, actor: by.name, at: new Date().toISOString(), note });
  recordChange(store, by, { action: "policy.propose", target: `policy ${id}`, detail: `${f.policy.name} version ${version}`, site: f.policy.site });
  return store.policy(id)!;
}

/** A stored policy version by id, or the newest version when `ref` is "latest". */
export function storedPolicy(store: Store, ref: string): StoredPolicy {
  if (ref === "latest") {
    const p = store.policies()[0];
    if (!p) throw new InputError("no policy is stored yet: run cordon policy learn");
    return p;
  }
  if (!/^\d+$/.test(ref)) throw new InputError(`"${ref}" is not a policy id`);
  const p = store.policy(Number(ref));
  if (!p) throw new InputError(`no policy ${ref} (cordon policy list shows them)`);
  return p;
}

/** `--policy ID|FILE`: a stored version by id, or a policy file. */
export function loadPolicy(ref: string, db: string): PolicyFile {
  if (!/^\d+$/.test(ref) && ref !== "latest") return readPolicyFile(ref);
  const store = new Store(db, { readOnly: true });
  try {
    return policyFileOf(storedPolicy(store, ref));
  } finally {
    store.close();
  }
}

/** Moves a stored version along its life (approve, reject, enforce), recording who did it. */
export function movePolicy(store: Store, ref: string, to: "approved" | "rejected" | "enforced", by: Actor, note?: string): StoredPolicy {
  const p = storedPolicy(store, ref);
  try {
    checkTransition(p.id, p.status, to);
  } catch (e) {
    if (e instanceof PolicyError) throw new InputError(e.message);
    throw e;
  }
  store.setPolicyStatus(p.id, to, { actor: by.name, at: new Date().toISOString(), note });
  const verb = to === "approved" ? "approve" : to === "rejected" ? "reject" : "enforce";
  recordChange(store, by, { action: `policy.${verb}`, target: `policy ${p.id}`, detail: `${p.name} version ${p.version}${note ? `: ${note}` : ""}`, site: p.site });
  return store.policy(p.id)!;
}

/**
 * A group's rules as a MUD file. Its URL: --url, else the MUD URL its devices announced (when
 * they agree), else one under mud.cordon.invalid that names the site and group (a reserved
 * name, so nothing tries to fetch it).
 */
export function mudFor(f: PolicyFile, group: string, url?: string): Record<string, unknown> {
  if (!f.policy.groups[group]) throw new InputError(`no group "${group}" in policy ${f.policy.name} version ${f.policy.version} (groups: ${Object.keys(f.policy.groups).join(", ")})`);
  const announced = group.startsWith("mud:") ? group.slice(4) : undefined;
  const u = url ?? announced ?? `https://mud.cordon.invalid/${encodeURIComponent(f.policy.site)}/${encodeURIComponent(group)}`;
  try {
    return exportMud(f.policy.rules, group, {
      url: u, lastUpdate: new Date().toISOString(), mfgName: announced ? mudAuthority(announced) : undefined,
      systeminfo: `${group}: ${f.policy.groups[group].length} device(s), Cordon policy ${f.policy.name} version ${f.policy.version}`,
    });
  } catch (e) {
    if (e instanceof PolicyError) throw new InputError(e.message);
    throw e;
  }
}

/** `cordon policy compile`: the resolved policy for one target (port targets for one device set). */
export function compileFor(f: PolicyFile, target: string, device: string | undefined, mode: string | undefined): string {
  const p: ResolvedPolicy = { ...f.resolved, mode: mode === "enforce" ? "enforce" : mode === "monitor" ? "monitor" : f.resolved.mode };
  const needDevice = (): string => {
    if (!device) throw new InputError(`--target ${target} compiles the ACL of one device set: name it with --device (one of: ${p.sets.map((s) => s.name).join(", ")})`);
    return device;
  };
  try {
    switch (target) {
      case "nftables": return compileNftables(p);
      case "iptables": return compileIptables(p, 4);
      case "ip6tables": return compileIptables(p, 6);
      case "cisco-acl": return familiesOf(p, needDevice()).map((family) => compileIosAcl(p, device!, family)).join("!\n");
      case "per-user-acl": return `${compilePerUserAcl(p, needDevice()).map((v) => `Cisco-AVPair = "${v}"`).join("\n")}\n`;
      case "dacl": return familiesOf(p, needDevice()).map((family) => {
        const d = compileDownloadableAcl(p, device!, family);
        return [`# Access-Accept: Cisco-AVPair = "${d.accessAccept}"`, ...d.packets.flatMap((packet, i) => [`# ${d.name} download packet ${i + 1}`, ...packet.map((v) => `Cisco-AVPair = "${v}"`)])].join("\n") + "\n";
      }).join("");
      case "aruba": {
        const r = compileArubaRole(p, needDevice());
        return `${r.config}! Access-Accept: ${r.accessAccept}\n`;
      }
      case "mud": return `${JSON.stringify(mudFor(f, needDevice()), null, 2)}\n`;
      case "nas-filter-rule": return `${compileNasFilterRules(p, needDevice()).rules.map((r) => `NAS-Filter-Rule = "${r}"`).join("\n")}\n`;
      default: throw new InputError(`unknown target "${target}" (known: ${TARGETS.join(", ")})`);
    }
  } catch (e) {
    if (e instanceof PolicyError) throw new InputError(e.message);
    throw e;
  }
}

/** `cordon policy simulate`: every flow of the captures judged against the policy. */
export async function simulateCaptures(f: PolicyFile, captures: string[]): Promise<Verdict[]> {
  const store = new Store(":memory:");
  try {
    await analyzeCaptures(store, captures, f.policy.site);
    return simulate(f.resolved, store.flows());
  } finally {
    store.close();
  }
}

export interface SimulationSummary {
  flows: number;
  dropped: number;
  /** Flows allowed, per rule, most first. */
  allowedBy: { rule: string; flows: number }[];
  /** What would be dropped, grouped by source, destination and service (source port aside), most first. */
  drops: { srcIp: string; srcMac: string | null; dstIp: string; proto: string; dstPort: number; flows: number; firstSeen: string; lastSeen: string }[];
}

const PROTOCOL: Record<number, string> = { 1: "icmp", 6: "tcp", 17: "udp", 58: "icmpv6" };

/** A simulation's verdicts, summed as a reviewer reads them (read as a stream: nothing per flow is kept). */
export function summariseSimulation(verdicts: Iterable<Verdict>): SimulationSummary {
  let flows = 0;
  const byRule = new Map<string, number>();
  const drops = new Map<string, { srcIp: string; srcMac: string | null; dstIp: string; proto: string; dstPort: number; flows: number; firstUs: number; lastUs: number }>();
  for (const v of verdicts) {
    flows++;
    if (v.allowed) {
      byRule.set(v.reason, (byRule.get(v.reason) ?? 0) + 1);
      continue;
    }
    const f = v.flow;
    const key = `${f.srcIp} ${f.srcMac ?? ""} ${f.dstIp} ${f.proto} ${f.dstPort}`;
    const d = drops.get(key);
    if (d) {
      d.flows++;
      d.firstUs = Math.min(d.firstUs, f.firstUs);
      d.lastUs = Math.max(d.lastUs, f.lastUs);
    } else drops.set(key, { srcIp: f.srcIp, srcMac: f.srcMac ?? null, dstIp: f.dstIp, proto: PROTOCOL[f.proto] ?? String(f.proto), dstPort: f.dstPort, flows: 1, firstUs: f.firstUs, lastUs: f.lastUs });
  }
  const iso = (us: number): string => new Date(us / 1000).toISOString();
  const grouped = [...drops.values()].sort((a, b) => b.flows - a.flows || a.firstUs - b.firstUs);
  return {
    flows, dropped: grouped.reduce((n, d) => n + d.flows, 0),
    allowedBy: [...byRule].sort((a, b) => b[1] - a[1]).map(([rule, n]) => ({ rule, flows: n })),
    drops: grouped.map(({ firstUs, lastUs, ...d }) => ({ ...d, firstSeen: iso(firstUs), lastSeen: iso(lastUs) })),
  };
}

/**
 * A stored policy version judged against the flows its site's store holds (those still going
 * at or after `fromUs` when given): what it would allow and drop if it were enforced now.
 */
export function simulateStored(store: Store, ref: string, o: { fromUs?: number; maxDrops?: number } = {}): Omit<SimulationSummary, "allowedBy"> & { policy: number; site: string; allowedBy: { rule: string; comment: string; flows: number }[] } {
  const p = storedPolicy(store, ref);
  const resolved = policyFileOf(p).resolved;
  const comments = new Map(resolved.rules.map((r) => [r.id, r.comment]));
  const judge = judgeWith(resolved);
  function* verdicts(): Generator<Verdict> {
    for (const f of store.eachFlow(p.site)) if (o.fromUs === undefined || f.lastUs >= o.fromUs) yield judge(f);
  }
  const s = summariseSimulation(verdicts());
  return { policy: p.id, site: p.site, ...s, allowedBy: s.allowedBy.map((a) => ({ ...a, comment: comments.get(a.rule) ?? a.rule })), drops: s.drops.slice(0, o.maxDrops ?? s.drops.length) };
}

/** A stored policy version in a list: what it is, how big, and who moved it last. */
export function policyListView(p: StoredPolicy): { id: number; name: string; version: number; site: string; status: string; mode: string; rules: number; managed: number; changed_by: string | null; changed_at: string | null } {
  const f = policyFileOf(p);
  const last = p.events[p.events.length - 1];
  return { id: p.id, name: p.name, version: p.version, site: p.site, status: p.status, mode: f.policy.mode, rules: f.policy.rules.length, managed: f.policy.managed.length, changed_by: last?.actor ?? null, changed_at: last?.at ?? null };
}

/**
 * The devices a policy governs whose criticality is one of `tiers` (the classes a person
 * approves for first): deciding on such a policy takes an OT engineer, and not the person who
 * proposed it (serve's API).
 */
export function policyTierDevices(store: Store, p: StoredPolicy, tiers: readonly string[]): string[] {
  const managed = new Set(policyFileOf(p).policy.managed);
  const found: string[] = [];
  for (const d of store.eachDevice(p.site)) {
    if (!managed.has(d.key)) continue;
    const c = classificationOf(d, store.latestVerdicts([d.id]).get(d.id), store.overrides([d.id]).get(d.id));
    if (tiers.includes(c.criticality)) found.push(d.key);
  }
  return found;
}

/** What a version changes against the version before it of the same policy (none before: against an empty policy), for a reviewer. */
export function policyChanges(store: Store, ref: string): { from: number | null; to: number; lines: string[] } {
  const p = storedPolicy(store, ref);
  const before = store.policies().find((x) => x.name === p.name && x.version === p.version - 1);
  const after = policyFileOf(p).policy;
  const empty = { ...after, rules: [], groups: {}, managed: [] };
  const d = diffPolicies(before ? policyFileOf(before).policy : empty, after);
  return { from: before?.id ?? null, to: p.id, lines: renderDiff(d) };
}
