import { CRITICALITY } from "../classify/taxonomy.js";
import { type EdgeKind, EdgeIndex, type TrustEdge, type TrustGraph, type TrustNode, weightOf } from "./model.js";
import type { ReachModel } from "./reach.js";

/**
 * The analyses of a trust graph under a reach model (trust/reach.ts):
 *
 * - blast radius: what an attacker who controls a node comes to control and to reach. Control
 *   spreads along control edges (operates, manages; updates and cloud sessions from their
 *   source), along a shared credential to every device that accepts it, and to every device
 *   whose firmware line or component has a known exploited CVE; each step only where the
 *   reach model lets the attacker's node open the connection it needs (or, for updates and
 *   cloud sessions, lets the device fetch from the source). Reach is every device a
 *   controlled device may open a connection to on a service it serves (seen served, or named
 *   by an advisory; a device that serves nothing Cordon knows offers no known way in). Weighted by criticality
 *   (trust/model.ts).
 * - structural amplifiers: the nodes whose control reaches the most weight, with the paths.
 * - paths from an untrusted zone to target devices, each hop with what allows it: a
 *   connection to a service the next device serves, or a control edge.
 */

const OPERATE: ReadonlySet<EdgeKind> = new Set(["operates", "manages"]);
const UPDATE: ReadonlySet<EdgeKind> = new Set(["updates"]);
const CLOUD: ReadonlySet<EdgeKind> = new Set(["cloud"]);
const CREDENTIAL: ReadonlySet<EdgeKind> = new Set(["holds-credential"]);
const RUNS: ReadonlySet<EdgeKind> = new Set(["runs"]);
const SERVES: ReadonlySet<EdgeKind> = new Set(["serves"]);

export interface Hop {
  from: string;
  to: string;
  /** What the step is: "operates (s7.download-block)", "shared SNMP community", "exploits CVE-2017-17562 (known exploited) in Embedthis GoAhead 2.5.0". */
  how: string;
  service?: string;
  /** What lets the connection through: a rule id, "flat", "unmanaged". */
  allowedBy?: string;
}

export interface ControlledNode {
  id: string;
  label: string;
  category?: string;
  criticality?: string;
  /** The hops from the start. */
  path: Hop[];
}

export interface BlastRadius {
  node: string;
  label: string;
  reachFrom: string;
  /** Devices that come under control, the start excluded. */
  controls: ControlledNode[];
  /** Devices a controlled device may open a connection to, beyond those controlled. */
  reaches: number;
  /** Controlled and reached devices together: "blast radius of EWS-3: 41 devices". */
  devices: number;
  /** Sum of the criticality weights of the devices controlled. */
  weight: number;
  byCriticality: Record<string, { controls: number; reaches: number }>;
}

export interface Exploitable {
  device: string;
  cve: string;
  via: string;
  service?: string;
}

/** A graph prepared for analysis under one reach model: indexes built once, shared by every query. */
export class TrustAnalysis {
  readonly index: EdgeIndex;
  readonly devices: TrustNode[];
  private readonly deviceClass = new Map<string, string>();
  private readonly classDevices = new Map<string, TrustNode[]>();
  /** Known exploited CVEs, per group of devices alike to the policy and service. */
  private readonly exploitGroups: { cls: string; service?: string; list: Exploitable[] }[];

  /** The services each device serves (seen, or named by an advisory): the ways in that an attacker who may connect can use. */
  private readonly served = new Map<string, string[]>();

  constructor(readonly graph: TrustGraph, readonly reach: ReachModel) {
    this.index = new EdgeIndex(graph.edges.filter((e) => !e.stale));
    for (const e of graph.edges) {
      if (e.kind !== "serves" || !e.service) continue;
      const list = this.served.get(e.from);
      if (!list) this.served.set(e.from, [e.service]);
      else list.push(e.service);
    }
    this.devices = [...graph.nodes.values()].filter((n) => n.kind === "device");
    for (const d of this.devices) {
      const c = reach.classOf(d);
      this.deviceClass.set(d.id, c);
      const list = this.classDevices.get(c);
      if (list) list.push(d);
      else this.classDevices.set(c, [d]);
    }
    const groups = new Map<string, { cls: string; service?: string; list: Exploitable[] }>();
    for (const x of this.exploitable()) {
      const cls = this.deviceClass.get(x.device)!;
      const k = `${cls}|${x.service ?? ""}`;
      const g = groups.get(k) ?? { cls, ...(x.service ? { service: x.service } : {}), list: [] };
      g.list.push(x);
      groups.set(k, g);
    }
    this.exploitGroups = [...groups.values()];
  }

