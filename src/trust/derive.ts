import { createHmac } from "node:crypto";
import { DeviceIndex, type SiteDevice } from "../baseline/device-index.js";
import { externalNetwork } from "../baseline/baseline.js";
import type { FlowGroup } from "../model/flow-record.js";
import { parseOtOperation } from "../model/ot-operation.js";
import { isGroupIp, isPrivateIp } from "../net/addr.js";
import type { ResolvedPolicy } from "../policy/model.js";
import { setMatcher } from "../policy/simulate.js";
import type { CveMatch } from "../vulns/match.js";
import { CLIENT_PORTS, type EdgeKind, type Evidence, type TrustEdge, type TrustGraph, type TrustNode, deviceNode, externalNode, zoneNode } from "./model.js";
import { BANNER_KINDS, sdksIn } from "./sdks.js";
import { type ZoneSpec, zoneHas } from "./zones.js";

/**
 * Builds a site's trust graph from what Cordon already holds: the flow pairs (who talked to
 * whom, on what service, first and last seen), the devices' facts (OT operations, SNMP
 * communities, served banners and certificates), their firmware identity and the CVEs matched
 * to it, the policy in force, the zones and the assumptions people declared. Pure: the store
 * is read by app/trust.ts. Each derived edge keeps the evidence it came from.
 */

export interface GraphFact {
  kind: string;
  value: string;
  firstUs: number;
  lastUs: number;
}

export interface GraphDevice extends SiteDevice {
  vlan?: number;
  criticality: string;
  /** A name people know it by: host name, or maker and model. */
  label: string;
  facts: readonly GraphFact[];
  /** Maker, product and firmware as device-identity read them, and when the facts that named them were seen. */
  identity: { vendor?: string; product?: string; firmware?: string; firstUs?: number; lastUs?: number };
  /** The CVEs its firmware line is affected by. */
  cves: readonly CveMatch[];
}

export interface GraphAssumption {
  id: number;
  subject: string;
  object?: string;
  statement: string;
  owner: string;
  reviewBy: string;
}

export interface HostileSpan {
  source: string;
  /** The one host it aimed at, when the alert names one (a scan reaches many). */
  target?: string;
  fromUs: number;
  toUs: number;
}

export interface GraphInput {
  site: string;
  nowUs: number;
  /** Derived edges not seen for this long are stale. */
  staleAfterS: number;
  devices: readonly GraphDevice[];
  pairs: readonly FlowGroup[];
  /** The CVEs advisories name for a component at a version (or any version). */
  sdkCves(maker: string, product: string, version: string | undefined): CveMatch[];
  policy?: { resolved: ResolvedPolicy; label: string };
  zones: readonly ZoneSpec[];
  assumptions: readonly GraphAssumption[];
  /**
   * Episodes of hostile alerts (scans, brute force, exploits, indicators): traffic that lies
   * wholly inside one is an attempt, not a relation of control, and makes no control edge.
   */
  hostile: readonly HostileSpan[];
  /** The key credentials are hashed with: a graph never holds a secret, nor a hash one can look up in a list of common ones. */
  credentialKey: string;
}

/** Services that administer a device: remote shells and desktops, and remote-support tools. */
const MANAGEMENT: Readonly<Record<string, string>> = {
  "tcp/22": "ssh", "tcp/23": "telnet", "tcp/2323": "telnet", "tcp/3389": "rdp", "tcp/5900": "vnc", "tcp/5901": "vnc", "tcp/5902": "vnc",
  "tcp/5938": "teamviewer", "tcp/5985": "winrm", "tcp/5986": "winrm", "tcp/7070": "anydesk",
};
/** Web ports: management when the device behind them is an embedded one (a camera's or a controller's web interface). */
const WEB = new Set(["tcp/80", "tcp/443", "tcp/8080", "tcp/8443"]);
/** Categories whose web interface is their administration. */
const GENERAL_PURPOSE = new Set(["server", "workstation", "mobile", "router", "unknown"]);
/** Categories whose own sessions to a cloud are not a device's control channel (people browse from them). */
const NOT_CLOUD_MANAGED = new Set(["server", "workstation", "mobile", "engineering-workstation", "hmi"]);

