import { type EdgeFamily, type TrustEdge, type TrustGraph, type TrustNode, familyOf } from "./model.js";

/**
 * A trust graph written for other tools: JSON (the API's shape), GraphML (Gephi, yEd,
 * NetworkX) and DOT (Graphviz). Labels come from the network (host names, banners): every
 * format escapes them for its own syntax, so a name cannot add an element or an attribute.
 */

export const GRAPH_FORMATS = ["json", "graphml", "dot"] as const;
export type GraphFormat = (typeof GRAPH_FORMATS)[number];

export interface GraphSelection {
  /** Edge families to keep (default: all). */
  families?: readonly EdgeFamily[];
  /** Leave out stale edges. */
  fresh?: boolean;
}

/** The nodes and edges a selection keeps: edges of the families asked for, and the nodes they touch. */
export function selectGraph(g: TrustGraph, s: GraphSelection = {}): { nodes: TrustNode[]; edges: TrustEdge[] } {
  const families = s.families ? new Set(s.families) : undefined;
  const edges = g.edges.filter((e) => (!families || families.has(familyOf(e.kind))) && (!s.fresh || !e.stale));
  const used = new Set(edges.flatMap((e) => [e.from, e.to]));
  const nodes = [...g.nodes.values()].filter((n) => used.has(n.id) || (!families && n.kind === "device"));
  return { nodes, edges };
}

const iso = (us: number | undefined): string | undefined => (us === undefined ? undefined : new Date(us / 1000).toISOString());

export function edgeJson(e: TrustEdge): Record<string, unknown> {
  return {
    kind: e.kind, family: familyOf(e.kind), from: e.from, to: e.to, ...(e.service ? { service: e.service } : {}), ...(e.detail ? { detail: e.detail } : {}),
    ...(e.firstUs !== undefined ? { first_seen: iso(e.firstUs), last_seen: iso(e.lastUs) } : {}), ...(e.flows ? { flows: e.flows } : {}), stale: e.stale === true, evidence: e.evidence,
  };
}

export function nodeJson(n: TrustNode): Record<string, unknown> {
  return {
    id: n.id, kind: n.kind, label: n.label, ...(n.category ? { category: n.category } : {}), ...(n.criticality ? { criticality: n.criticality } : {}),
    ...(n.plane ? { plane: n.plane, plane_why: n.planeWhy } : {}), ...(n.ips?.length ? { ips: n.ips } : {}), ...(n.cves?.length ? { cves: n.cves } : {}),
    ...(n.members ? { members: n.members } : {}),
  };
}

export function graphJson(g: TrustGraph, s: GraphSelection = {}): Record<string, unknown> {
  const { nodes, edges } = selectGraph(g, s);
  return { site: g.site, built: iso(g.builtUs), stale_before: iso(g.staleBeforeUs), reach_from: g.reachFrom, nodes: nodes.map(nodeJson), edges: edges.map(edgeJson) };
}

const XML: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" };
/** Text for XML: escaped, and characters XML 1.0 cannot hold replaced. */
export const xmlText = (s: string): string => s.replace(/[&<>"']/g, (c) => XML[c]).replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, "?");

export function graphMl(g: TrustGraph, s: GraphSelection = {}): string {
  const { nodes, edges } = selectGraph(g, s);
  const keys: [string, "node" | "edge", string][] = [
    ["kind", "node", "kind"], ["label", "node", "label"], ["category", "node", "category"], ["criticality", "node", "criticality"], ["plane", "node", "plane"],
    ["ekind", "edge", "kind"], ["family", "edge", "family"], ["service", "edge", "service"], ["detail", "edge", "detail"], ["stale", "edge", "stale"],
    ["first_seen", "edge", "first_seen"], ["last_seen", "edge", "last_seen"], ["evidence", "edge", "evidence"],
  ];
  const out = ['<?xml version="1.0" encoding="UTF-8"?>', '<graphml xmlns="http://graphml.graphdrawing.org/xmlns">'];
  for (const [id, on, name] of keys) out.push(`  <key id="${id}" for="${on}" attr.name="${name}" attr.type="string"/>`);
  out.push(`  <graph id="${xmlText(g.site)}" edgedefault="directed">`);
  const data = (k: string, v: string | undefined): string => (v === undefined ? "" : `<data key="${k}">${xmlText(v)}</data>`);
  for (const n of nodes) {
    out.push(`    <node id="${xmlText(n.id)}">${data("kind", n.kind)}${data("label", n.label)}${data("category", n.category)}${data("criticality", n.criticality)}${data("plane", n.plane)}</node>`);
  }
  edges.forEach((e, i) => {
    out.push(`    <edge id="e${i}" source="${xmlText(e.from)}" target="${xmlText(e.to)}">${data("ekind", e.kind)}${data("family", familyOf(e.kind))}${data("service", e.service)}`
      + `${data("detail", e.detail)}${data("stale", String(e.stale === true))}${data("first_seen", iso(e.firstUs))}${data("last_seen", iso(e.lastUs))}`
      + `${data("evidence", e.evidence.map((x) => `${x.type} ${x.ref}: ${x.text}`).join(" | "))}</edge>`);
  });
  out.push("  </graph>", "</graphml>");
  return `${out.join("\n")}\n`;
}

/** A DOT string: quoted, with quotes, backslashes and line breaks escaped. */
export const dotText = (s: string): string => `"${s.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/[\r\n]/g, " ").replace(/[\u0000-\u001f]/g, "?")}"`;

const STYLE: Record<EdgeFamily, string> = {
  adjacency: "color=gray50", control: "color=red3 penwidth=2", inheritance: "color=blue3 style=dashed", trust: "color=darkgreen style=bold", structure: "color=gray80 style=dotted",
};
const SHAPE: Record<string, string> = {
  device: "box", service: "note", external: "ellipse", firmware: "component", sdk: "component", credential: "diamond", issuer: "diamond", group: "folder", site: "tab", zone: "doubleoctagon",
};

export function graphDot(g: TrustGraph, s: GraphSelection = {}): string {
  const { nodes, edges } = selectGraph(g, s);
  const out = [`digraph ${dotText(`trust ${g.site}`)} {`, "  rankdir=LR;", "  node [fontsize=10]; edge [fontsize=8];"];
  for (const n of nodes) {
    const label = n.plane ? `${n.label} [${n.plane}]` : n.label;
    out.push(`  ${dotText(n.id)} [label=${dotText(label)} shape=${SHAPE[n.kind] ?? "box"}${n.criticality === "life-safety/physical-process" ? " color=red" : ""}];`);
  }
  for (const e of edges) {
    const label = [e.kind, e.service, e.detail].filter(Boolean).join(" ");
    out.push(`  ${dotText(e.from)} -> ${dotText(e.to)} [label=${dotText(label)} ${STYLE[familyOf(e.kind)]}${e.stale ? " style=dotted" : ""}];`);
  }
  out.push("}");
  return `${out.join("\n")}\n`;
}
