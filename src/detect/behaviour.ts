import { type ElementKey, elementText, externalNetwork } from "../baseline/baseline.js";
import { isGroupIp, isPrivateIp } from "../net/addr.js";
import { registeredDomain } from "./dns.js";
import type { FlowRecord } from "../model/flow-record.js";
import type { Detector, DetectorContext } from "./engine.js";
import { flowRef } from "./engine.js";
import { ADMIN_CONTEXT, ADMIN_PORTS, MATURE_CONTEXT } from "./severity.js";

/**
 * Behaviour against the baseline: a device that looks up a domain neither it nor its
 * category uses (new-domain), starts talking to a peer neither it nor its category has used
 * (new-peer; not again for a domain just told), uses or serves a protocol and port it never
 * did (new-service), or sends far more in an hour than it ever did (volume: exfiltration).
 * Baselines come from the store (earlier runs) and, for devices without one, from a learning
 * window at the start of their traffic in this run. What was alerted joins the baseline, and
 * a device's behavioural alerts form one episode per day, so a changed device is told once.
 */
export interface PriorDevice {
  category: string;
  /** Baseline elements. */
  elements: Iterable<ElementKey>;
  /** Bytes sent per active hour, 95th percentile. */
  outP95: number;
  /** Registered domains it looked up. */
  domains?: Iterable<string>;
  /** The baseline is mature (long and stable enough to judge against). */
  mature?: boolean;
}

export interface BehaviourOptions {
  /** Device key → its stored baseline. */
  prior: ReadonlyMap<string, PriorDevice>;
  /** Category → elements its devices used (internal peers as category:ROLE). */
  categories: ReadonlyMap<string, Iterable<ElementKey>>;
  /** Category → registered domains its devices looked up. */
  categoryDomains?: ReadonlyMap<string, ReadonlySet<string>>;
  /** MACs of routers: flows through them are keyed by address. */
  routers: ReadonlySet<string>;
  /** DNS answers already known: address → name the device asked for. */
  names: ReadonlyMap<string, string>;
  /** Learning window for devices without a stored baseline (default 24 h). */
  learnWindowUs?: number;
}

const DAY_US = 86_400_000_000;
/** A flow that got an answer: TCP whose responder sent SYN-ACK, or UDP with a reply. */
const answered = (f: FlowRecord): boolean => (f.proto === 6 ? (f.tcpFlagsDst & 0x12) === 0x12 : f.packetsDstToSrc > 0);
const HOUR_US = 3_600_000_000;
/** An hour's upload must pass both to be a volume alert. */
const VOLUME_FACTOR = 10;
const VOLUME_MIN_BYTES = 10_000_000;
const PROTO: Record<number, string> = { 1: "icmp", 6: "tcp", 17: "udp", 58: "icmp6", 132: "sctp" };

/**
 * FNV-1a: elements and peers are kept as 32-bit hashes, a few bytes each for every device.
 * Signed, so every hash is a small integer: half of the unsigned ones would be heap numbers,
 * which a Set hashes and compares at nearly twice the cost.
 */
function hash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h | 0;
}

/** An element's hash from its parts (the peer hashed once), as for "direction|peer|proto|port". */
function elementHash(direction: string, peerHash: number, proto: string, port: number): number {
  let h = Math.imul(peerHash ^ (direction === "serves" ? 0x5bd1e995 : 0x27d4eb2f), 0x01000193);
  h = Math.imul(h ^ hash(proto), 0x01000193);
  return Math.imul(h ^ port, 0x01000193) | 0;
}

function elementOf(e: ElementKey): number {
  return elementHash(e.direction, hash(e.peer), e.proto, e.port);
}

interface Peer { peer: string; role: string; hash: number }

interface State {
  category: string;
  elements: Set<number>;
  peers: Set<number>;
  learnUntilUs: number;
  outP95: number;
  /** Bytes sent in the newest clock hour seen (flows of earlier hours, ending late, are not re-added). */
  hour: number;
  sentThisHour: number;
  domains: Set<string>;
  /** Domains told as new in this run: a flow to them is not told again as a new peer. */
  toldDomains?: Set<string>;
  mature: boolean;
}

