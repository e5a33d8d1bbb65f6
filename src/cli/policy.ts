import { readFileSync } from "node:fs";
import { buildBaselines } from "../baseline/baseline.js";
import { DeviceIndex } from "../baseline/device-index.js";
import type { FlowRecord } from "../model/flow-record.js";
import type { PolicyStatus } from "../model/policy-status.js";
import { diffPolicies, renderDiff } from "../policy/diff.js";
import { checkTransition } from "../policy/lifecycle.js";
import { compileDownloadableAcl, compileIosAcl, compilePerUserAcl } from "../policy/compile/cisco.js";
import { compileIptables } from "../policy/compile/iptables.js";
import { compileNasFilterRules } from "../policy/compile/nas-filter-rule.js";
import { compileNftables } from "../policy/compile/nftables.js";
import { familiesOf } from "../policy/compile/port-acl.js";
import { type GroupSpec, GroupSpecError, type LearnDevice, learnPolicy, validateGroupSpecs } from "../policy/learn.js";
import { PolicyError, type ResolvedPolicy } from "../policy/model.js";
import { type MudProfile, parseMud } from "../policy/mud/import.js";
import { exportMud } from "../policy/mud/export.js";
import { mudAuthority, resolvePolicy } from "../policy/resolve.js";
import { compileArubaRole } from "../policy/compile/aruba.js";
import { type Verdict, simulate } from "../policy/simulate.js";
import { Store, type StoredPolicy } from "../store/store.js";
import { NacStore } from "../store/nac.js";
import { addressesOf } from "../inventory/view.js";
import { type QuarantineSpan, leaveOutAttacks } from "../policy/clean-flows.js";
import { analyzeCaptures } from "../app/analyze-captures.js";
import { learnDevices } from "../app/site-devices.js";
import { type PolicyFile, parsePolicyFile, policyFileOf } from "../app/policies.js";

export type { PolicyFile };
import { UsageError, readListFile, table } from "./output.js";

/** `cordon policy learn`: a policy from everything the database holds for a site. */
export function learnFromStore(store: Store, site: string, o: { manageAll?: boolean; groups?: GroupSpec[] } = {}): PolicyFile {
  const all = store.flowGroups(site);
  // Flows that took part in an attack, or of a device in quarantine, are not the site's work.
  const { clean: flows, leftOut } = leaveOutAttacks(all, store.alerts().filter((a) => a.site === site), quarantineSpans(store, site), otStaff(store, site));
  const devices = learnDevices(store, site, flows);
  const mudProfiles = storedMudProfiles(store);
  const policy = learnPolicy(devices, flows, { name: `learned-${site}`, site, manageAll: o.manageAll, groups: o.groups, mudProfiles });
  const managed = new Set(policy.managed);
  const baselines = buildBaselines(devices, flows).devices.filter((b) => managed.has(b.key));
  for (const l of leftOut) policy.review.push(`${LEFT_OUT} ${l.flows} flow${l.flows === 1 ? "" : "s"} of ${l.reason}`);
  const immature = baselines.filter((b) => !b.mature);
  if (immature.length > 0) {
    policy.review.push(`${immature.length} of ${baselines.length} managed devices have baselines that are not mature yet (cordon baseline shows why): rare flows of theirs may be missing from this policy`);
  }
  return { policy, resolved: resolvePolicy(policy, devices, { controllers: wellKnownControllers(devices, flows) }) };
}

/** How review lines about flows left out of learning begin. */
export const LEFT_OUT = "left out of learning:";

/** Addresses of the site's engineering workstations and HMIs: programming and writing to PLCs is their work. */
function otStaff(store: Store, site: string): Set<string> {
  const categories = store.latestVerdicts();
  const overrides = store.overrides();
  const out = new Set<string>();
  for (const d of store.devices(site)) {
    const category = overrides.get(d.id)?.category ?? categories.get(d.id)?.category;
    if (category === "engineering-workstation" || category === "hmi") for (const ip of addressesOf(d)) out.add(ip);
  }
  return out;
}

/** When each of the site's devices was in quarantine, with its addresses. */
function quarantineSpans(store: Store, site: string): QuarantineSpan[] {
  const quarantined = new NacStore(store.sql).quarantines(true).filter((q) => q.site === site);
  if (quarantined.length === 0) return [];
  const ips = new Map(store.devices(site).filter((d) => d.mac).map((d) => [d.mac!, d.addresses.map((a) => a.ip)]));
  return quarantined.map((q) => ({ mac: q.mac, ips: ips.get(q.mac) ?? [], fromUs: Date.parse(q.since) * 1000, toUs: q.releasedAt ? Date.parse(q.releasedAt) * 1000 : undefined }));
}

