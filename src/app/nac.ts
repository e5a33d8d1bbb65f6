import type { IdentityStrength } from "../model/identity.js";
import { identityIndex } from "./identity-strength.js";
import { classificationOf } from "./classification.js";
import { type PolicyFile, policiesInForce, policyFileOf } from "./policies.js";
import { type Category, type Criticality, defaultCriticality } from "../classify/taxonomy.js";
import { hostnames } from "../inventory/view.js";
import { type NacSettings, type NacTable, buildNacTable } from "../nac/authorization.js";
import { type LiveDevice, liveGroupOf, planMoves } from "../nac/group-moves.js";
import { GroupSpecError, validateGroupSpecs } from "../policy/learn.js";
import type { AddressSet, ResolvedPolicy } from "../policy/model.js";
import type { ResponderDevice } from "../respond/responder.js";
import { NacStore, type StoredMove } from "../store/nac.js";
import { InputError } from "./errors.js";
import { type Actor, recordChange } from "./actor.js";
import type { Store, StoredPolicy } from "../store/store.js";

/** A policy's groups as learned, with the moves made since applied: group name → device keys. */
function groupsNow(p: { stored: StoredPolicy; file: PolicyFile }, nac: NacStore): Record<string, string[]> {
  const moved = nac.groupsInForce(p.stored.id);
  const groups: Record<string, string[]> = {};
  for (const [g, keys] of Object.entries(p.file.policy.groups)) groups[g] = keys.filter((k) => !moved.has(`${p.stored.site} ${k}`));
  for (const [device, g] of moved) {
    const mac = device.slice(device.indexOf(" ") + 1);
    (groups[g] ??= []).push(mac);
  }
  return groups;
}

/**
 * The policy's address sets with the groups whose members moved made again from their
 * members' addresses now, so that a group's ACL (and every rule naming the group) covers the
 * devices that joined it and no longer those that left.
 */
function resolvedNow(p: { stored: StoredPolicy; file: PolicyFile }, groups: Record<string, string[]>, store: Store): ResolvedPolicy {
  const learned = p.file.policy.groups;
  const changed = new Set(Object.keys(groups).filter((g) => {
    const before = learned[g] ?? [];
    return before.length !== groups[g].length || groups[g].some((k) => !before.includes(k));
  }));
  if (changed.size === 0) return p.file.resolved;
  const macs = [...new Set([...changed].flatMap((g) => groups[g]))];
  const addresses = store.addressesOfMacs(p.stored.site, macs);
  const sets = p.file.resolved.sets.map((set): AddressSet => {
    if (!changed.has(set.name)) return set;
    const ips = [...new Set(groups[set.name].flatMap((k) => addresses.get(k) ?? []))].sort();
    return { name: set.name, v4: ips.filter((a) => !a.includes(":")), v6: ips.filter((a) => a.includes(":")), members: groups[set.name].length > 0 ? [...groups[set.name]] : ["(no devices)"] };
  });
  return { ...p.file.resolved, sets };
}

/**
 * The names in `group_vlans` (as policies name groups) that no stored policy has: a group a
 * person defined for learning, misspelt or never learned. Categories and MUD groups are
 * checked when the configuration is read.
 */
export function unknownGroups(store: Store, names: readonly string[]): { unknown: string[]; defined: string[] } {
  const defined = new Set<string>();
  for (const p of store.policies()) {
    const { policy } = policyFileOf(p);
    for (const g of Object.keys(policy.groups)) if (!/^(category|device|mud):/.test(g)) defined.add(g);
    for (const g of policy.groupSpecs ?? []) defined.add(g.name);
  }
  return { unknown: names.filter((n) => !/^(category|mud):/.test(n) && !defined.has(n)), defined: [...defined].sort() };
}

/**
 * The authorisation table as the store has it now. A device is known once Cordon has
 * identified it (a category other than unknown, or a person's override); a MAC that only
 * asked for MAB stays unknown, in the onboarding VLAN, until then. Each site's groups come
 * from its newest enforced policy, else its newest approved one, with the group moves made
 * since (see `regroup`).
 */
export function nacTableFromStore(store: Store, nac: NacStore, settings: NacSettings, inForce = policiesInForce(store)): NacTable {
  // Built at every persist: the known MACs come from one query, not from reading every
  // device with its facts (0.35-0.6 s at 11,500 devices, so seconds at 100,000).
  const devices = store.identifiedMacs();
  const policies = inForce.map((p) => {
    const groups = groupsNow(p, nac);
    return { site: p.stored.site, ref: { id: p.stored.id, name: p.stored.name, version: p.stored.version, status: p.stored.status }, resolved: resolvedNow(p, groups, store), groups };
  });
  const quarantines = nac.quarantines().map((q) => ({ site: q.site, mac: q.mac, since: q.since, by: q.by, reason: q.reason }));
  // Identity strengths only when a group asks for a minimum: they read the facts (two queries).
  let identities: Map<string, IdentityStrength> | undefined;
  if (Object.keys(settings.groupMinIdentity ?? {}).length > 0) {
    const index = identityIndex(store);
    identities = new Map(devices.map((d) => [`${d.site} ${d.mac}`, index.of(d.site, d.mac).strength]));
  }
  return buildNacTable({ settings, devices, policies, quarantines, ...(identities ? { identities } : {}) });
}

