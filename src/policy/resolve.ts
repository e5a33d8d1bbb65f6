import { DnsView } from "../baseline/device-index.js";
import { type Endpoint, type MudAbstraction, endpointKey } from "./endpoint.js";
import type { AddressSet, LearnDevice, Policy, ResolvedPolicy } from "./model.js";

/** The site's own address space: what MUD's "local-networks" means here. */
export const LOCAL_NETWORKS = { v4: ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16"], v6: ["fc00::/7", "fe80::/10"] };

/** The authority of a MUD URL: what "manufacturer" and "same-manufacturer" compare. */
export function mudAuthority(url: string): string {
  try {
    return new URL(url).host.toLowerCase();
  } catch {
    return "";
  }
}

/** A controller URI of a group this site defined: `urn:cordon:group:NAME`. */
export const GROUP_CONTROLLER = "urn:cordon:group:";

export interface ResolveOptions {
  /** Controller URI (or, for my-controller, MUD URL) → device keys. */
  controllers?: Record<string, string[]>;
}

/**
 * Turns a policy's groups, DNS names, networks and MUD abstractions into address sets: a
 * group's devices' addresses; a DNS name's answers (through its CNAMEs) as the site's devices received them
 * (listed as the set's members, so a ruleset shows where each address came from); a network
 * as itself; local-networks as the private ranges; manufacturer and model as the devices that
 * announced such MUD URLs; controllers as the devices configured for them. Pure.
 */
export function resolvePolicy(p: Policy, devices: LearnDevice[], o: ResolveOptions = {}): ResolvedPolicy {
  const byKey = new Map(devices.map((d) => [d.key, d]));
  const dns = new DnsView(devices);
  const sets = new Map<string, AddressSet>();
  const split = (ips: Iterable<string>): { v4: string[]; v6: string[] } => {
    const all = [...new Set(ips)].sort();
    return { v4: all.filter((a) => !a.includes(":")), v6: all.filter((a) => a.includes(":")) };
  };
  const ofDevices = (name: string, keys: string[], why?: string): AddressSet => {
    const ips = keys.flatMap((k) => byKey.get(k)?.ips ?? []);
    return { name, ...split(ips), members: keys.length ? keys : [`(${why ?? "no devices"})`] };
  };
  const ofMud = (name: string, m: MudAbstraction): AddressSet => {
    switch (m.kind) {
      case "local-networks": return { name, ...LOCAL_NETWORKS, members: ["local-networks: the site's private ranges"] };
      case "manufacturer": return ofDevices(name, devices.filter((d) => d.mudUrl && mudAuthority(d.mudUrl) === m.name).map((d) => d.key), `no device announced a MUD URL of ${m.name}`);
      case "model": return ofDevices(name, devices.filter((d) => d.mudUrl === m.url).map((d) => d.key), `no device announced ${m.url}`);
      case "controller": {
        if (m.uri.startsWith(GROUP_CONTROLLER)) return ofDevices(name, p.groups[m.uri.slice(GROUP_CONTROLLER.length)] ?? [], `no group ${m.uri.slice(GROUP_CONTROLLER.length)}`);
        return ofDevices(name, o.controllers?.[m.uri] ?? [], `no controller known for ${m.uri}`);
      }
      case "my-controller": return ofDevices(name, o.controllers?.[m.url] ?? [], `no controller assigned for ${m.url}`);
    }
  };
  const endpoint = (e: Endpoint): string => {
    const name = endpointKey(e);
    if (e === "any" || sets.has(name)) return name;
    if ("group" in e) sets.set(name, ofDevices(name, p.groups[e.group] ?? []));
    else if ("dns" in e) {
      const ips = dns.addressesOf(e.dns);
      sets.set(name, { name, ...split(ips), members: [`${e.dns} -> ${ips.join(", ") || "(no answer observed)"}`] });
    } else if ("cidr" in e) {
      sets.set(name, { name, ...split([e.cidr]), members: [e.cidr] });
    } else {
      sets.set(name, ofMud(name, e.mud));
    }
    return name;
  };
  sets.set("managed", ofDevices("managed", p.managed));
  const rules = p.rules.map((r) => ({ id: r.id, comment: r.comment, from: endpoint(r.from), to: endpoint(r.to), proto: r.proto, ports: r.ports }));
  return { name: p.name, version: p.version, mode: p.mode, managed: "managed", sets: [...sets.values()], rules };
}