  node(id: string): TrustNode | undefined {
    return this.graph.nodes.get(id);
  }

  /** Devices whose firmware line, component or service has a known exploited CVE: one who reaches them may take them. */
  exploitable(): Exploitable[] {
    const out: Exploitable[] = [];
    for (const d of this.devices) {
      const seen = new Set<string>();
      for (const e of this.index.from(d.id, RUNS)) {
        const n = this.graph.nodes.get(e.to);
        for (const c of n?.cves ?? []) {
          if (!c.kev || seen.has(c.cve)) continue;
          seen.add(c.cve);
          const svc = this.index.from(d.id, SERVES).map((s) => this.graph.nodes.get(s.to)).find((s) => s?.cves?.some((x) => x.cve === c.cve));
          out.push({ device: d.id, cve: c.cve, via: n!.label, ...(svc ? { service: svc.id.slice(svc.id.lastIndexOf("|") + 1) } : {}) });
        }
      }
    }
    return out;
  }

  /**
   * Blast radius of a node. `reach: false` skips the reached count (the amplifier ranking reads
   * control only).
   */
  blast(start: string, o: { reach?: boolean } = {}): BlastRadius {
    const g = this.graph;
    const startNode = g.nodes.get(start);
    if (!startNode) throw new Error(`no node ${start}`);
    const parent = new Map<string, Hop | null>([[start, null]]);
    const queue: string[] = [start];
    const usedCredentials = new Set<string>();
    const usedExploits = new Set<number>();
    const take = (id: string, hop: Hop): void => {
      if (parent.has(id)) return;
      parent.set(id, hop);
      queue.push(id);
    };
    // A credential, a component or a firmware line taken as the start: all who accept or run it.
    if (startNode.kind === "credential") {
      for (const e of this.index.to(start, CREDENTIAL)) if (e.detail === "accepts") take(e.from, { from: start, to: e.from, how: "accepts the credential", service: e.service });
    } else if (startNode.kind === "sdk" || startNode.kind === "firmware") {
      for (const e of this.index.to(start, RUNS)) take(e.from, { from: start, to: e.from, how: `runs ${startNode.label}` });
    }
    for (let qi = 0; qi < queue.length; qi++) {
      const u = queue[qi];
      const un = g.nodes.get(u)!;
      if (un.kind !== "device" && un.kind !== "external") continue;
      for (const e of this.index.from(u, OPERATE)) {
        const v = g.nodes.get(e.to);
        if (!v || parent.has(v.id)) continue;
        const by = this.reach.allows(un, v, e.service);
        if (by) take(v.id, { from: u, to: v.id, how: `${e.kind}${e.detail ? ` (${e.detail})` : ""}`, service: e.service, allowedBy: by });
      }
      // An update source, and the cloud a device keeps a session with, command what fetches from them.
      for (const e of [...this.index.from(u, UPDATE), ...this.index.to(u, CLOUD)]) {
        const vid = e.kind === "cloud" ? e.from : e.to;
        const v = g.nodes.get(vid);
        if (!v || parent.has(vid)) continue;
        const by = this.reach.allows(v, un, e.service);
        if (by) take(vid, { from: u, to: vid, how: e.kind === "cloud" ? `commands it over its cloud session` : `updates it (${e.detail ?? "update source"})`, service: e.service, allowedBy: by });
      }
      if (un.kind !== "device") continue;
      for (const c of this.index.from(u, CREDENTIAL)) {
        if (usedCredentials.has(c.to)) continue;
        usedCredentials.add(c.to);
        for (const e of this.index.to(c.to, CREDENTIAL)) {
          if (e.detail !== "accepts" || parent.has(e.from)) continue;
          const v = g.nodes.get(e.from)!;
          const by = this.reach.allows(un, v, e.service);
          if (by) take(v.id, { from: u, to: v.id, how: "shared SNMP community", service: e.service, allowedBy: by });
        }
      }
      const cu = this.deviceClass.get(u)!;
      this.exploitGroups.forEach((grp, i) => {
        if (usedExploits.has(i)) return;
        const by = this.reach.allowsClass(cu, grp.cls, grp.service);
        if (!by) return;
        usedExploits.add(i);
        for (const x of grp.list) take(x.device, { from: u, to: x.device, how: `exploits ${x.cve} (known exploited) in ${x.via}`, service: x.service, allowedBy: by });
      });
    }
    const controls: ControlledNode[] = [];
    const byCriticality: BlastRadius["byCriticality"] = Object.fromEntries(CRITICALITY.map((c) => [c, { controls: 0, reaches: 0 }]));
    let weight = 0;
    for (const id of parent.keys()) {
      const n = g.nodes.get(id)!;
      if (id === start || n.kind !== "device") continue;
      controls.push({ id, label: n.label, category: n.category, criticality: n.criticality, path: this.pathTo(parent, id) });
      weight += weightOf(n.criticality);
      const b = byCriticality[n.criticality ?? "standard"];
      if (b) b.controls++;
    }
    controls.sort((a, b) => weightOf(b.criticality) - weightOf(a.criticality) || a.path.length - b.path.length || (a.label < b.label ? -1 : 1));
    let reaches = 0;
    if (o.reach !== false) {
      const fromClasses = new Set<string>();
      for (const id of parent.keys()) if (g.nodes.get(id)!.kind === "device") fromClasses.add(this.deviceClass.get(id)!);
      for (const list of this.classDevices.values()) {
        for (const d of list) {
          if (parent.has(d.id) || ![...fromClasses].some((f) => this.wayIn(f, d) !== undefined)) continue;
          reaches++;
          const b = byCriticality[d.criticality ?? "standard"];
          if (b) b.reaches++;
        }
      }
    }
    return { node: start, label: startNode.label, reachFrom: this.reach.label, controls, reaches, devices: controls.length + reaches, weight, byCriticality };
  }

