import { diffPolicies, renderDiff } from "../policy/diff.js";
import { reportJson } from "../app/report-json.js";
import type { Verdict } from "../policy/simulate.js";
import type { StoredPolicy } from "../store/store.js";
import { policyFileOf, policyListView, summariseSimulation } from "../app/policies.js";
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

/** Two versions' differences, and the trust graph's what-if for the second (app/trust.ts `trustWhatIf`). */
export function renderPolicyDiff(a: StoredPolicy, b: StoredPolicy, format: "table" | "json", trust: readonly string[] = []): string {
  const d = diffPolicies(policyFileOf(a).policy, policyFileOf(b).policy);
  if (format === "json") return reportJson({ from: a.id, to: b.id, ...d, trust });
  return [`policy ${a.id} (${a.name} v${a.version}) -> policy ${b.id} (${b.name} v${b.version})`, ...renderDiff(d), ...(trust.length ? ["", ...trust] : [])].join("\n");
}

/**
 * What a simulation would do: flows allowed per rule, and the drops grouped by who, to whom
 * and what (source port aside), with how many flows and when, most first.
 */
export function renderSimulation(verdicts: Iterable<Verdict>, format: "table" | "json", wide = false): string {
  const { flows, dropped, allowedBy: allowed, drops: grouped } = summariseSimulation(verdicts);
  if (format === "json") {
    return reportJson({ flows, dropped, allowedBy: allowed, drops: grouped });
  }
  const lines = [`${flows} flows: ${flows - dropped} allowed, ${dropped} would be dropped${grouped.length ? ` (${grouped.length} distinct)` : ""}`];
  if (allowed.length) lines.push("", table(["allowed by", "flows"], allowed.map((a) => [a.rule, a.flows]), { wide }));
  if (grouped.length) {
    lines.push("", table(["flows", "from", "mac", "to", "service", "first", "last"],
      grouped.map((d) => [d.flows, d.srcIp, d.srcMac ?? "", d.dstIp, d.proto === "tcp" || d.proto === "udp" ? `${d.proto}/${d.dstPort}` : d.proto, d.firstSeen, d.lastSeen]),
      { wide, wideOnly: ["first"], flex: ["from", "to"] }));
  }
  return lines.join("\n");
}
