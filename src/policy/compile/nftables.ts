import { type AddressSet, type ResolvedPolicy, type ResolvedRule, commentText, validatePolicy } from "../model.js";

/**
 * nftables: one complete `table inet cordon`, replaced atomically (declare, delete, define),
 * with an ipv4 and an ipv6 set per address set (interval sets, so prefixes work) and a
 * forward-hook chain: established traffic passes, each rule accepts new connections it
 * allows, and what else a managed device sends or receives is logged and dropped (enforce)
 * or logged and let through (monitor). Each set lists its members in a comment. Pure.
 */
export function compileNftables(p: ResolvedPolicy): string {
  validatePolicy(p);
  const sets = new Map(p.sets.map((s) => [s.name, s]));
  const ident = identifiers(p.sets);
  const lines: string[] = [
    `# Cordon policy "${commentText(p.name, 120)}" version ${p.version}, ${p.mode} mode. Load with: nft -f FILE`,
    "table inet cordon",
    "delete table inet cordon",
    "table inet cordon {",
  ];
  for (const s of p.sets) {
    const id = ident.get(s.name)!;
    if (s.members.length > 0) lines.push(`\t# ${commentText(s.name, 120)}: ${commentText(s.members.join(", "), 400)}`);
    lines.push(...setDefinition(`${id}_v4`, "ipv4_addr", s.v4), ...setDefinition(`${id}_v6`, "ipv6_addr", s.v6));
  }
  lines.push("\tchain forward {", "\t\ttype filter hook forward priority filter; policy accept;", "\t\tct state established,related accept");
  for (const r of p.rules) lines.push(...ruleLines(r, sets, ident));
  const managed = ident.get(p.managed)!;
  const verdict = p.mode === "enforce"
    ? `log prefix "cordon deny " drop`
    : `log prefix "cordon would-deny " accept`;
  for (const [family, suffix] of [["ip", "v4"], ["ip6", "v6"]] as const) {
    lines.push(`\t\t${family} saddr @${managed}_${suffix} counter ${verdict} comment "default deny: from a managed device"`);
    lines.push(`\t\t${family} daddr @${managed}_${suffix} counter ${verdict} comment "default deny: to a managed device"`);
  }
  lines.push("\t}", "}");
  return `${lines.join("\n")}\n`;
}

/** nft identifiers for the sets: letters, digits and underscores, unique, short enough for any kernel. */
function identifiers(sets: AddressSet[]): Map<string, string> {
  const out = new Map<string, string>();
  const used = new Set<string>();
  for (const s of sets) {
    const base = `s_${s.name.toLowerCase().replace(/[^a-z0-9]+/g, "_").replace(/^_+|_+$/g, "")}`.slice(0, 24);
    let id = base;
    for (let i = 2; used.has(id); i++) id = `${base.slice(0, 21)}_${i}`;
    used.add(id);
    out.set(s.name, id);
  }
  return out;
}

function setDefinition(name: string, type: string, elements: string[]): string[] {
  const head = [`\tset ${name} {`, `\t\ttype ${type}`, "\t\tflags interval"];
  if (elements.length > 0) head.push(`\t\tauto-merge`, `\t\telements = { ${[...new Set(elements)].join(", ")} }`);
  return [...head, "\t}"];
}

/** One rule in each address family that has members on both sides. */
function ruleLines(r: ResolvedRule, sets: Map<string, AddressSet>, ident: Map<string, string>): string[] {
  const out: string[] = [];
  for (const [family, key, suffix] of [["ip", "v4", "v4"], ["ip6", "v6", "v6"]] as const) {
    const has = (side: string): boolean => side === "any" || sets.get(side)![key].length > 0;
    if (!has(r.from) || !has(r.to)) continue;
    const match: string[] = [];
    if (r.from !== "any") match.push(`${family} saddr @${ident.get(r.from)}_${suffix}`);
    if (r.to !== "any") match.push(`${family} daddr @${ident.get(r.to)}_${suffix}`);
    if (r.proto === "tcp" || r.proto === "udp") {
      if (r.ports.length === 0) match.push(`meta l4proto ${r.proto}`);
      else match.push(`${r.proto} dport { ${r.ports.map(([lo, hi]) => (lo === hi ? `${lo}` : `${lo}-${hi}`)).join(", ")} }`);
    } else if (r.proto === "icmp") {
      match.push(family === "ip" ? "meta l4proto icmp" : "meta l4proto ipv6-icmp");
    }
    out.push(`\t\t${match.join(" ")} ct state new counter accept comment "${commentText(`${r.id}: ${r.comment}`, 120)}"`);
  }
  return out;
}

