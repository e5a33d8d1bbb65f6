import { isGroupIp, isPrivateIp } from "../net/addr.js";
import { type FlowRecord, flowWeight } from "../model/flow-record.js";
import { DeviceIndex, type SiteDevice } from "./device-index.js";

/**
 * Per-device and per-category baselines: what a device normally does, learned from its flows
 * over a learning window. An element is one thing it does: start (or serve) a protocol and
 * port with one peer. Peers are internal devices (with their category as role), external
 * endpoints by the DNS name the site resolved to them, or their network (/24, IPv6 /48)
 * otherwise, so that a cloud service moving within its range is not new behaviour. Pure.
 */

export type Direction = "initiates" | "serves";

/** What one element of behaviour is: who starts, with whom, on what protocol and port. */
export interface ElementKey {
  direction: Direction;
  /** "device:KEY", "dns:NAME", "cidr:NETWORK", or "category:ROLE" in a category's baseline. */
  peer: string;
  proto: string;
  /** The responder's port (for "serves", the device's own). 0 for protocols without ports. */
  port: number;
}

/** An element as one text ("initiates|dns:cloud.example.com|tcp|443"), for sets and maps of elements. */
export const elementText = (e: ElementKey): string => `${e.direction}|${e.peer}|${e.proto}|${e.port}`;

export interface BaselineElement extends ElementKey {
  /** The internal peer's category, or "external". */
  peerRole: string;
  flows: number;
  bytesOut: number;
  bytesIn: number;
  firstUs: number;
  lastUs: number;
}

export interface DeviceBaseline {
  key: string;
  category: string;
  window: { firstUs: number; lastUs: number; seconds: number };
  flows: number;
  elements: BaselineElement[];
  /** Share of its flows the device started. */
  initiatedShare: number;
  /** Bytes sent and received per active hour: mean and 95th percentile. */
  volume: { outMean: number; outP95: number; inMean: number; inP95: number };
  /** Flows by hour of day (UTC) and by weekday (0 = Sunday). */
  hours: number[];
  weekdays: number[];
  /** Distinct clock hours with traffic. */
  activeHours: number;
  /** 1 minus the share of elements first seen in the last quarter of the window. */
  stability: number;
  mature: boolean;
  /** Why the baseline is (not yet) mature, in words. */
  maturity: string;
}

export interface CategoryBaseline {
  category: string;
  devices: number;
  /** What the category's devices do, with how many of them do it (peers of one device stay per device). */
  elements: { direction: Direction; peerRole: string; peer: string; proto: string; port: number; devices: number }[];
}

export interface BaselineOptions {
  /** Only flows that start within [fromUs, toUs) count. */
  fromUs?: number;
  toUs?: number;
  /** A baseline is mature once it spans this long (default 7 days)... */
  minWindowS?: number;
  /** ...holds this many flows (default 20)... */
  minFlows?: number;
  /** ...and at least this share of its elements were known before the last quarter (default 0.9). */
  minStability?: number;
}

export const DEFAULT_BASELINE: Required<Pick<BaselineOptions, "minWindowS" | "minFlows" | "minStability">> = {
  minWindowS: 7 * 86400, minFlows: 20, minStability: 0.9,
};

/** A baseline element's protocol name for an IP protocol number. */
export const protoName = (proto: number): string => PROTO[proto] ?? `ip-${proto}`;
const PROTO: Record<number, string> = { 1: "icmp", 6: "tcp", 17: "udp", 58: "icmp6", 132: "sctp" };
const HOUR_US = 3_600_000_000;

