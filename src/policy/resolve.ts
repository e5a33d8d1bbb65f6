import type { Endpoint, LearnDevice, Policy } from "./learn.js";
import type { AddressSet, ResolvedPolicy } from "./model.js";

const setName = (e: Endpoint): string => (e === "any" ? "any" : "group" in e ? e.group : "dns" in e ? `dns:${e.dns}` : `cidr:${e.cidr}`);

/**
 * Turns a policy's groups, DNS names and networks into address sets: a group's devices'
 * addresses, a DNS name's answers as the site's devices received them (listed as members,
 * so a ruleset shows where each address came from), a network as itself. Pure.
 */
export function resolvePolicy(p: Policy, devices: LearnDevice[]): ResolvedPolicy {
  const byKey = new Map(devices.map((d) => [d.key, d]));
  const answers = new Map<string, Set<string>>();
  for (const d of devices) {
    for (const a of d.dnsAnswers) {
      const [name, type, data] = a.split(" ");
      if ((type === "A" || type === "AAAA") && data) answers.set(name, (answers.get(name) ?? new Set()).add(data));
    }
  }
  const sets = new Map<string, AddressSet>();
  const split = (ips: Iterable<string>): { v4: string[]; v6: string[] } => {
    const all = [...new Set(ips)].sort();
    return { v4: all.filter((a) => !a.includes(":")), v6: all.filter((a) => a.includes(":")) };
  };
  const ofDevices = (name: string, keys: string[]): AddressSet => {
    const ips = keys.flatMap((k) => byKey.get(k)?.ips ?? []);
    return { name, ...split(ips), members: keys };
  };
  const endpoint = (e: Endpoint): string => {
    const name = setName(e);
    if (e === "any" || sets.has(name)) return name;
    if ("group" in e) sets.set(name, ofDevices(name, p.groups[e.group] ?? []));
    else if ("dns" in e) {
      const ips = [...(answers.get(e.dns) ?? [])];
      sets.set(name, { name, ...split(ips), members: [`${e.dns} -> ${ips.join(", ") || "(no answer observed)"}`] });
    } else {
      sets.set(name, { name, ...split([e.cidr]), members: [e.cidr] });
    }
    return name;
  };
  sets.set("managed", ofDevices("managed", p.managed));
  const rules = p.rules.map((r) => ({ id: r.id, comment: r.comment, from: endpoint(r.from), to: endpoint(r.to), proto: r.proto, ports: r.ports }));
  return { name: p.name, version: p.version, mode: p.mode, managed: "managed", sets: [...sets.values()], rules };
}
