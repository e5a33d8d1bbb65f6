import { diffPolicies, renderDiff } from "../policy/diff.js";
import type { Verdict } from "../policy/simulate.js";
import type { StoredPolicy } from "../store/store.js";
import { policyFileOf } from "../app/policies.js";
import { table } from "./output.js";

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
