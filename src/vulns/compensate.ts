import type { FlowRecord } from "../model/flow-record.js";
import type { Endpoint } from "../policy/endpoint.js";
import type { Policy, PolicyRule, Protocol } from "../policy/model.js";

/**
 * Compensating segmentation for a vulnerable device that cannot be patched yet: a new version
 * of the site's policy in which the vulnerable services of the device are reachable only from
 * the peers that were seen using them, and everything else the device does stays as it was.
 * The device gets a group of its own (so the rule can name it alone); the rules that named its
 * old group are copied to the new one without the vulnerable ports; each peer that needs a
 * vulnerable service gets a rule of its own that cites the CVEs. A device no policy governed
 * becomes governed, with rules for the traffic it was seen to have. Pure: the caller resolves,
 * stores and puts the version through approval like any other.
 */

export interface VulnerableService {
  proto: "tcp" | "udp";
  port: number;
}

export interface CompensationTarget {
  key: string;
  ips: readonly string[];
  services: readonly VulnerableService[];
  cves: readonly string[];
}

export interface Compensation {
  policy: Policy;
  /** What the new version changes, per device, for the note and the person who reviews it. */
  changes: string[];
}

const PROTO: Record<number, "tcp" | "udp" | undefined> = { 6: "tcp", 17: "udp" };
/** More distinct peers than this for one device's other traffic and learning was not for this device; the rules stay per group. */
const MAX_FLOW_RULES = 200;

function groupName(key: string): string {
  return `vulnerable-${key.replace(/^ip:/, "").replace(/[^0-9a-zA-Z]/g, "").toLowerCase()}`;
}

function hostCidr(ip: string): string {
  return ip.includes(":") ? `${ip}/128` : `${ip}/32`;
}

/** Port ranges without one port: [[1,65535]] less 102 is [[1,101],[103,65535]]. */
function withoutPort(ranges: readonly [number, number][], port: number): [number, number][] {
  const all: [number, number][] = ranges.length ? ranges.map(([a, b]) => [a, b]) : [[1, 65535]];
  return all.flatMap(([lo, hi]): [number, number][] => {
    if (port < lo || port > hi) return [[lo, hi]];
    return ([[lo, port - 1], [port + 1, hi]] as [number, number][]).filter(([a, b]) => a <= b);
  });
}

const isGroup = (e: Endpoint, g: string): boolean => e !== "any" && "group" in e && e.group === g;

/** Peers seen opening a connection to the device on a service (the device's addresses, the service's protocol and port). */
export function neededPeers(flows: Iterable<FlowRecord>, ips: readonly string[], s: VulnerableService): string[] {
  const own = new Set(ips);
  const peers = new Set<string>();
  for (const f of flows) {
    if (own.has(f.dstIp) && PROTO[f.proto] === s.proto && f.dstPort === s.port && !own.has(f.srcIp)) peers.add(f.srcIp);
  }
  return [...peers].sort();
}