/** The stored MUD profiles by URL (each was validated when imported). */
export function storedMudProfiles(store: Store): Map<string, MudProfile> {
  return new Map(store.mudProfiles().map((m) => [m.url, parseMud(JSON.parse(m.body) as unknown, m.url)]));
}

/**
 * The RFC 8520 well-known controller classes as the site shows them: the gateway is its
 * routers, the DNS and NTP controllers the devices that answered on UDP 53 and 123.
 */
export function wellKnownControllers(devices: readonly LearnDevice[], flows: readonly FlowRecord[]): Record<string, string[]> {
  const index = new DeviceIndex(devices);
  const serving = (port: number): string[] => [...new Set(flows.filter((f) => f.proto === 17 && f.dstPort === port && f.packetsDstToSrc > 0).flatMap((f) => index.dst(f)?.key ?? []))].sort();
  return {
    "urn:ietf:params:mud:gateway": devices.filter((d) => d.router).map((d) => d.key),
    "urn:ietf:params:mud:dns": serving(53),
    "urn:ietf:params:mud:ntp": serving(123),
  };
}

/** Reads a group definitions file (YAML or JSON: a list, or an object with a "groups" list). */
export const readGroupSpecs = (path: string): GroupSpec[] => readListFile(path, "groups", validateGroupSpecs, GroupSpecError);

export function readPolicyFile(path: string): PolicyFile {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new UsageError(`${path}: ${(e as Error).message}`);
  }
  return parsePolicyFile(text, path);
}

/** Stores a learned or edited policy as a new proposed version. */
export function proposePolicy(store: Store, f: PolicyFile, actor: string, note?: string): StoredPolicy {
  const body = (version: number): string => JSON.stringify({ policy: { ...f.policy, version }, resolved: { ...f.resolved, version } });
  const { id } = store.savePolicy({ name: f.policy.name, site: f.policy.site, body, actor, at: new Date().toISOString(), note });
  return store.policy(id)!;
}

/** A stored policy version by id, or the newest version when `ref` is "latest". */
export function storedPolicy(store: Store, ref: string): StoredPolicy {
  if (ref === "latest") {
    const p = store.policies()[0];
    if (!p) throw new UsageError("no policy is stored yet: run cordon policy learn");
    return p;
  }
  if (!/^\d+$/.test(ref)) throw new UsageError(`"${ref}" is not a policy id`);
  const p = store.policy(Number(ref));
  if (!p) throw new UsageError(`no policy ${ref} (cordon policy list shows them)`);
  return p;
}

/** `--policy ID|FILE`: a stored version by id, or a policy file. */
export function loadPolicy(ref: string, db: string): PolicyFile {
  if (!/^\d+$/.test(ref) && ref !== "latest") return readPolicyFile(ref);
  const store = new Store(db);
  try {
    return policyFileOf(storedPolicy(store, ref));
  } finally {
    store.close();
  }
}

/** Moves a stored version along its life (approve, reject, enforce), recording who did it. */
export function movePolicy(store: Store, ref: string, to: PolicyStatus, actor: string | undefined, note?: string): StoredPolicy {
  if (!actor) throw new UsageError(`--by NAME is required: the store records who ${to === "enforced" ? "enforced" : to} each policy`);
  const p = storedPolicy(store, ref);
  try {
    checkTransition(p.id, p.status, to);
  } catch (e) {
    if (e instanceof PolicyError) throw new UsageError(e.message);
    throw e;
  }
  store.setPolicyStatus(p.id, to, { actor, at: new Date().toISOString(), note });
  return store.policy(p.id)!;
}

export function renderPolicyList(list: StoredPolicy[], format: "table" | "json"): string {
  const rows = list.map((p) => {
    const f = policyFileOf(p);
    const last = p.events[p.events.length - 1];
    return { id: p.id, name: p.name, version: p.version, site: p.site, status: p.status, mode: f.policy.mode, rules: f.policy.rules.length, managed: f.policy.managed.length, changed_by: last?.actor ?? null, changed_at: last?.at ?? null };
  });
  if (format === "json") return JSON.stringify(rows, null, 2);
  if (rows.length === 0) return "no policies stored";
  return table(["ID", "NAME", "VERSION", "SITE", "STATUS", "MODE", "RULES", "MANAGED", "BY", "AT"],
    rows.map((r) => [r.id, r.name, r.version, r.site, r.status, r.mode, r.rules, r.managed, r.changed_by, r.changed_at]));
}

