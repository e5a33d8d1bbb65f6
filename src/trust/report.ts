import type { BlastRadius, ControlledNode, Hop } from "./analyze.js";

/**
 * A site's trust report as Markdown and as a self-contained HTML page (no script, no external
 * resource). Names come from the network: Markdown cells escape the characters that would
 * start markup or break a table, HTML escapes every text.
 */

export interface ReportModel {
  site: string;
  built: string;
  reachFrom: string;
  nodes: Record<string, number>;
  edges: Record<string, number>;
  stale: number;
  planes: { label: string; plane: string; why: string; devices: number; controls: number; weight: number }[];
  amplifiers: BlastRadius[];
  paths: { from: string; to: string; entries: number; targets: number; paths: ControlledNode[] }[];
  inherited: { label: string; kind: string; cves: { cve: string; kev: boolean }[]; devices: number }[];
  credentials: { label: string; holders: number; acceptors: number }[];
  assumptions: { id: number; subject: string; statement: string; owner: string; reviewBy: string; status: string[]; contradictions: { flows: number; example?: string } }[];
}

const hopText = (h: Hop): string => `${h.how}${h.service ? ` ${h.service}` : ""}${h.allowedBy ? ` [${h.allowedBy}]` : ""}`;

/** A path as one line: "EWS-0 -operates (s7.download-block) tcp/102 [rule-3]-> s7-300-1". */
export function pathText(p: ControlledNode, label: (id: string) => string): string {
  if (p.path.length === 0) return p.label;
  return [label(p.path[0].from), ...p.path.map((h) => `-${hopText(h)}-> ${label(h.to)}`)].join(" ");
}

/** Markdown table cell: no pipes, no line breaks, no markup characters. */
export const mdCell = (s: string | number): string => String(s).replace(/[\\`*_[\]<>|#]/g, (c) => `\\${c}`).replace(/[\r\n]+/g, " ");

function mdTable(head: string[], rows: (string | number)[][]): string[] {
  if (rows.length === 0) return ["(none)", ""];
  return [`| ${head.join(" | ")} |`, `|${head.map(() => "---").join("|")}|`, ...rows.map((r) => `| ${r.map(mdCell).join(" | ")} |`), ""];
}

function labels(r: ReportModel): (id: string) => string {
  const m = new Map<string, string>();
  for (const a of r.amplifiers) {
    m.set(a.node, a.label);
    for (const c of a.controls) m.set(c.id, c.label);
  }
  for (const p of r.paths) for (const c of p.paths) m.set(c.id, c.label);
  return (id) => m.get(id) ?? id.replace(/^device:/, "");
}

export function reportMarkdown(r: ReportModel): string {
  const label = labels(r);
  const out = [`# Trust report: site ${mdCell(r.site)}`, "", `Built ${r.built}. Reach from: ${mdCell(r.reachFrom)}.`, "",
    `Nodes: ${Object.entries(r.nodes).map(([k, v]) => `${v} ${k}`).join(", ")}. Edges: ${Object.entries(r.edges).map(([k, v]) => `${v} ${k}`).join(", ")}; ${r.stale} stale.`, ""];
  out.push("## Management planes", "", ...mdTable(["PLANE", "NODE", "WHY", "CONTROLS", "BLAST RADIUS (DEVICES)", "WEIGHT"],
    r.planes.map((p) => [p.plane, p.label, p.why, p.controls, p.devices, p.weight])));
  out.push("## Structural amplifiers", "", "The nodes whose compromise brings the most critical devices under control.", "",
    ...mdTable(["RANK", "NODE", "CONTROLS", "WEIGHT", "STRICT TIER", "EXAMPLE PATH"],
      r.amplifiers.map((a, i) => [i + 1, a.label, a.controls.length, a.weight, a.byCriticality["life-safety/physical-process"]?.controls ?? 0, a.controls[0] ? pathText(a.controls[0], label) : ""])));
  for (const p of r.paths) {
    out.push(`## Paths from ${mdCell(p.from)} to ${mdCell(p.to)}`, "", `${p.targets} reached from ${p.entries} entry points.`, "",
      ...mdTable(["TARGET", "HOPS", "PATH"], p.paths.map((x) => [x.label, x.path.length, pathText(x, label)])));
  }
  out.push("## Inherited exposure", "", ...mdTable(["COMPONENT OR FIRMWARE", "KIND", "DEVICES", "CVES"],
    r.inherited.map((x) => [x.label, x.kind, x.devices, x.cves.map((c) => `${c.cve}${c.kev ? " (KEV)" : ""}`).join(", ")])));
  out.push("## Shared credentials", "", ...mdTable(["CREDENTIAL", "USED BY", "ACCEPTED BY"], r.credentials.map((c) => [c.label, c.holders, c.acceptors])));
  out.push("## Trust assumptions", "", ...mdTable(["ID", "SUBJECT", "STATEMENT", "OWNER", "REVIEW BY", "STATUS"],
    r.assumptions.map((a) => [a.id, a.subject, a.statement, a.owner, a.reviewBy, `${a.status.join(" ")}${a.contradictions.flows ? ` (${a.contradictions.flows} flows)` : ""}`])));
  return `${out.join("\n")}\n`;
}