/** The service an OT operation travels on, by its protocol (the operation facts do not carry the port). */
const OP_SERVICE: Readonly<Record<string, string>> = {
  s7: "tcp/102", modbus: "tcp/502", cip: "tcp/44818", bacnet: "udp/47808", dnp3: "tcp/20000", iec104: "tcp/2404", fins: "udp/9600",
  opcua: "tcp/4840", mms: "tcp/102", ads: "tcp/48898", fox: "tcp/1911", "hart-ip": "udp/5094", knx: "udp/3671",
};

/** Services a device fetches an update over: web, FTP, TFTP. */
const DOWNLOAD = new Set(["tcp/80", "tcp/443", "tcp/8080", "tcp/8443", "tcp/21", "tcp/990", "udp/69"]);
/** DNS names of firmware and software update services. */
const UPDATE_NAME = /(?:^|[.-])(?:update|updates|upgrade|firmware|fw|ota|swupdate|autoupdate|download|downloads|dl)(?:[.-]|\d|$)/i;

const PROTO: Record<number, string> = { 1: "icmp", 6: "tcp", 17: "udp", 58: "icmp6", 132: "sctp" };

const MAX_LABEL = 96;
const clip = (s: string): string => (s.length > MAX_LABEL ? `${s.slice(0, MAX_LABEL - 3)}...` : s);
const day = (us: number): string => new Date(us / 1000).toISOString().slice(0, 16).replace("T", " ");

export function serviceOf(proto: number, port: number): string {
  const p = PROTO[proto] ?? `ip-${proto}`;
  return proto === 6 || proto === 17 || proto === 132 ? `${p}/${port}` : p;
}

/** A credential's node id: a keyed hash, so the graph (and any export of it) never holds the secret. */
export function credentialNode(key: string, site: string, kind: string, secret: string): string {
  return `credential:${kind}:${createHmac("sha256", key).update(`${site}\0${kind}\0${secret}`).digest("hex").slice(0, 16)}`;
}

interface EdgeAcc extends TrustEdge {
  flows: number;
  details: Set<string>;
}