export function compensate(base: Policy, targets: readonly CompensationTarget[], flows: readonly FlowRecord[]): Compensation {
  const policy: Policy = structuredClone(base);
  const changes: string[] = [];
  let next = 1 + Math.max(0, ...policy.rules.map((r) => Number(/^r(\d+)$/.exec(r.id)?.[1] ?? 0)));
  const add = (r: Omit<PolicyRule, "id">): void => {
    policy.rules.push({ ...r, id: `r${next++}` });
  };
  for (const t of targets) {
    if (t.services.length === 0) continue;
    const own = new Set(t.ips);
    const mine = groupName(t.key);
    const cited = t.cves.join(", ");
    const vulnerable = (proto: Protocol, ports: readonly [number, number][]): VulnerableService[] =>
      t.services.filter((s) => (proto === "any" || proto === s.proto) && (ports.length === 0 || ports.some(([lo, hi]) => s.port >= lo && s.port <= hi)));
    const old = Object.entries(policy.groups).find(([, keys]) => keys.includes(t.key))?.[0];
    policy.groups[mine] = [t.key];
    if (old && old !== mine) {
      policy.groups[old] = policy.groups[old]!.filter((k) => k !== t.key);
      // The old group's rules, for the device alone, without its vulnerable ports.
      for (const r of [...policy.rules]) {
        const from = isGroup(r.from, old);
        const to = isGroup(r.to, old);
        if (!from && !to) continue;
        if (from) add({ ...r, from: { group: mine }, comment: `${r.comment} (for ${t.key}, out of ${old})`, seen: 0 });
        if (to) {
          let ports: [number, number][] = r.ports.map(([a, b]) => [a, b]);
          let changed = false;
          for (const s of vulnerable(r.proto, r.ports)) {
            ports = withoutPort(ports, s.port);
            changed = true;
          }
          if (changed && (r.proto === "any")) {
            // "any" protocol with a vulnerable port: the port is taken out of TCP and UDP alike.
            for (const p of ["tcp", "udp"] as const) add({ ...r, proto: p, to: { group: mine }, ports, comment: `${r.comment} (for ${t.key}, without ${cited} services)`, seen: 0 });
            add({ ...r, proto: "icmp", to: { group: mine }, ports: [], comment: `${r.comment} (for ${t.key})`, seen: 0 });
          } else if (ports.length > 0) {
            add({ ...r, to: { group: mine }, ports, comment: changed ? `${r.comment} (for ${t.key}, without ${cited} services)` : `${r.comment} (for ${t.key})`, seen: 0 });
          }
        }
      }
      changes.push(`${t.key} moves from group ${old} to ${mine}: its rules stay, but its vulnerable services no longer follow the group`);
    } else if (!policy.managed.includes(t.key)) {
      policy.managed.push(t.key);
      // A device no policy governed: its other traffic as it was seen, peer by peer.
      const seen = new Map<string, Omit<PolicyRule, "id">>();
      for (const f of flows) {
        const proto = PROTO[f.proto];
        if (!proto) continue;
        const inbound = own.has(f.dstIp);
        if (!inbound && !own.has(f.srcIp)) continue;
        if (inbound && t.services.some((s) => s.proto === proto && s.port === f.dstPort)) continue;
        const peer = inbound ? f.srcIp : f.dstIp;
        const rule: Omit<PolicyRule, "id"> = inbound
          ? { from: { cidr: hostCidr(peer) }, to: { group: mine }, proto, ports: [[f.dstPort, f.dstPort]], comment: `${peer} -> ${t.key} ${proto}/${f.dstPort} as seen`, seen: 0 }
          : { from: { group: mine }, to: { cidr: hostCidr(peer) }, proto, ports: [[f.dstPort, f.dstPort]], comment: `${t.key} -> ${peer} ${proto}/${f.dstPort} as seen`, seen: 0 };
        const k = `${inbound}|${peer}|${proto}|${f.dstPort}`;
        const had = seen.get(k);
        if (had) had.seen++;
        else if (seen.size < MAX_FLOW_RULES) seen.set(k, { ...rule, seen: 1 });
      }
      for (const r of seen.values()) add(r);
      changes.push(`${t.key} was governed by no policy: now in group ${mine}, with ${seen.size} rules for the traffic it was seen to have`);
    }
    // One rule per peer and protocol, with every vulnerable port that peer uses (a rule is its ends and protocol).
    const byPeer = new Map<string, { proto: "tcp" | "udp"; peer: string; ports: number[] }>();
    for (const s of t.services) {
      const peers = neededPeers(flows, t.ips, s);
      for (const p of peers) {
        const k = `${p}|${s.proto}`;
        const e = byPeer.get(k) ?? { proto: s.proto, peer: p, ports: [] };
        e.ports.push(s.port);
        byPeer.set(k, e);
      }
      changes.push(`${s.proto}/${s.port} of ${t.key} (${cited}): reachable from ${peers.length ? peers.join(", ") : "no one (no peer was seen using it)"} only`);
    }
    for (const e of byPeer.values()) {
      const ports = [...new Set(e.ports)].sort((a, b) => a - b);
      add({
        from: { cidr: hostCidr(e.peer) }, to: { group: mine }, proto: e.proto, ports: ports.map((p): [number, number] => [p, p]),
        comment: `compensating control for ${cited}: ${e.proto}/${ports.join(",")} of ${t.key} from ${e.peer} only, a peer that uses it`, seen: 0,
      });
    }
  }
  policy.review = [...policy.review, ...changes.map((c) => `compensating control: ${c}`)];
  return { policy, changes };
}
