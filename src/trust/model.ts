/**
 * The trust graph's schema: Cordon's reading of the Unified Linkage Model (ULM), which names
 * the link kinds (adjacency, inheritance, trustworthiness) but gives no schema. Nodes are the
 * things trust attaches to; edges are links of four families. Every derived edge carries the
 * evidence it was derived from and when it was first and last seen; an edge not seen for a
 * while is marked stale, never deleted. docs/architecture.md shows the schema with examples.
 */

export const NODE_KINDS = [
  /** A device of the inventory; a people-facing management plane (EWS, HMI, BMS, NMS, jump host, vendor access) is a device with a `plane`. */
  "device",
  /** A service a device was seen serving or an advisory names for it (`tcp/102`), with the CVEs that name it. */
  "service",
  /** An endpoint outside the site: a cloud service, an update server, DNS or NTP, by the name the site resolved or by its network. */
  "external",
  /** A firmware line: maker, product and firmware version that devices run. */
  "firmware",
  /** A software component inside devices of several makers (a web server, a UPnP stack), by the banner it gives. */
  "sdk",
  /** A credential several devices hold, by a keyed hash of the secret: never the secret. */
  "credential",
  /** The issuer of the certificates devices serve: devices certified by one manufacturer CA share its chain. */
  "issuer",
  /** A group of the policy in force: what its rules name. */
  "group",
  "site",
  /** A named place: `internet` (every external endpoint) or one a person declared (guest, vendor access). */
  "zone",
] as const;
export type NodeKind = (typeof NODE_KINDS)[number];

export const EDGE_FAMILIES = {
  adjacency: ["can-reach", "talks-to"],
  control: ["operates", "manages", "updates"],
  inheritance: ["runs", "holds-credential", "cloud", "certified-by"],
  trust: ["trusts"],
  structure: ["member-of", "serves"],
} as const;
export type EdgeFamily = keyof typeof EDGE_FAMILIES;
export type EdgeKind = (typeof EDGE_FAMILIES)[EdgeFamily][number];
export const EDGE_KINDS: readonly EdgeKind[] = Object.values(EDGE_FAMILIES).flat();

export function familyOf(kind: EdgeKind): EdgeFamily {
  return (Object.keys(EDGE_FAMILIES) as EdgeFamily[]).find((f) => (EDGE_FAMILIES[f] as readonly string[]).includes(kind))!;
}

/** Ports a device answers on as a client (a DHCP offer to it): no service it serves, and no way in. */
export const CLIENT_PORTS: ReadonlySet<string> = new Set(["udp/68", "udp/546"]);

/** Criticality classes as weights in blast radius: how much losing control of one such device costs. */
export const CRITICALITY_WEIGHT: Readonly<Record<string, number>> = {
  "life-safety/physical-process": 10, "sensitive-data": 3, standard: 1, low: 0.5,
};
export const weightOf = (criticality: string | undefined): number => CRITICALITY_WEIGHT[criticality ?? "standard"] ?? 1;

/** What an edge rests on: flows, facts, advisories, policy rules or a person's declaration. */
export interface Evidence {
  type: "flows" | "fact" | "advisory" | "policy-rule" | "assumption";
  /** What to look it up by: a fact's kind, an advisory or CVE id, a rule id, an assumption id. */
  ref: string;
  /** The evidence in words ("12 flows tcp/102, 2026-01-05 08:00 to 08:30"; "s7.download-block to 10.20.0.14"). */
  text: string;
}

export interface TrustNode {
  id: string;
  kind: NodeKind;
  label: string;
  site: string;
  /** Devices: category and criticality as the inventory shows them. */
  category?: string;
  criticality?: string;
  /** Devices: the role of a management plane ("EWS", "HMI", "BMS", "NMS", "jump host", "vendor access"), with why. */
  plane?: string;
  planeWhy?: string;
  /** Devices, services and externals: their addresses. */
  ips?: string[];
  /** Firmware lines and SDKs: the CVEs that affect them, with whether each is known exploited. */
  cves?: { cve: string; kev: boolean; cvss: number | null }[];
  /** Zones: how membership was decided. */
  members?: string;
}

export interface TrustEdge {
  kind: EdgeKind;
  from: string;
  to: string;
  /** The protocol and port the link uses (`tcp/102`), when it has one. */
  service?: string;
  /** What it does, for control edges: the operations seen ("s7.download-block, s7.stop"). */
  detail?: string;
  evidence: Evidence[];
  /** Flows the edge rests on, when it comes from traffic. */
  flows?: number;
  firstUs?: number;
  lastUs?: number;
  /** Derived edges not seen within the stale time; kept, not deleted. */
  stale?: boolean;
}

export interface TrustGraph {
  site: string;
  /** When the graph was built, and edges older than `staleBeforeUs` are stale. */
  builtUs: number;
  staleBeforeUs: number;
  /** The policy the can-reach edges come from, in words. */
  reachFrom: string;
  nodes: Map<string, TrustNode>;
  edges: TrustEdge[];
}

export const deviceNode = (key: string): string => `device:${key}`;
export const externalNode = (name: string): string => `external:${name}`;
export const zoneNode = (name: string): string => `zone:${name}`;

/** Edges of a graph by the node they leave and the node they enter, built once per analysis. */
export class EdgeIndex {
  readonly out = new Map<string, TrustEdge[]>();
  readonly in = new Map<string, TrustEdge[]>();

  constructor(edges: readonly TrustEdge[]) {
    for (const e of edges) {
      push(this.out, e.from, e);
      push(this.in, e.to, e);
    }
  }

  from(id: string, kinds?: ReadonlySet<EdgeKind>): TrustEdge[] {
    const list = this.out.get(id) ?? [];
    return kinds ? list.filter((e) => kinds.has(e.kind)) : list;
  }

  to(id: string, kinds?: ReadonlySet<EdgeKind>): TrustEdge[] {
    const list = this.in.get(id) ?? [];
    return kinds ? list.filter((e) => kinds.has(e.kind)) : list;
  }
}

function push<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const list = m.get(k);
  if (list) list.push(v);
  else m.set(k, [v]);
}
