import { isGroupIp } from "../net/addr.js";
import type { FlowRecord } from "../model/flow-record.js";
import type { Detector } from "./engine.js";
import { flowRef } from "./engine.js";

/**
 * Scanning and fan-out: one source probing many ports of a host (vertical), many hosts on a
 * port (horizontal), or many host-port pairs, within WINDOW_US. A probe is a flow that
 * carried next to nothing: TCP answered by RST or not at all, or a bare handshake torn down;
 * UDP without reply. The scan type follows the probe's TCP flags (SYN, FIN, NULL, XMAS, ACK,
 * connect, UDP); many telnet probes on 23/2323 read as Mirai-style.
 */
const WINDOW_US = 300_000_000;
const PORTS_ON_HOST = 15;
const HOSTS_ON_PORT = 6;
const PAIRS = 10;
/** Pairs count only across this many hosts: many probes to one or two hosts is a service down, not a scan. */
const PAIR_HOSTS = 4;
const MAX_SOURCES = 50_000;

const FIN = 0x01, SYN = 0x02, PSH = 0x08, ACK = 0x10, URG = 0x20;

/** UDP a server sends to a client (DHCP offers, DNS and NTP replies, discovery answers): not a probe when unanswered. */
const UDP_SERVER_PORTS = new Set([53, 67, 68, 69, 123, 137, 138, 161, 162, 514, 546, 547, 1900, 5353, 5355, 6666, 6667, 47808]);

export function probeType(f: FlowRecord): string | undefined {
  if (f.proto === 17) {
    if (UDP_SERVER_PORTS.has(f.srcPort) || f.dstPort === 68 || isGroupIp(f.dstIp)) return undefined;
    return f.packetsDstToSrc === 0 && f.packetsSrcToDst <= 2 ? "UDP" : undefined;
  }
  if (f.proto !== 6) return undefined;
  const s = f.tcpFlagsSrc;
  const d = f.tcpFlagsDst;
  if (f.packetsSrcToDst > 4 || f.bytesSrcToDst > 400) return undefined;
  const answered = (d & (SYN | ACK)) === (SYN | ACK);
  if ((s & (FIN | PSH | URG)) === (FIN | PSH | URG) && !(s & SYN)) return "XMAS";
  if (s === 0) return "NULL";
  if ((s & ~ACK) === FIN && !(s & SYN)) return "FIN";
  if (s === ACK) return "ACK";
  if (s & SYN) {
    if (!answered) return "SYN";
    // The handshake completed and was torn down without data: a connect() scan, or a SYN
    // scan whose probe was reset by the scanner.
    if (f.bytesSrcToDst <= 200 && f.packetsSrcToDst <= 3 && f.bytesDstToSrc <= 200) return s & ACK ? "connect" : "SYN";
  }
  return undefined;
}

/**
 * One source's probes in the window, oldest-seen first: distinct (host, port) pairs in
 * parallel arrays. A window never holds many: the first probe that makes 15 ports on a host,
 * 6 hosts on a port, or 10 pairs over 4 hosts raises and empties it, so it stays under 43
 * pairs (3 hosts of 14 ports), and a linear scan costs less than keeping maps and sets for
 * every source (which a scan's many short windows built and threw away by the thousand).
 */
class SourceState {
  private readonly hosts: string[] = [];
  private readonly ports: number[] = [];
  /** When each pair was last probed. */
  private readonly times: number[] = [];
  private readonly kinds: string[] = [];
  /** Probe types in the order first seen since the window was last emptied. */
  private readonly typeOrder: string[] = [];
  /** The first probe of the window, as evidence. */
  first: FlowRecord | undefined;

  constructor(readonly site: string, readonly mac: string | undefined) {}

  /** Distinct (host, port) probes in the window. */
  get size(): number {
    return this.hosts.length;
  }

  /** Records a probe; true when the pair is new to the window. A repeated pair becomes the newest seen. */
  add(host: string, port: number, tsUs: number, type: string): boolean {
    const n = this.hosts.length;
    for (let i = 0; i < n; i++) {
      if (this.ports[i] !== port || this.hosts[i] !== host) continue;
      const t = Math.max(this.times[i], tsUs);
      const kind = this.kinds[i];
      this.shiftDown(i + 1, 1);
      const last = n - 1;
      this.hosts[last] = host;
      this.ports[last] = port;
      this.times[last] = t;
      this.kinds[last] = kind;
      return false;
    }
    this.hosts.push(host);
    this.ports.push(port);
    this.times.push(tsUs);
    this.kinds.push(type);
    if (!this.typeOrder.includes(type)) this.typeOrder.push(type);
    return true;
  }

  /** Moves the pairs from `from` on down by `by` places, over the ones before them (in place: no arrays made). */
  private shiftDown(from: number, by: number): void {
    for (let j = from; j < this.hosts.length; j++) {
      this.hosts[j - by] = this.hosts[j];
      this.ports[j - by] = this.ports[j];
      this.times[j - by] = this.times[j];
      this.kinds[j - by] = this.kinds[j];
    }
  }