/** Devices tracked at once, and what one device's state remembers (elements, peers, domains each). */
export const MAX_DEVICES = 100_000;
export const MAX_PER_DEVICE = 4096;
/** Addresses named by DNS answers. */
const MAX_NAMES = 200_000;

/** Adds to a device's set while it has room: past it a new element is judged (and told once a day), not remembered. */
function keep<T>(set: Set<T>, v: T): void {
  if (set.size < MAX_PER_DEVICE) set.add(v);
}

export function behaviourDetector(o: BehaviourOptions): Detector {
  let evicted = 0;
  const window = o.learnWindowUs ?? DAY_US;
  const names = new Map(o.names);
  /** The reverse of `names` (name → its addresses), so a CNAME renames without a scan of every address. */
  const addressesOf = new Map<string, Set<string>>();
  for (const [ip, n] of names) (addressesOf.get(n) ?? addressesOf.set(n, new Set()).get(n)!).add(ip);
  const categories = new Map([...o.categories].map(([c, e]) => [c, new Set([...e].map(elementText))]));
  const categoryPeers = new Map([...o.categories].map(([c, e]) => [c, new Set([...e].map((x) => x.peer))]));
  const devices = new Map<string, State>();
  /**
   * Address → its device key when keyed by address ("ip:…"), or "" for an address outside the
   * site (bounded). Flows name the same few thousand addresses again and again: the key is
   * built and the address parsed once, and a Map lookup by a kept string reuses its hash.
   */
  const ipKeys = new Map<string, string>();
  const keyOf = (mac: string | undefined, ip: string): string | undefined => {
    let k = ipKeys.get(ip);
    if (k === undefined) {
      k = isPrivateIp(ip) ? `ip:${ip}` : "";
      if (ipKeys.size >= 200_000) ipKeys.clear();
      ipKeys.set(ip, k);
    }
    if (k === "") return undefined;
    return mac && !o.routers.has(mac) ? mac : k;
  };
  const state = (key: string, nowUs: number): State => {
    let s = devices.get(key);
    if (!s) {
      const p = o.prior.get(key);
      const list = [...(p?.elements ?? [])];
      s = {
        category: p?.category ?? "unknown", elements: new Set(list.map(elementOf)), peers: new Set(list.map((x) => hash(x.peer))),
        learnUntilUs: p ? -Infinity : nowUs + window, outP95: p?.outP95 ?? 0, hour: 0, sentThisHour: 0,
        domains: new Set(p?.domains ?? []), mature: p?.mature === true,
      };
      // Full: the device tracked longest goes; if it comes back it starts again from its stored baseline.
      if (devices.size >= MAX_DEVICES) {
        devices.delete(devices.keys().next().value!);
        evicted++;
      }
      devices.set(key, s);
    }
    return s;
  };
  /**
   * Peers, each named and hashed once (bounded): devices by their key, DNS names by the name,
   * multicast groups and external networks by the address. A peer's name and role follow
   * from what it is cached by, so a cache that is cleared and filled again gives the same peers.
   */
  const devicePeers = new Map<string, Peer>();
  const dnsPeers = new Map<string, Peer>();
  const addressPeers = new Map<string, Peer>();
  const remember = (cache: Map<string, Peer>, by: string, p: Peer): Peer => {
    if (cache.size > 100_000) cache.clear();
    cache.set(by, p);
    return p;
  };
  const peerOf = (k: string | undefined, ip: string): Peer => {
    if (k) {
      const p = devicePeers.get(k);
      if (p) return p;
      const peer = `device:${k}`;
      return remember(devicePeers, k, { peer, role: o.prior.get(k)?.category ?? "internal", hash: hash(peer) });
    }
    if (isGroupIp(ip)) {
      const p = addressPeers.get(ip);
      if (p) return p;
      const peer = `cidr:${ip}/${ip.includes(":") ? 128 : 32}`;
      return remember(addressPeers, ip, { peer, role: "multicast", hash: hash(peer) });
    }
    const name = names.get(ip);
    if (name) {
      const p = dnsPeers.get(name);
      if (p) return p;
      const peer = `dns:${name}`;
      return remember(dnsPeers, name, { peer, role: "external", hash: hash(peer) });
    }
    const p = addressPeers.get(ip);
    if (p) return p;
    const peer = `cidr:${externalNetwork(ip)}`;
    return remember(addressPeers, ip, { peer, role: "external", hash: hash(peer) });
  };
  const raise = (ctx: DetectorContext, f: Pick<FlowRecord, "site" | "firstUs"> & Partial<FlowRecord>, source: string, mac: string | undefined, a: { class: "new-peer" | "new-service" | "volume" | "new-domain"; severity: "low" | "medium" | "high"; technique: string; title: string; target?: string }, context?: string[]): void => {
    ctx.raise({ ...a, site: f.site, source, sourceMac: mac, tsUs: f.firstUs, episode: a.class, gapUs: DAY_US, anyTarget: true, flow: f.srcIp ? flowRef(f as FlowRecord) : undefined, context });
  };
  /** What `detect/severity.ts` rates a finding by: an admin protocol to an internal peer, a mature baseline. */
  const contextOf = (s: State, f: FlowRecord, peer: Peer, direction: "initiates" | "serves"): string[] | undefined => {
    const out: string[] = [];
    const admin = f.proto === 6 ? ADMIN_PORTS.get(f.dstPort) : undefined;
    if (admin && direction === "initiates" && peer.role !== "external" && peer.role !== "multicast") out.push(`${ADMIN_CONTEXT} ${admin} tcp/${f.dstPort}`);
    if (s.mature) out.push(MATURE_CONTEXT);
    return out.length > 0 ? out : undefined;
  };
  const judge = (ctx: DetectorContext, f: FlowRecord, key: string, mac: string | undefined, ip: string, direction: "initiates" | "serves", peer: Peer, peerIp: string): void => {
    const s = state(key, f.firstUs);
    const proto = PROTO[f.proto] ?? `ip-${f.proto}`;
    const port = f.proto === 6 || f.proto === 17 || f.proto === 132 ? f.dstPort : 0;
    const peerHash = peer.hash;
    const element = elementHash(direction, peerHash, proto, port);
    // Unanswered attempts (scans, dead peers) are the scan detector's: no one talked. Broadcast
    // and multicast (DHCP, discovery) reach no peer in particular.
    if (f.firstUs < s.learnUntilUs || s.elements.has(element) || !answered(f) || isGroupIp(peerIp)) {
      keep(s.elements, element);
      keep(s.peers, peerHash);
      return;
    }
    const categoryPeer = peer.peer.startsWith("device:") ? `category:${peer.role}` : peer.peer;
    const cat = categories.get(s.category);
    const catHas = (cat?.has(elementText({ direction, peer: categoryPeer, proto, port })) ?? false);
    keep(s.elements, element);
    const knownPeer = s.peers.has(peerHash) || (categoryPeers.get(s.category)?.has(categoryPeer) ?? false);
    keep(s.peers, peerHash);
    if (catHas) return;
    if (direction === "initiates" && !knownPeer) {
      if (peer.peer.startsWith("dns:") && s.toldDomains?.has(registeredDomain(peer.peer.slice(4)))) return;
      raise(ctx, f, ip, mac, {
        class: "new-peer", severity: peer.role === "external" ? "medium" : "low", technique: peer.role === "external" ? "T1071" : "T1021", target: peerIp,
        title: `${ip} (${s.category}) started ${proto}/${port} to ${peer.peer.replace(/^(device|dns|cidr):/, "")}, a peer neither it nor its category used before`,
      }, contextOf(s, f, peer, direction));
    } else if (knownPeer || direction === "serves") {
      raise(ctx, f, ip, mac, {
        class: "new-service", severity: "low", technique: direction === "serves" ? "T1205" : "T1571", target: peerIp,
        title: direction === "serves" ? `${ip} (${s.category}) served ${proto}/${port}, which it never served before` : `${ip} (${s.category}) used ${proto}/${port} with ${peer.peer.replace(/^(device|dns|cidr):/, "")} for the first time`,
      }, contextOf(s, f, peer, direction));
    }
  };
  return {
    name: "behaviour",
    evicted: () => evicted,
    kinds: ["dns.answer", "dns.query"],
    observation(e, ctx) {
      if (e.kind === "dns.query") {
        if (!e.aboutSource || !e.srcIp) return;
        const key = keyOf(e.srcMac, e.srcIp);
        if (!key) return;
        const s = state(key, e.tsUs);
        const domain = registeredDomain(e.value);
        if (s.domains.has(domain) || /\.(local|arpa|lan|home|internal|localdomain)$/.test(domain) || !domain.includes(".")) return;
        keep(s.domains, domain);
        if (e.tsUs < s.learnUntilUs || (o.categoryDomains?.get(s.category)?.has(domain) ?? false)) return;
        (s.toldDomains ??= new Set()).add(domain);
        raise(ctx, { site: e.site, firstUs: e.tsUs }, e.srcIp, e.srcMac, {
          class: "new-domain", severity: "low", technique: "T1071.004", target: domain,
          title: `${e.srcIp} (${s.category}) looked up ${e.value}: ${domain} is outside what it and its category use`,
        });
        return;
      }
      // "NAME TYPE DATA": read in place (answers come by the thousand).
      const v = e.value;
      const s1 = v.indexOf(" ");
      const s2 = s1 < 0 ? -1 : v.indexOf(" ", s1 + 1);
      if (s2 < 0) return;
      const type = v.slice(s1 + 1, s2);
      if (type !== "A" && type !== "AAAA" && type !== "CNAME") return;
      const s3 = v.indexOf(" ", s2 + 1);
      const data = s3 < 0 ? v.slice(s2 + 1) : v.slice(s2 + 1, s3);
      const name = v.slice(0, s1);
      if (type !== "CNAME" && data && !names.has(data)) {
        if (names.size >= MAX_NAMES) {
          const [oldIp, oldName] = names.entries().next().value!;
          names.delete(oldIp);
          addressesOf.get(oldName)?.delete(oldIp);
          evicted++;
        }
        names.set(data, name);
        (addressesOf.get(name) ?? addressesOf.set(name, new Set()).get(name)!).add(data);
      } else if (type === "CNAME" && data && data !== name) {
        const ips = addressesOf.get(data);
        if (!ips) return;
        addressesOf.delete(data);
        const into = addressesOf.get(name) ?? addressesOf.set(name, new Set()).get(name)!;
        for (const ip of ips) {
          names.set(ip, name);
          into.add(ip);
        }
      }
    },
    flow(f, ctx) {
      const src = keyOf(f.srcMac, f.srcIp);
      const dst = keyOf(f.dstMac, f.dstIp);
      if (src) {
        judge(ctx, f, src, f.srcMac, f.srcIp, "initiates", peerOf(dst, f.dstIp), f.dstIp);
        const s = devices.get(src)!;
        const hour = Math.floor(f.firstUs / HOUR_US);
        if (hour > s.hour) {
          s.hour = hour;
          s.sentThisHour = 0;
        }
        const sent = hour === s.hour ? (s.sentThisHour += f.bytesSrcToDst) : 0;
        if (f.firstUs < s.learnUntilUs) s.outP95 = Math.max(s.outP95, sent);
        else if (sent > VOLUME_MIN_BYTES && sent > VOLUME_FACTOR * Math.max(1, s.outP95)) {
          raise(ctx, f, f.srcIp, f.srcMac, {
            class: "volume", severity: "high", technique: "T1048", target: f.dstIp,
            title: `${f.srcIp} (${s.category}) sent ${(sent / 1e6).toFixed(1)} MB within an hour, ${Math.round(sent / Math.max(1, s.outP95))}x its usual peak: possible exfiltration`,
          });
          s.outP95 = sent;
        }
      }
      if (dst && dst !== src && answered(f)) judge(ctx, f, dst, f.dstMac, f.dstIp, "serves", peerOf(src, f.srcIp), f.srcIp);
    },
  };
}
