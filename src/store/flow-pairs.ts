import type { FlowGroup, FlowRecord } from "../model/flow-record.js";

/**
 * Flows summed per pair of hosts (MAC and address), protocol and service port, over all
 * time: who talked to whom, how often, first and last seen. What the trust graph reads of
 * the traffic. Kept in memory and brought up to date from the flow chunks stored since the
 * last fold (`Store.foldFlowPairs`), so a long-lived reader (serve's API thread) reads only
 * the new flows each time, and storing flows costs nothing more. Summing into a table at
 * ingest was measured first: 4 µs more per NetFlow record (0.89 → 4.92 µs decoded and
 * stored), since every new pair is a B-tree upsert.
 *
 * Bounded: at most `maxPairs` pairs per accumulator; flows of pairs beyond it are counted in
 * `dropped`, never kept (a scan of every port of every host cannot grow it without end).
 */
export class FlowPairs {
  /** The first flow id not yet folded, per site. */
  private readonly next = new Map<string, number>();
  private readonly bySite = new Map<string, Map<string, FlowGroup>>();
  private size = 0;
  /** Flows of pairs not kept because the accumulator was full. */
  dropped = 0;

  constructor(readonly maxPairs = 2_000_000) {}

  nextId(site: string): number {
    return this.next.get(site) ?? 1;
  }

  setNextId(site: string, id: number): void {
    this.next.set(site, id);
  }

  /** Adds flows (of any site) to their pairs. */
  add(flows: Iterable<FlowRecord>): void {
    for (const f of flows) {
      let pairs = this.bySite.get(f.site);
      if (!pairs) {
        pairs = new Map();
        this.bySite.set(f.site, pairs);
      }
      const port = f.proto === 6 || f.proto === 17 || f.proto === 132 ? f.dstPort : 0;
      const k = `${f.proto}\t${f.srcIp}\t${f.dstIp}\t${port}\t${f.srcMac ?? ""}\t${f.dstMac ?? ""}`;
      const n = (f as Partial<FlowGroup>).count ?? 1;
      const g = pairs.get(k);
      if (g !== undefined) {
        addToGroup(g, f, n);
        continue;
      }
      if (this.size >= this.maxPairs) {
        this.dropped += n;
        continue;
      }
      this.size++;
      pairs.set(k, startGroup(f, port, n, "pair"));
    }
  }

  /** A site's pairs (the accumulator's own records: read, do not change). */
  pairs(site: string): FlowGroup[] {
    return [...(this.bySite.get(site)?.values() ?? [])];
  }
}

/** A group of one flow (or of a grouped record standing for `count` flows), source port dropped. */
export function startGroup(f: FlowRecord, dstPort: number, count: number, endReason: string): FlowGroup {
  const g: FlowGroup = {
    site: f.site, source: "", vlan: f.vlan, proto: f.proto, srcIp: f.srcIp, srcPort: 0, dstIp: f.dstIp, dstPort, count,
    initiatorKnown: f.initiatorKnown, packetsSrcToDst: f.packetsSrcToDst, bytesSrcToDst: f.bytesSrcToDst, packetsDstToSrc: f.packetsDstToSrc,
    bytesDstToSrc: f.bytesDstToSrc, firstUs: f.firstUs, lastUs: f.lastUs, tcpFlagsSrc: 0, tcpFlagsDst: 0, endReason,
  };
  if (f.srcMac !== undefined) g.srcMac = f.srcMac;
  if (f.dstMac !== undefined) g.dstMac = f.dstMac;
  return g;
}

/** Adds a flow standing for `n` flows to a group: counts and bytes add, first and last seen widen. */
export function addToGroup(g: FlowGroup, f: FlowRecord, n: number): void {
  g.count += n;
  if (f.initiatorKnown) g.initiatorKnown = true;
  g.packetsSrcToDst += f.packetsSrcToDst;
  g.bytesSrcToDst += f.bytesSrcToDst;
  g.packetsDstToSrc += f.packetsDstToSrc;
  g.bytesDstToSrc += f.bytesDstToSrc;
  if (f.firstUs < g.firstUs) g.firstUs = f.firstUs;
  if (f.lastUs > g.lastUs) g.lastUs = f.lastUs;
}
