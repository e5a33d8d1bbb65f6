import { isGroupIp } from "../dissect/addr.js";
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
const MAX_PROBES = 20_000;

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

interface Probe { host: string; port: number; tsUs: number; type: string; /** Its newest place in the queue. */ seq: number }

/**
 * One source's probes in the window, indexed both ways so each new probe is checked in O(1),
 * and queued in the order they were last seen, so expiry stops at the first fresh one.
 */
class SourceState {
  /** Host → port → probe. */
  readonly byHost = new Map<string, Map<number, Probe>>();
  readonly byPort = new Map<number, Set<string>>();
  readonly types = new Map<string, number>();
  /** Probes in the order last seen; a slot whose seq the probe no longer has is stale. */
  private queue: Probe[] = [];
  private queueSeq: number[] = [];
  private head = 0;
  private seq = 0;
  /** Distinct (host, port) probes in the window. */
  size = 0;
  /** The first probe of the window, as evidence. */
  first: FlowRecord | undefined;

  constructor(readonly site: string, readonly mac: string | undefined) {}

  private enqueue(p: Probe): void {
    p.seq = ++this.seq;
    this.queue.push(p);
    this.queueSeq.push(p.seq);
  }

  add(host: string, port: number, tsUs: number, type: string): boolean {
    let ports = this.byHost.get(host);
    const old = ports?.get(port);
    if (old) {
      if (tsUs > old.tsUs) old.tsUs = tsUs;
      this.enqueue(old);
      return false;
    }
    if (!ports) {
      ports = new Map();
      this.byHost.set(host, ports);
    }
    const p: Probe = { host, port, tsUs, type, seq: 0 };
    ports.set(port, p);
    this.enqueue(p);
    this.size++;
    const hosts = this.byPort.get(port);
    if (hosts) hosts.add(host);
    else this.byPort.set(port, new Set([host]));
    this.types.set(type, (this.types.get(type) ?? 0) + 1);
    return true;
  }

  /** Drops probes older than the window (the queue is in order last seen, nearly time order). */
  prune(nowUs: number): void {
    const q = this.queue;
    const qs = this.queueSeq;
    let h = this.head;
    for (; h < q.length; h++) {
      const p = q[h];
      if (qs[h] !== p.seq) continue;
      if (nowUs - p.tsUs <= WINDOW_US) break;
      const ports = this.byHost.get(p.host)!;
      ports.delete(p.port);
      if (ports.size === 0) this.byHost.delete(p.host);
      const hosts = this.byPort.get(p.port)!;
      hosts.delete(p.host);
      if (hosts.size === 0) this.byPort.delete(p.port);
      this.types.set(p.type, (this.types.get(p.type) ?? 1) - 1);
      this.size--;
    }
    if (h > 1024 && h * 2 > q.length) {
      this.queue = q.slice(h);
      this.queueSeq = qs.slice(h);
      h = 0;
    }
    this.head = h;
  }

  clear(): void {
    this.first = undefined;
    this.byHost.clear();
    this.byPort.clear();
    this.types.clear();
    this.queue = [];
    this.queueSeq = [];
    this.head = 0;
    this.size = 0;
  }

  /** The most common probe type (the first seen wins a tie). */
  type(): string {
    let best = "SYN";
    let most = 0;
    for (const [t, n] of this.types) {
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
  const hostPorts = st.byHost.get(host)?.size ?? 0;
  const portHosts = st.byPort.get(port)?.size ?? 0;
  if (hostPorts < PORTS_ON_HOST && portHosts < HOSTS_ON_PORT && !(st.size >= PAIRS && st.byHost.size >= PAIR_HOSTS)) return;
  const type = st.type();
  const base = { class: "scan" as const, technique: "T1046", site: st.site, source: src, sourceMac: st.mac, tsUs: nowUs, flow: st.first ? flowRef(st.first) : undefined };
  if (hostPorts >= PORTS_ON_HOST) {
    raise({ ...base, severity: "medium", target: host, count: hostPorts, episode: "vertical", title: `${type} scan: ${src} probing the ports of ${host} (count: ports probed)` });
  } else if (portHosts >= HOSTS_ON_PORT) {
    const mirai = port === 23 || port === 2323;
    raise({ ...base, severity: mirai ? "high" : "medium", count: portHosts, episode: `horizontal ${port}`,
      title: mirai ? `Mirai-style telnet scan: ${src} probing hosts on port ${port} (count: hosts probed)` : `${type} sweep: ${src} probing hosts on port ${port} (count: hosts probed)` });
  } else {
    raise({ ...base, severity: "medium", count: st.size, episode: "pairs", title: `${type} scan: ${src} probing ports on ${st.byHost.size} hosts (count: host-port pairs probed)` });
  }
  st.clear();
}

export function scanDetector(): Detector {
  const sources = new Map<string, SourceState>();
  let seen = 0;
  return {
    name: "scan",
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
        if (sources.size >= MAX_SOURCES) return;
        st = new SourceState(f.site, f.srcMac);
        sources.set(f.srcIp, st);
      }
      st.prune(f.firstUs);
      if (st.size >= MAX_PROBES) return;
      if (st.size === 0) st.first = f;
      if (st.add(f.dstIp, f.dstPort, f.firstUs, type) && st.size >= HOSTS_ON_PORT) {
        check(f.srcIp, st, f.dstIp, f.dstPort, f.firstUs, ctx.raise);
      }
    },
  };
}