export function renderPolicy(p: StoredPolicy, format: "table" | "json"): string {
  const f = policyFileOf(p);
  if (format === "json") return JSON.stringify({ id: p.id, name: p.name, version: p.version, site: p.site, status: p.status, history: p.events, ...f }, null, 2);
  const lines = [`policy ${p.id}: ${p.name} version ${p.version}, site ${p.site}, ${p.status}, ${f.policy.mode} mode`];
  for (const e of p.events) lines.push(`  ${e.at} ${e.action} by ${e.actor}${e.note ? `: ${e.note}` : ""}`);
  lines.push("", `groups (${Object.keys(f.policy.groups).length}):`);
  for (const [g, members] of Object.entries(f.policy.groups)) lines.push(`  ${g}: ${members.length} device${members.length === 1 ? "" : "s"}`);
  lines.push("", `rules (${f.policy.rules.length}; everything else from or to the ${f.policy.managed.length} managed devices is denied):`);
  for (const r of f.policy.rules) lines.push(`  ${r.id}  ${r.comment}`);
  if (f.policy.review.length) {
    lines.push("", `for review (${f.policy.review.length}):`);
    for (const x of f.policy.review) lines.push(`  ${x}`);
  }
  return lines.join("\n");
}

export function renderPolicyDiff(a: StoredPolicy, b: StoredPolicy, format: "table" | "json"): string {
  const d = diffPolicies(policyFileOf(a).policy, policyFileOf(b).policy);
  if (format === "json") return JSON.stringify({ from: a.id, to: b.id, ...d }, null, 2);
  return [`policy ${a.id} (${a.name} v${a.version}) -> policy ${b.id} (${b.name} v${b.version})`, ...renderDiff(d)].join("\n");
}

export const TARGETS = ["nftables", "iptables", "ip6tables", "cisco-acl", "per-user-acl", "dacl", "nas-filter-rule", "aruba", "mud"] as const;

/**
 * A group's rules as a MUD file. Its URL: --url, else the MUD URL its devices announced (when
 * they agree), else one under mud.cordon.invalid that names the site and group (a reserved
 * name, so nothing tries to fetch it).
 */
export function mudFor(f: PolicyFile, group: string, url?: string): Record<string, unknown> {
  if (!f.policy.groups[group]) throw new UsageError(`no group "${group}" in policy ${f.policy.name} version ${f.policy.version} (groups: ${Object.keys(f.policy.groups).join(", ")})`);
  const announced = group.startsWith("mud:") ? group.slice(4) : undefined;
  const u = url ?? announced ?? `https://mud.cordon.invalid/${encodeURIComponent(f.policy.site)}/${encodeURIComponent(group)}`;
  try {
    return exportMud(f.policy.rules, group, {
      url: u, lastUpdate: new Date().toISOString(), mfgName: announced ? mudAuthority(announced) : undefined,
      systeminfo: `${group}: ${f.policy.groups[group].length} device(s), Cordon policy ${f.policy.name} version ${f.policy.version}`,
    });
  } catch (e) {
    if (e instanceof PolicyError) throw new UsageError(e.message);
    throw e;
  }
}

/** `cordon policy compile`: the resolved policy for one target (port targets for one device set). */
export function compileFor(f: PolicyFile, target: string, device: string | undefined, mode: string | undefined): string {
  const p: ResolvedPolicy = { ...f.resolved, mode: mode === "enforce" ? "enforce" : mode === "monitor" ? "monitor" : f.resolved.mode };
  const needDevice = (): string => {
    if (!device) throw new UsageError(`--target ${target} compiles the ACL of one device set: name it with --device (one of: ${p.sets.map((s) => s.name).join(", ")})`);
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
      default: throw new UsageError(`unknown target "${target}" (known: ${TARGETS.join(", ")})`);
    }
  } catch (e) {
    if (e instanceof PolicyError) throw new UsageError(e.message);
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

export function renderSimulation(verdicts: Verdict[], format: "table" | "json"): string {
  const dropped = verdicts.filter((v) => !v.allowed);
  if (format === "json") {
    return JSON.stringify({
      flows: verdicts.length, dropped: dropped.length,
      drops: dropped.map((v) => ({ src_ip: v.flow.srcIp, src_port: v.flow.srcPort, dst_ip: v.flow.dstIp, dst_port: v.flow.dstPort, proto: v.flow.proto, src_mac: v.flow.srcMac ?? null, reason: v.reason })),
    }, null, 2);
  }
  const lines = [`${verdicts.length} flows, ${dropped.length} would be dropped`];
  for (const v of dropped) lines.push(`  ${v.reason}${v.flow.srcMac ? ` (from ${v.flow.srcMac})` : ""}`);
  return lines.join("\n");
}
