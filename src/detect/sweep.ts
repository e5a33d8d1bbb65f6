import type { FlowRecord } from "../model/flow-record.js";
import type { AlertInput } from "./alert.js";
import type { Detector, DetectorContext } from "./engine.js";
import { flowRef } from "./engine.js";

/**
 * Discovery that the port-scan rules do not see (pure state, bounded):
 * - an ARP sweep: one MAC asking ARP for 32 or more addresses within 10 seconds (nmap -sn on
 *   its own subnet; a router resolving its hosts does not ask that fast);
 * - a ping sweep: one host sending a few ICMP packets, unanswered or not, to 16 or more hosts
 *   within a minute (nmap -sn -PE, fping);
 * - an IP protocol scan: one host sending packets of 8 or more IP protocols other than TCP,
 *   UDP and ICMP to one host within a minute (nmap -sO);
 * - a version scan: one host opening short TCP connections to at most 3 ports of one host,
 *   each sending data, with 10 or more different (port, request size) pairs within a minute
 *   (nmap -sV tries probe after probe; a client repeats the same few requests).
 * Each raises a scan alert once per source and window; the window then starts again.
 */
const ARP_TARGETS = 32;
const ARP_WINDOW_US = 10_000_000;
const PING_HOSTS = 16;
const PING_WINDOW_US = 60_000_000;
const PROTOCOLS = 8;
const PROTO_WINDOW_US = 60_000_000;
const PROBE_KINDS = 10;
const PROBE_PORTS = 3;
const PROBE_WINDOW_US = 60_000_000;
const MAX_SOURCES = 50_000;
const SYN = 0x02, ACK = 0x10;

/** Distinct values seen by one source within a window, oldest first (bounded by the threshold). */
class Window {
  private readonly at = new Map<string | number, number>();
  constructor(private readonly spanUs: number) {}
  /** Adds a value; returns how many distinct values the window holds now. */
  add(v: string | number, tsUs: number): number {
    for (const [k, t] of this.at) {
      if (tsUs - t <= this.spanUs) break;
      this.at.delete(k);
    }
    this.at.delete(v);
    this.at.set(v, tsUs);
    return this.at.size;
  }
  clear(): void {
    this.at.clear();
  }
  values(): IterableIterator<string | number> {
    return this.at.keys();
  }
}

/** Sources' windows, at most MAX_SOURCES (the one tracked longest goes first). */
class Windows {
  private readonly by = new Map<string, Window>();
  evicted = 0;
  constructor(private readonly spanUs: number) {}
  of(key: string): Window {
    let w = this.by.get(key);
    if (!w) {
      if (this.by.size >= MAX_SOURCES) {
        this.by.delete(this.by.keys().next().value!);
        this.evicted++;
      }
      w = new Window(this.spanUs);
      this.by.set(key, w);
    }
    return w;
  }
}

export function sweepDetector(): Detector {
  const arp = new Windows(ARP_WINDOW_US);
  const ping = new Windows(PING_WINDOW_US);
  const protocols = new Windows(PROTO_WINDOW_US);
  const probes = new Windows(PROBE_WINDOW_US);
  type Extra = Pick<AlertInput, "flow" | "observation" | "target" | "packet">;
  const raise = (ctx: DetectorContext, f: { site: string }, source: string, sourceMac: string | undefined, title: string, tsUs: number, count: number, extra: Extra): void => {
    ctx.raise({ class: "scan", severity: "medium", technique: "T1046", site: f.site, source, sourceMac, title, tsUs, count, episode: title.split(":")[0], ...extra });
  };
  return {
    name: "sweep",
    kinds: ["arp.request"],
    evicted: () => arp.evicted + ping.evicted + protocols.evicted + probes.evicted,
    observation(e, ctx) {
      if (e.kind !== "arp.request" || !e.mac) return;
      const w = arp.of(e.site === "default" ? e.mac : `${e.site}|${e.mac}`);
      const n = w.add(e.value, e.tsUs);
      if (n < ARP_TARGETS) return;
      w.clear();
      raise(ctx, e, e.mac, e.mac, `ARP sweep: ${e.mac} asked for ${n} addresses within ${ARP_WINDOW_US / 1e6} s (count: addresses)`, e.tsUs, n,
        { observation: `arp.request=${e.value}`, packet: { source: e.source, packet: e.packet, tsUs: e.tsUs } });
    },
    flow(f: FlowRecord, ctx) {
      if (f.proto === 6) {
        // A completed handshake, data from the client (more bytes than its headers), over within 30 s.
        // Cheapest tests first: a probe is short, carries little (nmap's probes are under 1 KB) and was answered.
        if (f.lastUs - f.firstUs > 30_000_000 || f.bytesSrcToDst > 2000 || f.packetsSrcToDst > 8 || !f.initiatorKnown) return;
        if (!(f.tcpFlagsSrc & SYN) || (f.tcpFlagsDst & (SYN | ACK)) !== (SYN | ACK) || f.bytesSrcToDst - 52 * f.packetsSrcToDst <= 0) return;
        const w = probes.of(f.site === "default" ? `${f.srcIp}>${f.dstIp}` : `${f.site}|${f.srcIp}>${f.dstIp}`);
        // (port, request size) as one number: no string per flow.
        const n = w.add(f.dstPort * 65_536 + f.bytesSrcToDst, f.firstUs);
        if (n < PROBE_KINDS) return;
        const ports = new Set([...w.values()].map((v) => Math.floor(Number(v) / 65_536)));
        if (ports.size > PROBE_PORTS) return;
        w.clear();
        raise(ctx, f, f.srcIp, f.srcMac, `Version scan: ${f.srcIp} sent ${n} different requests to ${[...ports].map((p) => `tcp/${p}`).join(", ")} of ${f.dstIp} within a minute (count: requests)`,
          f.firstUs, n, { flow: flowRef(f), target: f.dstIp });
        return;
      }
      if (f.packetsSrcToDst > 3 || !f.initiatorKnown) return;
      if (f.proto === 1 || f.proto === 58) {
        const w = ping.of(f.site === "default" ? f.srcIp : `${f.site}|${f.srcIp}`);
        const n = w.add(f.dstIp, f.firstUs);
        if (n < PING_HOSTS) return;
        w.clear();
        raise(ctx, f, f.srcIp, f.srcMac, `Ping sweep: ${f.srcIp} sent ICMP to ${n} hosts within a minute (count: hosts)`, f.firstUs, n, { flow: flowRef(f) });
      } else if (f.proto !== 6 && f.proto !== 17) {
        const w = protocols.of(f.site === "default" ? `${f.srcIp}>${f.dstIp}` : `${f.site}|${f.srcIp}>${f.dstIp}`);
        const n = w.add(f.proto, f.firstUs);
        if (n < PROTOCOLS) return;
        w.clear();
        raise(ctx, f, f.srcIp, f.srcMac, `IP protocol scan: ${f.srcIp} sent ${n} IP protocols to ${f.dstIp} within a minute (count: protocols)`, f.firstUs, n, { flow: flowRef(f), target: f.dstIp });
      }
    },
  };
}