/** The network an external address is baselined as. */
export function externalNetwork(ip: string): string {
  if (!ip.includes(":")) return `${ip.split(".").slice(0, 3).join(".")}.0/24`;
  const groups = ip.split("::")[0].split(":");
  while (groups.length < 3) groups.push("0");
  return `${groups.slice(0, 3).join(":")}::/48`;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

/** What a device's flows add up to, however they were read (flows, or summaries of them: baseline/flow-summaries.ts). */
export interface BaselineTotals {
  elements: Iterable<BaselineElement>;
  flows: number;
  initiated: number;
  firstUs: number;
  lastUs: number;
  hours: number[];
  weekdays: number[];
  activeHours: number;
}

interface Acc extends Omit<BaselineTotals, "elements" | "activeHours"> {
  device: SiteDevice;
  elements: Map<string, BaselineElement>;
  outByHour: Map<number, number>;
  inByHour: Map<number, number>;
}

/** How a baseline names the other end of a flow (`d`, its device if it has one) and that end's role. */
export function peerOf(index: DeviceIndex<SiteDevice>, d: SiteDevice | undefined, ip: string): { peer: string; role: string } {
  if (d) return { peer: `device:${d.key}`, role: d.category };
  const host = `cidr:${ip}/${ip.includes(":") ? 128 : 32}`;
  if (isGroupIp(ip)) return { peer: host, role: "multicast" };
  const name = index.dnsName(ip);
  if (name) return { peer: `dns:${name}`, role: "external" };
  return isPrivateIp(ip) ? { peer: host, role: "internal" } : { peer: `cidr:${externalNetwork(ip)}`, role: "external" };
}

export function buildBaselines(devices: readonly SiteDevice[], flows: Iterable<FlowRecord>, o: BaselineOptions = {}): { devices: DeviceBaseline[]; categories: CategoryBaseline[] } {
  const index = new DeviceIndex(devices);
  const accs = new Map<string, Acc>();
  const accOf = (d: SiteDevice): Acc => {
    let a = accs.get(d.key);
    if (!a) {
      a = { device: d, elements: new Map(), flows: 0, initiated: 0, firstUs: Infinity, lastUs: -Infinity, hours: new Array(24).fill(0), weekdays: new Array(7).fill(0), outByHour: new Map(), inByHour: new Map() };
      accs.set(d.key, a);
    }
    return a;
  };
  const note = (a: Acc, f: FlowRecord, direction: Direction, peer: { peer: string; role: string }, out: number, inn: number): void => {
    const n = flowWeight(f);
    a.flows += n;
    if (direction === "initiates") a.initiated += n;
    a.firstUs = Math.min(a.firstUs, f.firstUs);
    a.lastUs = Math.max(a.lastUs, f.lastUs);
    const when = new Date(f.firstUs / 1000);
    a.hours[when.getUTCHours()] += n;
    a.weekdays[when.getUTCDay()] += n;
    const hour = Math.floor(f.firstUs / HOUR_US);
    a.outByHour.set(hour, (a.outByHour.get(hour) ?? 0) + out);
    a.inByHour.set(hour, (a.inByHour.get(hour) ?? 0) + inn);
    const proto = protoName(f.proto);
    const port = f.proto === 6 || f.proto === 17 || f.proto === 132 ? f.dstPort : 0;
    const k = `${direction}|${peer.peer}|${proto}|${port}`;
    let e = a.elements.get(k);
    if (!e) {
      e = { direction, peer: peer.peer, peerRole: peer.role, proto, port, flows: 0, bytesOut: 0, bytesIn: 0, firstUs: f.firstUs, lastUs: f.lastUs };
      a.elements.set(k, e);
    }
    e.flows += n;
    e.bytesOut += out;
    e.bytesIn += inn;
    e.firstUs = Math.min(e.firstUs, f.firstUs);
    e.lastUs = Math.max(e.lastUs, f.lastUs);
  };
  for (const f of flows) {
    if ((o.fromUs !== undefined && f.firstUs < o.fromUs) || (o.toUs !== undefined && f.firstUs >= o.toUs)) continue;
    const src = index.src(f);
    const dst = index.dst(f);
    if (src) note(accOf(src), f, "initiates", peerOf(index, dst, f.dstIp), f.bytesSrcToDst, f.bytesDstToSrc);
    if (dst && dst !== src) note(accOf(dst), f, "serves", peerOf(index, src, f.srcIp), f.bytesDstToSrc, f.bytesSrcToDst);
  }
  const out: DeviceBaseline[] = [];
  for (const a of accs.values()) {
    const outs = [...a.outByHour.values()].sort((x, y) => x - y);
    const ins = [...a.inByHour.values()].sort((x, y) => x - y);
    const mean = (v: number[]): number => (v.length ? v.reduce((s, x) => s + x, 0) / v.length : 0);
    out.push({
      ...finishBaseline(a.device, { ...a, elements: a.elements.values(), activeHours: a.outByHour.size }, o),
      volume: { outMean: mean(outs), outP95: percentile(outs, 0.95), inMean: mean(ins), inP95: percentile(ins, 0.95) },
    });
  }
  out.sort((x, y) => (x.key < y.key ? -1 : x.key > y.key ? 1 : 0));
  return { devices: out, categories: categoryBaselines(out) };
}


/** A device's baseline from its totals: elements busiest first, stability and maturity (all but the volume, which needs its hours' bytes). */
export function finishBaseline(device: Pick<SiteDevice, "key" | "category">, t: BaselineTotals, o: BaselineOptions = {}): Omit<DeviceBaseline, "volume"> {
  const opts = {
    minWindowS: o.minWindowS ?? DEFAULT_BASELINE.minWindowS, minFlows: o.minFlows ?? DEFAULT_BASELINE.minFlows,
    minStability: o.minStability ?? DEFAULT_BASELINE.minStability,
  };
  const seconds = Math.max(0, (t.lastUs - t.firstUs) / 1e6);
  // Busiest first; ties by first seen, then by what they are, so the order does not depend on the order flows were read.
  const elements = [...t.elements].sort((x, y) => y.flows - x.flows || x.firstUs - y.firstUs || (elementText(x) < elementText(y) ? -1 : elementText(x) > elementText(y) ? 1 : 0));
  const tailStart = t.lastUs - (t.lastUs - t.firstUs) / 4;
  const late = elements.filter((e) => e.firstUs > tailStart).length;
  const stability = elements.length === 0 ? 0 : 1 - late / elements.length;
  const short: string[] = [];
  if (seconds < opts.minWindowS) short.push(`window ${(seconds / 3600).toFixed(1)} h of ${(opts.minWindowS / 3600).toFixed(0)} h`);
  if (t.flows < opts.minFlows) short.push(`${t.flows} flows of ${opts.minFlows}`);
  if (stability < opts.minStability) short.push(`stability ${stability.toFixed(2)} < ${opts.minStability} (${late} of ${elements.length} elements new in the last quarter)`);
  return {
    key: device.key, category: device.category,
    window: { firstUs: t.firstUs, lastUs: t.lastUs, seconds }, flows: t.flows, elements,
    initiatedShare: t.flows ? t.initiated / t.flows : 0,
    hours: t.hours, weekdays: t.weekdays, activeHours: t.activeHours, stability,
    mature: short.length === 0,
    maturity: short.length === 0 ? `mature: ${(seconds / 86400).toFixed(1)} days, ${t.flows} flows, stability ${stability.toFixed(2)}` : `not mature: ${short.join("; ")}`,
  };
}

/**
 * A category's baseline: the union of its devices' elements, with internal peers named by
 * role ("category:nvr"), so a camera that starts talking to a second NVR is still ordinary
 * for cameras, while one that talks to a PLC is not.
 */
function categoryBaselines(devices: DeviceBaseline[]): CategoryBaseline[] {
  const by = new Map<string, { devices: number; elements: Map<string, CategoryBaseline["elements"][number]> }>();
  for (const d of devices) {
    const c = by.get(d.category) ?? { devices: 0, elements: new Map() };
    by.set(d.category, c);
    c.devices++;
    const seen = new Set<string>();
    for (const e of d.elements) {
      const peer = e.peer.startsWith("device:") ? `category:${e.peerRole}` : e.peer;
      const k = elementText({ direction: e.direction, peer, proto: e.proto, port: e.port });
      if (seen.has(k)) continue;
      seen.add(k);
      const x = c.elements.get(k) ?? { direction: e.direction, peerRole: e.peerRole, peer, proto: e.proto, port: e.port, devices: 0 };
      x.devices++;
      c.elements.set(k, x);
    }
  }
  return [...by].sort(([a], [b]) => (a < b ? -1 : 1)).map(([category, c]) => ({
    category, devices: c.devices, elements: [...c.elements.values()].sort((a, b) => b.devices - a.devices),
  }));
}