const HTML: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
export const htmlText = (s: string | number): string => String(s).replace(/[&<>"']/g, (c) => HTML[c]);

function htmlTable(head: string[], rows: (string | number)[][]): string {
  if (rows.length === 0) return "<p>(none)</p>";
  return `<table><thead><tr>${head.map((h) => `<th scope="col">${htmlText(h)}</th>`).join("")}</tr></thead><tbody>${rows.map((r) => `<tr>${r.map((c) => `<td>${htmlText(c)}</td>`).join("")}</tr>`).join("")}</tbody></table>`;
}

export function reportHtml(r: ReportModel): string {
  const label = labels(r);
  const parts = [`<h1>Trust report: site ${htmlText(r.site)}</h1>`, `<p>Built ${htmlText(r.built)}. Reach from: ${htmlText(r.reachFrom)}.</p>`,
    `<p>Nodes: ${htmlText(Object.entries(r.nodes).map(([k, v]) => `${v} ${k}`).join(", "))}. Edges: ${htmlText(Object.entries(r.edges).map(([k, v]) => `${v} ${k}`).join(", "))}; ${r.stale} stale.</p>`,
    "<h2>Management planes</h2>", htmlTable(["Plane", "Node", "Why", "Controls", "Blast radius (devices)", "Weight"], r.planes.map((p) => [p.plane, p.label, p.why, p.controls, p.devices, p.weight])),
    "<h2>Structural amplifiers</h2>", htmlTable(["Rank", "Node", "Controls", "Weight", "Strict tier", "Example path"],
      r.amplifiers.map((a, i) => [i + 1, a.label, a.controls.length, a.weight, a.byCriticality["life-safety/physical-process"]?.controls ?? 0, a.controls[0] ? pathText(a.controls[0], label) : ""]))];
  for (const p of r.paths) {
    parts.push(`<h2>Paths from ${htmlText(p.from)} to ${htmlText(p.to)}</h2>`, `<p>${p.targets} reached from ${p.entries} entry points.</p>`,
      htmlTable(["Target", "Hops", "Path"], p.paths.map((x) => [x.label, x.path.length, pathText(x, label)])));
  }
  parts.push("<h2>Inherited exposure</h2>", htmlTable(["Component or firmware", "Kind", "Devices", "CVEs"], r.inherited.map((x) => [x.label, x.kind, x.devices, x.cves.map((c) => `${c.cve}${c.kev ? " (KEV)" : ""}`).join(", ")])),
    "<h2>Shared credentials</h2>", htmlTable(["Credential", "Used by", "Accepted by"], r.credentials.map((c) => [c.label, c.holders, c.acceptors])),
    "<h2>Trust assumptions</h2>", htmlTable(["Id", "Subject", "Statement", "Owner", "Review by", "Status"],
      r.assumptions.map((a) => [a.id, a.subject, a.statement, a.owner, a.reviewBy, `${a.status.join(" ")}${a.contradictions.flows ? ` (${a.contradictions.flows} flows)` : ""}`])));
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Trust report: ${htmlText(r.site)}</title>
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<style>body{font:14px/1.4 system-ui,sans-serif;margin:2em;max-width:80em}table{border-collapse:collapse;margin:.5em 0 1.5em}th,td{border:1px solid #ccc;padding:.25em .5em;text-align:left;vertical-align:top;overflow-wrap:anywhere}th{background:#f3f3f3}</style>
</head><body>
${parts.join("\n")}
</body></html>
`;
}
