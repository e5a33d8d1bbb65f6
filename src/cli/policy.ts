import { diffPolicies, renderDiff } from "../policy/diff.js";
import { reportJson } from "../app/report-json.js";
import type { Verdict } from "../policy/simulate.js";
import type { StoredPolicy } from "../store/store.js";
import { policyFileOf, policyListView } from "../app/policies.js";
import { table } from "./output.js";

export function renderPolicyList(list: StoredPolicy[], format: "table" | "json", wide = false): string {
  const rows = list.map(policyListView);
  if (format === "json") return reportJson(rows);
  if (rows.length === 0) return "no policies stored";
  return table(["ID", "NAME", "VERSION", "SITE", "STATUS", "MODE", "RULES", "MANAGED", "BY", "AT"],
    rows.map((r) => [r.id, r.name, r.version, r.site, r.status, r.mode, r.rules, r.managed, r.changed_by, r.changed_at]), { wide });
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
  if (format === "json") return reportJson({ from: a.id, to: b.id, ...d });
  return [`policy ${a.id} (${a.name} v${a.version}) -> policy ${b.id} (${b.name} v${b.version})`, ...renderDiff(d)].join("\n");
}

const PROTOCOL: Record<number, string> = { 1: "icmp", 6: "tcp", 17: "udp", 58: "icmpv6" };

/**
 * What a simulation would do: flows allowed per rule, and the drops grouped by who, to whom
 * and what (source port aside), with how many flows and when, most first.
 */
export function renderSimulation(verdicts: Verdict[], format: "table" | "json", wide = false): string {
  const byRule = new Map<string, number>();
  const drops = new Map<string, { src_ip: string; src_mac: string | null; dst_ip: string; proto: string; dst_port: number; flows: number; first_us: number; last_us: number }>();
  for (const v of verdicts) {
    if (v.allowed) {
      byRule.set(v.reason, (byRule.get(v.reason) ?? 0) + 1);
      continue;
    }
    const f = v.flow;
    const key = `${f.srcIp} ${f.srcMac ?? ""} ${f.dstIp} ${f.proto} ${f.dstPort}`;
    const d = drops.get(key);
    if (d) {
      d.flows++;
      d.first_us = Math.min(d.first_us, f.firstUs);
      d.last_us = Math.max(d.last_us, f.lastUs);
    } else drops.set(key, { src_ip: f.srcIp, src_mac: f.srcMac ?? null, dst_ip: f.dstIp, proto: PROTOCOL[f.proto] ?? String(f.proto), dst_port: f.dstPort, flows: 1, first_us: f.firstUs, last_us: f.lastUs });
  }
  const grouped = [...drops.values()].sort((a, b) => b.flows - a.flows || a.first_us - b.first_us);
  const dropped = grouped.reduce((n, d) => n + d.flows, 0);
  const iso = (us: number): string => new Date(us / 1000).toISOString();
  const allowed = [...byRule].sort((a, b) => b[1] - a[1]).map(([rule, flows]) => ({ rule, flows }));
  if (format === "json") {
    return reportJson({
      flows: verdicts.length, dropped, allowed_by: allowed,
      drops: grouped.map(({ first_us, last_us, ...d }) => ({ ...d, first_seen: iso(first_us), last_seen: iso(last_us) })),
    });
  }
  const lines = [`${verdicts.length} flows: ${verdicts.length - dropped} allowed, ${dropped} would be dropped${grouped.length ? ` (${grouped.length} distinct)` : ""}`];
  if (allowed.length) lines.push("", table(["allowed by", "flows"], allowed.map((a) => [a.rule, a.flows]), { wide }));
  if (grouped.length) {
    lines.push("", table(["flows", "from", "mac", "to", "service", "first", "last"],
      grouped.map((d) => [d.flows, d.src_ip, d.src_mac ?? "", d.dst_ip, d.proto === "tcp" || d.proto === "udp" ? `${d.proto}/${d.dst_port}` : d.proto, iso(d.first_us), iso(d.last_us)]),
      { wide, wideOnly: ["first"], flex: ["from", "to"] }));
  }
  return lines.join("\n");
}