/**
 * Works out every identified device's group again from its current verdict, under each site's
 * policy in force, and records the moves (nac/group-moves.ts): made at once, or waiting for a
 * person. A waiting move whose device went back to its group is superseded. Returns the new
 * moves. The caller builds the table again and asks for a CoA for each move not yet enacted.
 */
export function regroup(store: Store, nac: NacStore, trustedMud: readonly string[], at: string, inForce = policiesInForce(store)): { moves: StoredMove[]; problems: string[] } {
  const inputs = store.groupingInputs();
  const mud = new Set(store.mudProfiles().map((p) => p.url));
  const trusted = (url: string): boolean => trustedMud.some((t) => (t.endsWith("/") ? url.startsWith(t) : url === t));
  const moves: StoredMove[] = [];
  const problems: string[] = [];
  for (const p of inForce) {
    const policy = p.file.policy;
    try {
      if (policy.groupSpecs !== undefined) validateGroupSpecs(policy.groupSpecs);
    } catch (e) {
      if (!(e instanceof GroupSpecError)) throw e;
      problems.push(`policy ${p.stored.id}: ${e.message}; its groups stay as learned`);
      continue;
    }
    const groups = groupsNow(p, nac);
    const current = new Map<string, string>();
    for (const [g, keys] of Object.entries(groups)) for (const k of keys) current.set(k, g);
    const waiting = nac.waitingMoves(p.stored.id);
    const why = new Map<string, string>();
    const devices: LiveDevice[] = inputs.filter((i) => i.site === p.stored.site).map((i) => {
      const category = (i.overrideCategory ?? i.category ?? "unknown") as Category;
      const criticality: Criticality = (i.overrideCriticality as Criticality | undefined) ?? defaultCriticality(category, false);
      why.set(i.mac, `${i.overrideCategory ? "a person's override" : `verdict ${i.verdictId ?? "?"}`}: ${category}, ${criticality}${i.mudUrl ? `, MUD URL ${i.mudUrl}` : ""}`);
      return { key: i.mac, mac: i.mac, site: i.site, category, criticality, vendor: i.vendor, mudUrl: i.mudUrl };
    });
    const planned = planMoves({
      policy, devices, mud, trustedMud: trusted,
      inForce: (key) => current.get(key),
      waiting: (key) => waiting.get(`${p.stored.site} ${key}`)?.to,
      because: (d) => why.get(d.mac) ?? "",
    });
    for (const d of devices) {
      // Back in the group it waited to leave: nobody needs to decide any more.
      if (waiting.has(`${p.stored.site} ${d.mac}`) && liveGroupOf(d, policy, mud) === current.get(d.key)) nac.supersedeWaiting(p.stored.site, d.mac, p.stored.id, at);
    }
    for (const m of planned) {
      moves.push(nac.addMove({
        at, site: m.site, mac: m.mac, policyId: p.stored.id, from: m.from, to: m.to, rights: m.rights,
        status: m.at === "now" ? "applied" : "pending", reason: m.reason, ...(m.at === "now" ? { decidedBy: "cordon", decidedAt: at } : {}),
      }));
    }
  }
  return { moves, problems };
}

/** What a response needs to know of a device: category, criticality, a name, its addresses. */
export function responderDevice(store: Store, site: string, mac: string): ResponderDevice | undefined {
  const d = store.devices(site).find((x) => x.mac === mac);
  if (!d) return undefined;
  const c = classificationOf(d, store.latestVerdicts().get(d.id), store.overrides().get(d.id));
  return { category: c.category, criticality: c.criticality, name: hostnames(d)[0], addresses: d.addresses.map((a) => a.ip) };
}

/**
 * `cordon nac approve|reject ID`: a person decides a group move that waits. An approved move
 * takes effect at serve's next table (within seconds), with a CoA to the device's session.
 */
export function decideMove(store: Store, decision: "approve" | "reject", idText: string | undefined, by: Actor, note?: string): StoredMove {
  if (!idText || !/^\d{1,12}$/.test(idText)) throw new InputError(`nac ${decision} needs a move id (cordon nac pending shows them)`);
  const nac = new NacStore(store.sql);
  const m = nac.move(Number(idText));
  if (!m) throw new InputError(`no group move ${idText} (cordon nac pending shows them)`);
  if (m.status !== "pending") throw new InputError(`move ${m.id} is ${m.status}, not waiting for a decision`);
  if (decision === "approve" && m.rights === "undefined") throw new InputError(`move ${m.id} is to ${m.to}, which policy ${m.policyId} does not define: learn and approve a new policy version instead`);
  const decided = nac.decideMove(m.id, decision === "approve" ? "approved" : "rejected", by.name, new Date().toISOString());
  recordChange(store, by, { action: `nac.move.${decision}`, target: m.mac, site: m.site, detail: `move ${m.id}: ${m.from ?? "(no group)"} -> ${m.to}${note ? `; ${note}` : ""}` });
  return decided;
}
