import { type AddressSet, PolicyError, type ResolvedPolicy, type ResolvedRule, commentText, validatePolicy } from "../model.js";

/** Rules one file may hold before the policy is refused for this target (nftables holds sets instead). */
export const MAX_IPTABLES_RULES = 10_000;
/** multiport takes at most 15 ports, a range counting as two. */
const MULTIPORT_SLOTS = 15;

/**
 * An `iptables-restore` (family 4) or `ip6tables-restore` (family 6) file for the filter
 * table: chain CORDON (established traffic, then one rule per allowed combination, then the
 * managed addresses to CORDON-DENY) and CORDON-DENY (log, then drop in enforce mode or accept
 * in monitor mode). Declaring the chains flushes them, so loading the file again replaces the
 * policy; the FORWARD hook is added once by the operator. iptables has no sets without ipset,
 * so address lists are written out; a policy that needs more than MAX_IPTABLES_RULES rules is
 * refused with the count. Pure.
 */
export function compileIptables(p: ResolvedPolicy, family: 4 | 6): string {
  validatePolicy(p);
  const sets = new Map(p.sets.map((s) => [s.name, s]));
  const key = family === 4 ? "v4" : "v6";
  const tool = family === 4 ? "iptables" : "ip6tables";
  const managed = sets.get(p.managed)![key];
  // Count before writing: a large site's cross product of address lists runs to millions.
  const needed = 1 + 2 * managed.length + p.rules.reduce((n, r) => n + ruleCount(r, sets, key), 0);
  if (needed > MAX_IPTABLES_RULES) {
    throw new PolicyError(`policy "${p.name}" needs ${needed} ${tool} rules (more than ${MAX_IPTABLES_RULES}); compile it for nftables, which holds address sets`);
  }
  const body: string[] = ["-A CORDON -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT"];
  for (const r of p.rules) for (const line of ruleLines(r, sets, key, family)) body.push(line);
  for (const a of managed) {
    body.push(`-A CORDON -s ${a} -j CORDON-DENY`, `-A CORDON -d ${a} -j CORDON-DENY`);
  }
  const deny = p.mode === "enforce"
    ? ["-A CORDON-DENY -j LOG --log-prefix \"cordon deny \"", "-A CORDON-DENY -j DROP"]
    : ["-A CORDON-DENY -j LOG --log-prefix \"cordon would-deny \"", "-A CORDON-DENY -j ACCEPT"];
  return [
    `# Cordon policy "${commentText(p.name, 120)}" version ${p.version}, ${p.mode} mode, IPv${family}.`,
    `# Load with: ${tool}-restore --noflush FILE   Hook once with: ${tool} -I FORWARD -j CORDON`,
    "*filter",
    ":CORDON - [0:0]",
    ":CORDON-DENY - [0:0]",
    ...body,
    ...deny,
    "COMMIT",
    "",
  ].join("\n");
}

function ruleCount(r: ResolvedRule, sets: Map<string, AddressSet>, key: "v4" | "v6"): number {
  const size = (name: string): number => (name === "any" ? 1 : sets.get(name)![key].length);
  return size(r.from) * size(r.to) * (r.ports.length === 0 ? 1 : multiport(r.ports).length);
}

function ruleLines(r: ResolvedRule, sets: Map<string, AddressSet>, key: "v4" | "v6", family: 4 | 6): string[] {
  const side = (name: string): string[] | undefined => (name === "any" ? [""] : sets.get(name)![key]);
  const from = side(r.from)!;
  const to = side(r.to)!;
  if (from.length === 0 || to.length === 0) return [];
  let proto = "";
  if (r.proto === "tcp" || r.proto === "udp") proto = ` -p ${r.proto}`;
  else if (r.proto === "icmp") proto = family === 4 ? " -p icmp" : " -p ipv6-icmp";
  const portGroups = r.ports.length === 0 ? [""] : multiport(r.ports);
  const note = ` -m comment --comment "${commentText(`${r.id}: ${r.comment}`, 200)}"`;
  const out: string[] = [];
  for (const s of from) {
    for (const d of to) {
      for (const ports of portGroups) {
        out.push(`-A CORDON${s ? ` -s ${s}` : ""}${d ? ` -d ${d}` : ""}${proto}${ports} -m conntrack --ctstate NEW${note} -j ACCEPT`);
      }
    }
  }
  return out;
}

/** Port ranges as multiport matches of at most 15 slots each. */
function multiport(ranges: [number, number][]): string[] {
  const out: string[] = [];
  let group: string[] = [];
  let slots = 0;
  for (const [lo, hi] of ranges) {
    const cost = lo === hi ? 1 : 2;
    if (slots + cost > MULTIPORT_SLOTS) {
      out.push(` -m multiport --dports ${group.join(",")}`);
      group = [];
      slots = 0;
    }
    group.push(lo === hi ? `${lo}` : `${lo}:${hi}`);
    slots += cost;
  }
  if (group.length > 0) out.push(` -m multiport --dports ${group.join(",")}`);
  return out;
}