export function buildTrustGraph(input: GraphInput): TrustGraph {
  const { site } = input;
  const nodes = new Map<string, TrustNode>();
  const edges = new Map<string, EdgeAcc>();
  const index = new DeviceIndex(input.devices);
  const byKey = new Map(input.devices.map((d) => [d.key, d]));

  const node = (n: TrustNode): TrustNode => {
    const had = nodes.get(n.id);
    if (had) return had;
    nodes.set(n.id, n);
    return n;
  };
  const edge = (kind: EdgeKind, from: string, to: string, o: { service?: string; detail?: string; evidence?: Evidence; firstUs?: number; lastUs?: number; flows?: number } = {}): EdgeAcc => {
    const k = `${kind}|${from}|${to}|${o.service ?? ""}`;
    let e = edges.get(k);
    if (!e) {
      e = { kind, from, to, evidence: [], flows: 0, details: new Set(), ...(o.service ? { service: o.service } : {}) };
      edges.set(k, e);
    }
    if (o.detail) e.details.add(o.detail);
    if (o.evidence && e.evidence.length < 8 && !e.evidence.some((x) => x.ref === o.evidence!.ref && x.text === o.evidence!.text)) e.evidence.push(o.evidence);
    if (o.firstUs !== undefined) e.firstUs = Math.min(e.firstUs ?? Infinity, o.firstUs);
    if (o.lastUs !== undefined) e.lastUs = Math.max(e.lastUs ?? -Infinity, o.lastUs);
    e.flows += o.flows ?? 0;
    return e;
  };

  const siteId = `site:${site}`;
  node({ id: siteId, kind: "site", label: site, site });
  const internet = zoneNode("internet");
  node({ id: internet, kind: "zone", label: "internet", site, members: "every endpoint outside the site" });
  for (const d of input.devices) {
    const id = deviceNode(d.key);
    node({ id, kind: "device", label: d.label, site, category: d.category, criticality: d.criticality, ips: d.ips });
    edge("member-of", id, siteId);
  }

  const external = (ip: string): string | undefined => {
    if (isGroupIp(ip) || isPrivateIp(ip)) return undefined;
    const name = index.dnsName(ip) ?? externalNetwork(ip);
    const id = externalNode(name);
    const n = node({ id, kind: "external", label: name, site, ips: [] });
    if (n.ips!.length < 16 && !n.ips!.includes(ip)) n.ips!.push(ip);
    if (!edges.has(`member-of|${id}|${internet}|`)) edge("member-of", id, internet);
    return id;
  };

  const bySource = new Map<string, HostileSpan[]>();
  for (const h of input.hostile) bySource.set(h.source, [...(bySource.get(h.source) ?? []), h]);
  const attack = (src: string, dst: string, firstUs: number, lastUs: number): boolean =>
    (bySource.get(src) ?? []).some((h) => (h.target === undefined || h.target === dst) && firstUs >= h.fromUs && lastUs <= h.toUs);

  // Flows: talks-to, manages over administration services, updates and cloud control channels.
  for (const p of input.pairs) {
    const service = serviceOf(p.proto, p.dstPort);
    const src = index.src(p);
    const dst = index.dst(p);
    const from = src ? deviceNode(src.key) : external(p.srcIp);
    const to = dst ? deviceNode(dst.key) : external(p.dstIp);
    if (!from || !to || from === to) continue;
    const span = { firstUs: p.firstUs, lastUs: p.lastUs, flows: p.count };
    const ev = (what: string): Evidence => ({ type: "flows", ref: `${p.srcIp} -> ${p.dstIp} ${service}`, text: `${p.count} flow${p.count === 1 ? "" : "s"} ${what}${service}, ${day(p.firstUs)} to ${day(p.lastUs)} UTC` });
    edge("talks-to", from, to, { service, evidence: ev(""), ...span });
    if (attack(p.srcIp, p.dstIp, p.firstUs, p.lastUs)) continue;
    if (src && dst) {
      const tool = MANAGEMENT[service] ?? (WEB.has(service) && !GENERAL_PURPOSE.has(dst.category) ? "web administration" : undefined);
      if (tool) edge("manages", from, to, { service, detail: tool, evidence: ev(`${tool} `), ...span });
      if (service === "udp/69") edge("updates", to, from, { service, detail: "tftp", evidence: ev("tftp "), ...span });
      const name = index.dnsName(p.dstIp);
      if (name && DOWNLOAD.has(service) && UPDATE_NAME.test(name)) edge("updates", to, from, { service, detail: `update source ${clip(name)}`, evidence: ev(`to ${clip(name)} `), ...span });
    } else if (src && !dst) {
      const name = index.dnsName(p.dstIp);
      if (name && DOWNLOAD.has(service) && UPDATE_NAME.test(name)) edge("updates", to, from, { service, detail: `update source ${clip(name)}`, evidence: ev(`to ${clip(name)} `), ...span });
      else if (name && p.proto === 6 && !NOT_CLOUD_MANAGED.has(src.category)) edge("cloud", from, to, { service, detail: `holds sessions to ${clip(name)}`, evidence: ev(""), ...span });
    }
  }

  // Facts: OT operations, SNMP communities, components in served banners, certificate issuers.
  const snmpSetters = new Set<string>();
  for (const d of input.devices) {
    const id = deviceNode(d.key);
    for (const f of d.facts) {
      const span = { firstUs: f.firstUs, lastUs: f.lastUs };
      if (f.kind === "ot.operation") {
        const o = parseOtOperation(f.value);
        if (!o) continue;
        const target = o.peer.includes(":") && /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/.test(o.peer) ? index.device(o.peer, "") : index.device(undefined, o.peer);
        if (!target || target.key === d.key) continue;
        edge("operates", id, deviceNode(target.key), { service: OP_SERVICE[o.op.split(".")[0]], detail: o.op, evidence: { type: "fact", ref: "ot.operation", text: clip(f.value) }, ...span });
      } else if (f.kind === "snmp.community") {
        const sp = f.value.indexOf(" ");
        if (sp < 0) continue;
        const pdu = f.value.slice(0, sp);
        const community = f.value.slice(sp + 1);
        if (pdu === "set") snmpSetters.add(d.key);
        const cred = credentialNode(input.credentialKey, site, "snmp", community);
        node({ id: cred, kind: "credential", label: `SNMP community ${cred.slice(-8)}`, site });
        // An agent answers with the community it accepted, and sends traps with it.
        const accepts = pdu === "response" || pdu === "trap";
        edge("holds-credential", id, cred, { service: "udp/161", detail: accepts ? "accepts" : "uses", evidence: { type: "fact", ref: "snmp.community", text: `${pdu} with the community (kept as a hash)` }, ...span });
      } else if (BANNER_KINDS.has(f.kind)) {
        for (const { sdk, version } of sdksIn(f.value)) {
          const sid = `sdk:${sdk.id}|${version ?? ""}`;
          if (!nodes.has(sid)) {
            const cves = input.sdkCves(sdk.maker, sdk.product, version).map((c) => ({ cve: c.cve, kev: c.kev, cvss: c.cvss }));
            node({ id: sid, kind: "sdk", label: `${sdk.maker} ${sdk.product}${version ? ` ${version}` : ""}`, site, cves });
          }
          edge("runs", id, sid, { detail: "component", evidence: { type: "fact", ref: f.kind, text: clip(f.value) }, ...span });
        }
      } else if (f.kind === "tls.cert_issuer") {
        const issuer = createHmac("sha256", "issuer").update(f.value).digest("hex").slice(0, 12);
        node({ id: `issuer:${issuer}`, kind: "issuer", label: clip(f.value), site });
        edge("certified-by", id, `issuer:${issuer}`, { evidence: { type: "fact", ref: "tls.cert_issuer", text: clip(f.value) }, ...span });
      }
    }
    // The firmware line: known when a maker and product are, with the version when it is.
    const { vendor, product, firmware } = d.identity;
    if (vendor && product && (firmware || d.cves.length > 0)) {
      const fid = `firmware:${vendor}|${product}|${firmware ?? ""}`;
      const n = node({ id: fid, kind: "firmware", label: clip(`${vendor} ${product}${firmware ? ` ${firmware}` : " (version unknown)"}`), site, cves: [] });
      for (const c of d.cves) if (!n.cves!.some((x) => x.cve === c.cve)) n.cves!.push({ cve: c.cve, kev: c.kev, cvss: c.cvss });
      edge("runs", id, fid, { detail: "firmware", evidence: { type: "fact", ref: "identity", text: clip(`${vendor} ${product} ${firmware ?? ""}`.trim()) }, firstUs: d.identity.firstUs, lastUs: d.identity.lastUs });
    }
  }
  // An SNMP set is management; reads are not, but the community they carry is shared all the same.
  for (const e of [...edges.values()]) {
    if (e.kind === "talks-to" && e.service === "udp/161" && snmpSetters.has(e.from.slice("device:".length)) && e.to.startsWith("device:")) {
      edge("manages", e.from, e.to, { service: "udp/161", detail: "snmp set", evidence: e.evidence[0], firstUs: e.firstUs, lastUs: e.lastUs, flows: e.flows });
    }
  }
  // Services: each one a device was seen serving (a flow to it), and each one an advisory
  // names for it, as a node of the device, with the CVEs that name it.
  const served = new Map<string, Map<string, { firstUs: number; lastUs: number; flows: number }>>();
  for (const e of edges.values()) {
    if (e.kind !== "talks-to" || !e.service?.includes("/") || CLIENT_PORTS.has(e.service) || !e.to.startsWith("device:")) continue;
    const of = served.get(e.to) ?? new Map<string, { firstUs: number; lastUs: number; flows: number }>();
    const seen = of.get(e.service) ?? { firstUs: Infinity, lastUs: -Infinity, flows: 0 };
    seen.firstUs = Math.min(seen.firstUs, e.firstUs ?? Infinity);
    seen.lastUs = Math.max(seen.lastUs, e.lastUs ?? -Infinity);
    seen.flows += e.flows;
    of.set(e.service, seen);
    served.set(e.to, of);
  }
  for (const d of input.devices) {
    const id = deviceNode(d.key);
    const seen = served.get(id);
    const services = new Set([...(seen?.keys() ?? []), ...d.cves.flatMap((c) => c.services)]);
    for (const s of services) {
      const sid = `service:${d.key}|${s}`;
      const cves = d.cves.filter((c) => c.services.includes(s)).map((c) => ({ cve: c.cve, kev: c.kev, cvss: c.cvss }));
      node({ id: sid, kind: "service", label: `${d.label} ${s}`, site, ips: d.ips, ...(cves.length ? { cves } : {}) });
      const flows = seen?.get(s);
      if (flows) edge("serves", id, sid, { service: s, evidence: { type: "flows", ref: s, text: `${flows.flows} flows to ${s}` }, firstUs: flows.firstUs, lastUs: flows.lastUs });
      if (cves.length) edge("serves", id, sid, { service: s, evidence: { type: "advisory", ref: cves.map((c) => c.cve).join(" "), text: `named by ${cves.map((c) => c.cve).join(", ")}` } });
    }
  }

  // Zones people declared.
  for (const z of input.zones) {
    const zid = zoneNode(z.name);
    node({ id: zid, kind: "zone", label: z.name, site, members: z.describe });
    for (const d of input.devices) if (zoneHas(z, d)) edge("member-of", deviceNode(d.key), zid);
  }

  // The policy in force: its groups and what each may reach.
  if (input.policy) {
    const p = input.policy.resolved;
    const matchers = new Map(p.sets.map((s) => [s.name, setMatcher(s)]));
    const groupId = (name: string): string => (name === "any" ? "group:any" : `group:${name}`);
    const used = new Set(p.rules.flatMap((r) => [r.from, r.to]));
    for (const name of used) {
      node({ id: groupId(name), kind: "group", label: name === "any" ? "any address" : name, site });
      if (name === "any") continue;
      const inSet = matchers.get(name)!;
      for (const d of input.devices) if (d.ips.some(inSet)) edge("member-of", deviceNode(d.key), groupId(name));
    }
    for (const r of p.rules) {
      const ports = r.ports.length === 0 ? "" : `/${r.ports.map(([a, b]) => (a === b ? `${a}` : `${a}-${b}`)).join(",")}`;
      edge("can-reach", groupId(r.from), groupId(r.to), { service: `${r.proto}${ports}`, detail: r.id, evidence: { type: "policy-rule", ref: r.id, text: clip(r.comment) } });
    }
  }

  // What people declared: an assumption is a trust edge from its subject to its object (or its site).
  for (const a of input.assumptions) {
    const subject = resolveRef(a.subject, byKey, index, nodes);
    const object = a.object ? resolveRef(a.object, byKey, index, nodes) : siteId;
    if (!subject || !object) continue;
    edge("trusts", subject, object, { detail: clip(a.statement), evidence: { type: "assumption", ref: String(a.id), text: clip(`${a.statement} (owner ${a.owner}, review by ${a.reviewBy})`) } });
  }

  // Stale is measured back from the site's newest traffic, not the clock: a capture analysed
  // months later is a site as it was then, not a site gone quiet.
  let newestUs = -Infinity;
  // Traffic only: a CMDB import or an SNMP poll today says nothing of when the site last talked.
  for (const p of input.pairs) if (p.lastUs > newestUs) newestUs = p.lastUs;
  const staleBeforeUs = Math.min(input.nowUs, Number.isFinite(newestUs) ? newestUs : input.nowUs) - input.staleAfterS * 1e6;
  const out: TrustEdge[] = [];
  for (const e of edges.values()) {
    const { flows, details, ...rest } = e;
    const t: TrustEdge = { ...rest, ...(flows > 0 ? { flows } : {}) };
    if (details.size > 0) t.detail = [...details].sort().join(", ");
    if (t.lastUs !== undefined && t.lastUs < staleBeforeUs) t.stale = true;
    out.push(t);
  }
  assignPlanes(nodes, out);
  return { site, builtUs: input.nowUs, staleBeforeUs, reachFrom: input.policy?.label ?? "no policy in force: the network is flat", nodes, edges: out };
}