  private truncate(length: number): void {
    this.hosts.length = length;
    this.ports.length = length;
    this.times.length = length;
    this.kinds.length = length;
  }

  /** Drops the oldest-seen probes while they are older than the window (seen order is nearly time order). */
  prune(nowUs: number): void {
    let k = 0;
    while (k < this.times.length && nowUs - this.times[k] > WINDOW_US) k++;
    if (k > 0) {
      this.shiftDown(k, k);
      this.truncate(this.times.length - k);
    }
  }

  /** Ports probed on a host. */
  portsOn(host: string): number {
    let n = 0;
    for (let i = 0; i < this.hosts.length; i++) if (this.hosts[i] === host) n++;
    return n;
  }

  /** Hosts probed on a port. */
  hostsOn(port: number): number {
    let n = 0;
    for (let i = 0; i < this.ports.length; i++) if (this.ports[i] === port) n++;
    return n;
  }

  /** Distinct hosts probed. */
  hostCount(): number {
    let n = 0;
    for (let i = 0; i < this.hosts.length; i++) if (this.hosts.indexOf(this.hosts[i]) === i) n++;
    return n;
  }

  clear(): void {
    this.first = undefined;
    this.truncate(0);
    this.typeOrder.length = 0;
  }

  /** The most common probe type (the first seen wins a tie). */
  type(): string {
    let best = "SYN";
    let most = 0;
    for (const t of this.typeOrder) {
      let n = 0;
      for (const k of this.kinds) if (k === t) n++;
      if (n > most) {
        best = t;
        most = n;
      }
    }
    return best;
  }
}

type Raise = Parameters<NonNullable<Detector["flow"]>>[1]["raise"];

/** Raises when the newest probe (host, port) completes a vertical, horizontal or spread scan. */
function check(src: string, st: SourceState, host: string, port: number, nowUs: number, raise: Raise): void {
  const hostPorts = st.portsOn(host);
  const portHosts = st.hostsOn(port);
  const hosts = hostPorts < PORTS_ON_HOST && portHosts < HOSTS_ON_PORT && st.size >= PAIRS ? st.hostCount() : 0;
  if (hostPorts < PORTS_ON_HOST && portHosts < HOSTS_ON_PORT && hosts < PAIR_HOSTS) return;
  const type = st.type();
  const flow = st.first ? flowRef(st.first) : undefined;
  // One object shape for every scan raise (no spreads of a shared base).
  const scan = (severity: "medium" | "high", count: number, episode: string, title: string, target?: string): void => raise({
    class: "scan", technique: "T1046", site: st.site, source: src, sourceMac: st.mac, tsUs: nowUs, flow, severity, target, count, episode, title,
  });
  if (hostPorts >= PORTS_ON_HOST) {
    scan("medium", hostPorts, "vertical", `${type} scan: ${src} probing the ports of ${host} (count: ports probed)`, host);
  } else if (portHosts >= HOSTS_ON_PORT) {
    const mirai = port === 23 || port === 2323;
    scan(mirai ? "high" : "medium", portHosts, `horizontal ${port}`,
      mirai ? `Mirai-style telnet scan: ${src} probing hosts on port ${port} (count: hosts probed)` : `${type} sweep: ${src} probing hosts on port ${port} (count: hosts probed)`);
  } else {
    scan("medium", st.size, "pairs", `${type} scan: ${src} probing ports on ${hosts} hosts (count: host-port pairs probed)`);
  }
  st.clear();
}

export function scanDetector(): Detector {
  const sources = new Map<string, SourceState>();
  let seen = 0;
  let evicted = 0;
  return {
    name: "scan",
    evicted: () => evicted,
    flow(f, ctx) {
      const type = probeType(f);
      if (!type) return;
      // Now and then, sources whose window emptied are forgotten.
      if (++seen % 50_000 === 0) {
        for (const [ip, x] of sources) {
          x.prune(f.firstUs);
          if (x.size === 0) sources.delete(ip);
        }
      }
      let st = sources.get(f.srcIp);
      if (!st) {
        // Full: the source tracked longest goes (a flood of spoofed sources cannot blind the detector to new ones).
        if (sources.size >= MAX_SOURCES) {
          sources.delete(sources.keys().next().value!);
          evicted++;
        }
        st = new SourceState(f.site, f.srcMac);
        sources.set(f.srcIp, st);
      }
      st.prune(f.firstUs);
      if (st.size === 0) st.first = f;
      if (st.add(f.dstIp, f.dstPort, f.firstUs, type) && st.size >= HOSTS_ON_PORT) {
        check(f.srcIp, st, f.dstIp, f.dstPort, f.firstUs, ctx.raise);
      }
    },
  };
}