  /** A service the device serves that the reach model lets a node of class `from` connect to, with what allows it. */
  wayIn(from: string, v: TrustNode): { service: string; by: string } | undefined {
    const cv = this.deviceClass.get(v.id)!;
    for (const service of this.served.get(v.id) ?? []) {
      const by = this.reach.allowsClass(from, cv, service);
      if (by) return { service, by };
    }
    return undefined;
  }

  private pathTo(parent: ReadonlyMap<string, Hop | null>, id: string): Hop[] {
    const out: Hop[] = [];
    for (let hop = parent.get(id); hop; hop = parent.get(hop.from)) out.push(hop);
    return out.reverse();
  }

  /** Nodes that could amplify a compromise: devices, update sources and clouds, shared credentials, components and firmware lines. */
  candidates(): string[] {
    const out: string[] = [];
    for (const n of this.graph.nodes.values()) {
      if (n.kind === "device" || n.kind === "credential") out.push(n.id);
      else if (n.kind === "external" && (this.index.from(n.id, UPDATE).length > 0 || this.index.to(n.id, CLOUD).length > 0)) out.push(n.id);
      else if ((n.kind === "sdk" || n.kind === "firmware") && n.cves?.some((c) => c.kev)) out.push(n.id);
    }
    return out;
  }

  /** The nodes whose control reaches the most criticality weight, highest first, each with its blast radius (control only). */
  amplifiers(limit = 20): BlastRadius[] {
    const all = this.candidates().map((id) => this.blast(id, { reach: false })).filter((b) => b.controls.length > 0);
    all.sort((a, b) => b.weight - a.weight || b.controls.length - a.controls.length || (a.label < b.label ? -1 : 1));
    return all.slice(0, limit);
  }