/** A node named by a person: a node id, a device key, MAC or address, or a zone name. */
export function resolveRef(ref: string, byKey: ReadonlyMap<string, SiteDevice>, index: DeviceIndex<SiteDevice>, nodes: ReadonlyMap<string, TrustNode>): string | undefined {
  if (nodes.has(ref)) return ref;
  if (byKey.has(ref)) return deviceNode(ref);
  if (nodes.has(zoneNode(ref))) return zoneNode(ref);
  if (nodes.has(externalNode(ref))) return externalNode(ref);
  const d = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i.test(ref) ? index.device(ref.toLowerCase(), "") : index.device(undefined, ref);
  return d ? deviceNode(d.key) : undefined;
}

/**
 * Names the management planes among the devices, from what they do: a device that operates
 * OT devices is an EWS or HMI by its category, a BMS when it writes to BACnet controllers;
 * one that administers two or more devices is an NMS (over SNMP) or a jump host; any of these
 * that the internet reaches or that holds a session out is a vendor's remote access.
 */
/** Devices people sit at: one of them administering a device while browsing is not a remote-access box. */
const PERSONAL = new Set(["workstation", "mobile", "engineering-workstation", "hmi"]);

function assignPlanes(nodes: Map<string, TrustNode>, edges: readonly TrustEdge[]): void {
  const operates = new Map<string, Set<string>>();
  const manages = new Map<string, { targets: Set<string>; tools: Set<string> }>();
  const outside = new Set<string>();
  for (const e of edges) {
    if (e.kind === "operates") {
      const s = operates.get(e.from) ?? new Set<string>();
      s.add(e.detail ?? "");
      operates.set(e.from, s);
    } else if (e.kind === "manages") {
      const m = manages.get(e.from) ?? { targets: new Set<string>(), tools: new Set<string>() };
      m.targets.add(e.to);
      if (e.detail) m.tools.add(e.detail);
      manages.set(e.from, m);
    } else if (e.kind === "talks-to" && (e.from.startsWith("external:") || e.to.startsWith("external:"))) {
      outside.add(e.from.startsWith("external:") ? e.to : e.from);
    }
  }
  for (const n of nodes.values()) {
    if (n.kind !== "device") continue;
    const ops = operates.get(n.id);
    const m = manages.get(n.id);
    let plane: string | undefined;
    let why = "";
    const tools = m ? ` (${[...m.tools].sort().join(", ")})` : "";
    if (ops) {
      const list = [...ops].sort();
      plane = list.every((o) => o.startsWith("bacnet.")) ? "BMS" : n.category === "hmi" ? "HMI" : n.category === "engineering-workstation" ? "EWS" : "OT control";
      why = `operates OT devices (${list.slice(0, 4).join(", ")})`;
    } else if (m && outside.has(n.id) && !PERSONAL.has(n.category ?? "")) {
      plane = "vendor access";
      why = `administers ${m.targets.size} device${m.targets.size === 1 ? "" : "s"}${tools} and talks with the internet`;
    } else if (m && m.targets.size >= 2) {
      plane = m.tools.has("snmp set") ? "NMS" : [...m.tools].every((t) => t === "web administration") ? "device manager" : "jump host";
      why = `administers ${m.targets.size} devices${tools}`;
    }
    if (plane) {
      n.plane = plane;
      n.planeWhy = why;
    }
  }
}