  /**
   * Shortest paths from a zone's entry points to the target devices: from `internet`, every
   * device that opens sessions to an endpoint outside (or that one may reach from outside);
   * from a declared zone, its members. Each hop after the entry is a connection the reach
   * model allows (lateral movement) or a control edge.
   */
  paths(zone: string, isTarget: (n: TrustNode) => boolean): { entries: number; targets: number; reached: { target: ControlledNode }[] } {
    const g = this.graph;
    const zid = `zone:${zone}`;
    const zoneNode = g.nodes.get(zid);
    if (!zoneNode) throw new Error(`no zone "${zone}"`);
    const parent = new Map<string, Hop | null>([[zid, null]]);
    const queue: string[] = [];
    const enter = (id: string, hop: Hop): void => {
      if (parent.has(id)) return;
      parent.set(id, hop);
      queue.push(id);
    };
    if (zone === "internet") {
      for (const d of this.devices) {
        const out = this.outsideEntry(d);
        if (out) enter(d.id, { from: zid, ...out, to: d.id });
      }
    } else {
      for (const e of this.index.to(zid)) if (e.kind === "member-of") enter(e.from, { from: zid, to: e.from, how: "member of the zone" });
    }
    const entries = queue.length;
    const expanded = new Set<string>();
    for (let qi = 0; qi < queue.length; qi++) {
      const u = queue[qi];
      const un = g.nodes.get(u)!;
      for (const e of this.index.from(u, OPERATE)) {
        const v = g.nodes.get(e.to);
        if (!v || parent.has(v.id)) continue;
        const by = this.reach.allows(un, v, e.service);
        if (by) enter(v.id, { from: u, to: v.id, how: `${e.kind}${e.detail ? ` (${e.detail})` : ""}`, service: e.service, allowedBy: by });
      }
      const cu = this.deviceClass.get(u);
      if (cu === undefined) continue;
      // A class is looked through once from each class: a later hop from the same class could only be longer.
      for (const [cls, list] of this.classDevices) {
        if (expanded.has(`${cu}>${cls}`)) continue;
        expanded.add(`${cu}>${cls}`);
        for (const v of list) {
          if (parent.has(v.id)) continue;
          const way = this.wayIn(cu, v);
          if (way) enter(v.id, { from: u, to: v.id, how: "may connect", service: way.service, allowedBy: way.by });
        }
      }
    }
    const reached: { target: ControlledNode }[] = [];
    for (const d of this.devices) {
      if (!parent.has(d.id) || !isTarget(d)) continue;
      reached.push({ target: { id: d.id, label: d.label, category: d.category, criticality: d.criticality, path: this.pathTo(parent, d.id) } });
    }
    reached.sort((a, b) => a.target.path.length - b.target.path.length || (a.target.label < b.target.label ? -1 : 1));
    return { entries, targets: reached.length, reached };
  }

  /**
   * How the internet reaches a device: through sessions it opens to an endpoint outside (as
   * the reach model allows them; on a flat network, those seen), or a connection from outside
   * that the model allows.
   */
  private outsideEntry(d: TrustNode): Omit<Hop, "from" | "to"> | undefined {
    const talked = [...this.index.from(d.id), ...this.index.to(d.id)].filter((e): e is TrustEdge => e.kind === "talks-to");
    for (const e of talked) {
      const other = this.graph.nodes.get(e.from === d.id ? e.to : e.from);
      if (other?.kind !== "external") continue;
      const by = e.from === d.id ? this.reach.allows(d, other, e.service) : this.reach.allows(other, d, e.service);
      if (by) return { how: e.from === d.id ? `opens sessions to ${other.label}` : `is reached from ${other.label}`, service: e.service, allowedBy: by };
    }
    if (this.reach.flat) return undefined;
    const internet = this.graph.nodes.get("zone:internet")!;
    const inbound = this.reach.allows(internet, d);
    return inbound && inbound !== "unmanaged" ? { how: "may be reached from outside", allowedBy: inbound } : undefined;
  }
}
