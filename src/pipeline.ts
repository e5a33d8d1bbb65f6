import { ipv4ToString, ipv6ToString, isGroupMac, isMulticastIpv6, isPrivateIpv4, isPrivateIpv6, macToString, parseMac } from "./net/addr.js";
import type { AppDissector, DissectContext } from "./dissect/context.js";
import { IP_PROTOCOL_NAMES, PROTO_ICMPV6, PROTO_TCP, PROTO_UDP, decodeFrame } from "./dissect/decode.js";
import { LINK_DISSECTORS } from "./dissect/link-registry.js";
import { dissectNeighbourDiscovery } from "./dissect/icmpv6-nd.js";
import { type Packet, newPacket } from "./dissect/packet.js";
import { DissectorRegistry } from "./dissect/registry.js";
import type { Flow } from "./flows/flow.js";
import { DEFAULT_FLOW_OPTIONS, type FlowEndReason, FlowTable, type FlowTableOptions } from "./flows/table.js";
import type { Device, Evidence } from "./inventory/device.js";
import { Inventory } from "./inventory/inventory.js";
import type { PacketEvent } from "./detect/event.js";
import type { FlowRecord } from "./model/flow-record.js";
import { BehaviourAccumulator, PeerKind, peerKindOf } from "./flows/behaviour.js";
import { serviceTable } from "./flows/services.js";
import { synFingerprint } from "./dissect/tcp-syn.js";
import type { Observation, ObservationKind, Subject } from "./model/observation.js";
import type { Frame } from "./model/frame.js";
import { formatOtOperation } from "./model/ot-operation.js";
import { ErrorCounts } from "./net/error-counts.js";

/** Where detection reads the packet path: every observation as it happens, and every finished flow. */
export interface DetectionTap {
  /** Whether events of this kind are wanted (others are not built). */
  wants(kind: ObservationKind): boolean;
  observation(e: PacketEvent): void;
  /** A finished flow; `fromRecords` for flows another sensor measured (NetFlow, IPFIX, Zeek). */
  flow(r: FlowRecord, fromRecords?: boolean): void;
}

export interface PipelineConfig {
  /** Detection, when on. */
  detect?: DetectionTap;
  flows?: Partial<FlowTableOptions>;
  /** Payload-bearing packets of a flow that are dissected (protocols marked everyPacket: all). */
  deepPackets?: number;
  /** Finished flows are handed to the sink in batches of this size. */
  flowBatch?: number;
  /**
   * Live sources (serve): record times more than this far past the wall clock are clamped to
   * the wall clock and counted (`time.future-clamped`), so one forged or broken timestamp cannot move
   * pipeline time into the future. Unset (analyze): record time is kept as it is, however old.
   */
  futureSkewUs?: number;
  /** Read loopback traffic as a network: the all-zero MAC and loopback addresses name devices (`Inventory`). */
  loopback?: boolean;
}

export interface PipelineSink {
  flows(batch: FlowRecord[]): void;
}

export interface PipelineStats {
  packets: number;
  /** Sum of captured frame lengths. */
  bytes: number;
  /** Flows finished and handed to the sink. */
  flows: number;
  ipv4Fragments: number;
  ipv6Fragments: number;
  errors: ErrorCounts;
}


export interface Pipeline {
  readonly inventory: Inventory;
  readonly stats: PipelineStats;
  readonly flowTable: FlowTable;
  /** Names the source (and its site) of the frames pushed next. */
  beginSource(source: string, site: string): void;
  push(frame: Frame): void;
  /**
   * A flow measured elsewhere (a NetFlow/IPFIX or Zeek conn record): binds its ends to devices
   * (by MAC when the record has one, else by address), counts it, and hands it to the sink
   * with the packet path's flows.
   */
  pushFlow(record: FlowRecord): void;
  /** A fact another sensor reported (a Zeek log line): on the device with that MAC, else that private address. */
  observe(o: Observation): void;
  /** Moves pipeline time forward (serve calls this while sources are idle). */
  advance(nowUs: number): void;
  /** Ends every live flow and hands all pending records to the sink. */
  flush(): void;
  /** Pipeline time: the newest record time seen. */
  now(): number;
}

/**
 * The one composition root of the packet path: decode, flows, deep dissection, inventory.
 * `analyze`, `serve` and the tests all build it here.
 */
/** OT protocols whose server is an OT device of a kind the protocol tells (see data/fingerprints/categories-ot.json). */
const OT_SERVED = new Set(["s7comm", "enip", "modbus", "fins", "ads", "mms", "dnp3", "iec104", "bacnet", "fox", "knxnet-ip", "egd", "profinet-io", "opcua", "hart-ip", "c37.118", "dlms", "c12.22"]);

export function createPipeline(sink: PipelineSink, config: PipelineConfig = {}): Pipeline {
  const deepPackets = config.deepPackets ?? 8;
  const detect = config.detect;
  const flowBatch = config.flowBatch ?? 10_000;
  const registry = new DissectorRegistry();
  const services = serviceTable();
  const inventory = new Inventory({ loopback: config.loopback === true });
  const errors = new ErrorCounts();
  const stats: PipelineStats = { packets: 0, bytes: 0, flows: 0, ipv4Fragments: 0, ipv6Fragments: 0, errors };
  const pkt: Packet = newPacket();
  let source = "";
  let site = "default";
  let nowUs = 0;
  /**
   * The flow table's clock: the newest packet time of the current timeline (`lastTs`) plus
   * `offsetUs`. When record time steps back by more than the idle timeout (captures appended,
   * an older file after a newer one), the clock does not go back: the offset grows, timers
   * resume from the new point, and the older packets' flows are judged on their own timeline
   * instead of each packet ending as an idle flow of its own. Without a step back the clock is
   * exactly the newest packet time.
   */
  let lastTs = Number.NEGATIVE_INFINITY;
  let offsetUs = 0;
  const clock = (): number => (lastTs === Number.NEGATIVE_INFINITY ? 0 : lastTs + offsetUs);
  let pending: FlowRecord[] = [];
  const skewUs = config.futureSkewUs;
  /** The newest record time taken as it is: the wall clock plus the skew, read again only when a time passes it. */
  let futureLimitUs = skewUs === undefined ? Number.POSITIVE_INFINITY : Date.now() * 1000 + skewUs;
  /**
   * `t`, or the wall clock when `t` is beyond wall clock + skew (counted): not the limit
   * itself, which would still put pipeline time minutes ahead of the packets that follow.
   */
  function notFuture(t: number): number {
    if (t <= futureLimitUs) return t;
    const wallUs = Date.now() * 1000;
    futureLimitUs = wallUs + skewUs!;
    if (t <= futureLimitUs) return t;
    errors.add("time.future-clamped", source);
    return wallUs;
  }
  /** Flow of the first fragment of each fragmented datagram, so later fragments count on it. */
  const fragments = new Map<string, { flow: Flow; forward: boolean }>();

  const flowOptions: FlowTableOptions = { ...DEFAULT_FLOW_OPTIONS, ...config.flows };
  const table = new FlowTable(onFlowEnd, flowOptions);

  function flowIp(f: Flow, side: "a" | "b"): string {
    if (side === "a") return f.aIpText ??= f.ipVersion === 4 ? ipv4ToString(f.aIp4) : ipv6ToString(f.aIp6!, 0);
    return f.bIpText ??= f.ipVersion === 4 ? ipv4ToString(f.bIp4) : ipv6ToString(f.bIp6!, 0);
  }

  /** Unspecified, broadcast and multicast addresses belong to no device. */
  function unbound(f: Flow, side: "a" | "b"): boolean {
    if (f.ipVersion === 4) {
      const ip = side === "a" ? f.aIp4 : f.bIp4;
      return ip === 0 || ip >>> 28 >= 0xe;
    }
    const b = side === "a" ? f.aIp6! : f.bIp6!;
    return b[0] === 0xff || (b.readBigUInt64BE(0) === 0n && b.readBigUInt64BE(8) === 0n);
  }

  /** Binds a flow's side to its device once; later calls only widen the times. */
  function bindFlowSide(f: Flow, side: "a" | "b", ev: Evidence): Device | undefined {
    let d = (side === "a" ? f.aDevice : f.bDevice) as Device | undefined;
    if (d === undefined) {
      d = inventory.bindEnd(f.site, side === "a" ? f.aMac : f.bMac, unbound(f, side) ? undefined : flowIp(f, side), ev, f.lastUs);
      if (side === "a") f.aDevice = d;
      else f.bDevice = d;
    }
    return d;
  }

  /** A flow's packets and bytes on the counters of its two devices (a initiated, b answered). */
  function countTraffic(a: Device | undefined, b: Device | undefined, packetsAB: number, bytesAB: number, packetsBA: number, bytesBA: number): void {
    if (a) {
      a.packetsOut += packetsAB;
      a.bytesOut += bytesAB;
      a.packetsIn += packetsBA;
      a.bytesIn += bytesBA;
    }
    if (b) {
      b.packetsOut += packetsBA;
      b.bytesOut += bytesBA;
      b.packetsIn += packetsAB;
      b.bytesIn += bytesAB;
    }
  }

  /** One end of a flow record from an exporter or sensor: its device, if it has one of its own. */
  function bindRecordSide(r: FlowRecord, macText: string | undefined, ip: string, kind: PeerKind, ev: Evidence): Device | undefined {
    const bound = kind === PeerKind.Group || ip === "0.0.0.0" || ip === "::" ? undefined : ip;
    return inventory.bindEnd(r.site, macText ? (parseMac(macText) ?? -1) : -1, bound, ev, r.lastUs);
  }

  // Facts and flows another sensor reports do not move pipeline time: that clock is the packets'.
  function observeExternal(o: Observation): void {
    o.tsUs = notFuture(o.tsUs);
    const ev: Evidence = { source: o.source, packet: o.packet ?? 0, tsUs: o.tsUs, ip: o.ip };
    const ip = o.ip === undefined || peerKindOf(o.ip) === PeerKind.Group || o.ip === "0.0.0.0" ? undefined : o.ip;
    const d = inventory.bindEnd(o.site, o.mac ? (parseMac(o.mac) ?? -1) : -1, ip, ev, o.tsUs);
    if (d && !inventory.observeAgain(d, o.kind, o.value, o.tsUs)) inventory.observe(d, o.kind, o.value, ev);
  }

  function pushFlow(r: FlowRecord): void {
    r.lastUs = notFuture(r.lastUs);
    if (r.firstUs > r.lastUs) r.firstUs = r.lastUs;
    const ev: Evidence = { source: r.source, packet: 0, tsUs: r.firstUs };
    const srcKind = peerKindOf(r.srcIp);
    const dstKind = peerKindOf(r.dstIp);
    const a = bindRecordSide(r, r.srcMac, r.srcIp, srcKind, ev);
    const b = bindRecordSide(r, r.dstMac, r.dstIp, dstKind, ev);
    countTraffic(a, b, r.packetsSrcToDst, r.bytesSrcToDst, r.packetsDstToSrc, r.bytesDstToSrc);
    if (r.appProtocol === undefined && (r.proto === PROTO_TCP || r.proto === PROTO_UDP)) {
      const byPort = registry.byPortName(r.proto === PROTO_TCP, r.dstPort, r.srcPort);
      if (byPort) {
        r.appProtocol = byPort;
        r.appConfidence = "port";
      }
    }
    if (a) {
      (a.behaviour ??= new BehaviourAccumulator()).add(r, true, dstKind);
      a.behaviour.recordFlows++;
    }
    if (b && b !== a) {
      (b.behaviour ??= new BehaviourAccumulator()).add(r, false, srcKind);
      b.behaviour.recordFlows++;
    }
    pending.push(r);
    detect?.flow(r, true);
    stats.flows++;
    if (pending.length >= flowBatch) drain();
  }

  /** Where one end of a flow is, read from the binary address. */
  function peerKind(f: Flow, side: "a" | "b"): PeerKind {
    if (f.ipVersion === 4) {
      const ip = side === "a" ? f.aIp4 : f.bIp4;
      if (ip >>> 28 === 0xe || (ip & 0xff) === 0xff) return PeerKind.Group;
      return isPrivateIpv4(ip) ? PeerKind.Internal : PeerKind.External;
    }
    const b = side === "a" ? f.aIp6! : f.bIp6!;
    if (isMulticastIpv6(b, 0)) return PeerKind.Group;
    return isPrivateIpv6(b, 0) ? PeerKind.Internal : PeerKind.External;
  }

  /** A finished flow widens its devices' and addresses' last-seen times. */
  function widen(d: Device, ip: string, f: Flow): void {
    d.seen(f.firstUs, f.lastUs);
    const addr = d.addresses.get(ip);
    if (addr !== undefined && f.lastUs > addr.lastUs) addr.lastUs = f.lastUs;
  }

  /**
   * The application protocol a dissector recognised, else the one its port names; ICMP, IGMP,
   * GRE and the like are named by the IP header itself.
   */
  function appOf(f: Flow): string | undefined {
    if (f.app) return f.app.name;
    if (f.proto !== PROTO_TCP && f.proto !== PROTO_UDP) return IP_PROTOCOL_NAMES.get(f.proto);
    return registry.byPortName(f.proto === PROTO_TCP, f.bPort, f.aPort);
  }

  /** The service a flow's responder provided: a TCP port that completed a handshake, or a UDP port that answered. */
  function servedService(f: Flow): string | undefined {
    if (!f.initiatorKnown || f.packetsBA === 0) return undefined;
    if (f.proto === PROTO_TCP) return (f.tcpFlagsBA & 0x12) === 0x12 ? `tcp/${f.bPort}` : undefined;
    if (f.proto === PROTO_UDP && f.bPort < 49152) return `udp/${f.bPort}`;
    return undefined;
  }

  function onFlowEnd(f: Flow, reason: FlowEndReason): void {
    const fSite = f.site;
    const aIp = flowIp(f, "a");
    const bIp = flowIp(f, "b");
    const ev: Evidence = { source: f.source, packet: 0, tsUs: f.firstUs };
    const a = bindFlowSide(f, "a", ev);
    const b = bindFlowSide(f, "b", ev);
    if (a) widen(a, aIp, f);
    if (b) {
      widen(b, bIp, f);
      const served = servedService(f);
      if (served && !inventory.observeAgain(b, "service.served", served, f.lastUs)) {
        inventory.observe(b, "service.served", served, { source: f.source, packet: f.firstPacket, tsUs: f.firstUs, ip: bIp });
      }
      // An OT protocol the payload named, answered by this side: the device's role, even when
      // no identity response is in the traffic.
      // A capture that began mid-conversation shows no handshake: the side on the protocol's
      // own port that answered serves it.
      const answeredOnItsPort = f.app !== undefined && f.packetsBA > 0 && f.packetsAB > 0 && (served !== undefined || (!f.initiatorKnown && f.app.ports.includes(f.bPort)));
      if (answeredOnItsPort && OT_SERVED.has(f.app!.name) && !inventory.observeAgain(b, "ot.served", f.app!.name, f.lastUs)) {
        inventory.observe(b, "ot.served", f.app!.name, { source: f.source, packet: f.firstPacket, tsUs: f.firstUs, ip: bIp });
      }
    }
    countTraffic(a, b, f.packetsAB, f.bytesAB, f.packetsBA, f.bytesBA);
    const appProtocol = appOf(f);
    // Every record has the same fields in the same order (absent ones undefined), so the
    // detectors and the store that read them see one object shape.
    const record: FlowRecord = {
      site: fSite,
      source: ev.source,
      vlan: f.vlan,
      proto: f.proto,
      srcMac: f.aMac >= 0 ? macToString(f.aMac) : undefined,
      srcIp: aIp,
      srcPort: f.aPort,
      dstMac: f.bMac >= 0 ? macToString(f.bMac) : undefined,
      dstIp: bIp,
      dstPort: f.bPort,
      initiatorKnown: f.initiatorKnown,
      packetsSrcToDst: f.packetsAB,
      bytesSrcToDst: f.bytesAB,
      packetsDstToSrc: f.packetsBA,
      bytesDstToSrc: f.bytesBA,
      firstUs: f.firstUs,
      lastUs: f.lastUs,
      tcpFlagsSrc: f.tcpFlagsAB,
      tcpFlagsDst: f.tcpFlagsBA,
      appProtocol,
      appConfidence: appProtocol === undefined ? undefined : f.app || (f.proto !== PROTO_TCP && f.proto !== PROTO_UDP) ? "dpi" : "port",
      appService: f.host === undefined ? undefined : services.serviceOf(f.host),
      endReason: reason,
    };
    pending.push(record);
    detect?.flow(record);
    if (a) (a.behaviour ??= new BehaviourAccumulator()).add(record, true, peerKind(f, "b"), f.ipVersion === 4 ? f.bIp4 : bIp);
    if (b && b !== a) (b.behaviour ??= new BehaviourAccumulator()).add(record, false, peerKind(f, "a"), f.ipVersion === 4 ? f.aIp4 : aIp);
    stats.flows++;
    if (pending.length >= flowBatch) drain();
  }

  function drain(): void {
    if (pending.length === 0) return;
    const batch = pending;
    pending = [];
    sink.flows(batch);
  }

  function packetIp(src: boolean): string {
    if (pkt.ipVersion === 4) return ipv4ToString(src ? pkt.src4 : pkt.dst4);
    return ipv6ToString(pkt.buf, src ? pkt.src6Off : pkt.dst6Off);
  }

  function subjectDevice(subject: Subject): Device | undefined {
    if (typeof subject === "object") {
      return inventory.byMacNumber(site, subject.mac);
    }
    const src = subject === "src";
    let mac = src ? pkt.srcMac : pkt.dstMac;
    if (mac >= 0 && isGroupMac(mac)) mac = -1;
    const v4 = pkt.ipVersion === 4;
    const local = v4 ? isPrivateIpv4(src ? pkt.src4 : pkt.dst4)
      : pkt.ipVersion === 6 ? isPrivateIpv6(pkt.buf, src ? pkt.src6Off : pkt.dst6Off) : true;
    if (mac >= 0) {
      const d = inventory.byMacNumber(site, mac);
      // A router relays other hosts' packets: their facts belong to those hosts.
      if (d && d.router && pkt.ipVersion !== 0) {
        const ip = packetIp(src);
        if (inventory.relays(d, ip)) return local ? inventory.byIp(site, ip) : undefined;
      }
      return d;
    }
    if (pkt.ipVersion !== 0 && local) return inventory.byIp(site, packetIp(src));
    return undefined;
  }

  const ctx: DissectContext = {
    pkt,
    emit(kind: ObservationKind, subject: Subject, value: string): void {
      if (value === "") return;
      if (dissecting !== undefined && dissecting.host === undefined && (kind === "tls.sni" || kind === "http.host" || kind === "dns.query" || kind === "tls.server_name")) dissecting.host = value;
      const d = subjectDevice(subject);
      if (detect && detect.wants(kind)) tapObservation(kind, subject, value, d);
      if (!d || inventory.observeAgain(d, kind, value, pkt.tsUs)) return;
      const ip = typeof subject === "string" && pkt.ipVersion !== 0 ? packetIp(subject === "src") : undefined;
      inventory.observe(d, kind, value, { source, packet: pkt.index, tsUs: pkt.tsUs, ip });
    },
    operation(op: string, detail?: string, actor: "src" | "dst" = "src"): void {
      const target = actor === "src" ? "dst" : "src";
      // Hosts are named by IP, or by MAC for link-layer protocols (PROFINET DCP).
      const name = (side: "src" | "dst"): string => pkt.ipVersion !== 0 ? packetIp(side === "src")
        : (side === "src" ? pkt.srcMac : pkt.dstMac) >= 0 ? macToString(side === "src" ? pkt.srcMac : pkt.dstMac) : "unknown";
      ctx.emit("ot.operation", actor, formatOtOperation({ op, direction: "to", peer: name(target), detail }));
      ctx.emit("ot.operation_received", target, formatOtOperation({ op, direction: "from", peer: name(actor), detail }));
    },
    error(kind: string, detail?: string): void {
      errors.add(kind, detail);
    },
  };

  function tapObservation(kind: ObservationKind, subject: Subject, value: string, d: Device | undefined): void {
    const ip = pkt.ipVersion !== 0;
    detect!.observation({
      kind, value, site, source, tsUs: pkt.tsUs, packet: pkt.index, mac: typeof subject === "object" ? macToString(subject.mac) : d?.mac,
      srcMac: pkt.srcMac >= 0 ? macToString(pkt.srcMac) : undefined, dstMac: pkt.dstMac >= 0 ? macToString(pkt.dstMac) : undefined,
      srcIp: ip ? packetIp(true) : undefined, dstIp: ip ? packetIp(false) : undefined,
      srcPort: ip ? pkt.srcPort : undefined, dstPort: ip ? pkt.dstPort : undefined, proto: ip ? pkt.proto : 0,
      aboutSource: subject === "src",
    });
  }

  /** The flow whose payload is being dissected, while it is. */
  let dissecting: Flow | undefined;

  function dissectPayload(f: Flow): void {
    dissecting = f;
    dissectFlowPayload(f);
    dissecting = undefined;
  }

  function dissectFlowPayload(f: Flow): void {
    const tcp = pkt.proto === PROTO_TCP;
    const b = pkt.buf;
    const off = pkt.payloadOff;
    const len = pkt.payloadLen;
    if (f.app !== undefined) {
      if (f.app.everyPacket || f.inspected < deepPackets) {
        f.inspected++;
        f.app.dissect(b, off, len, ctx);
      }
      return;
    }
    if (f.inspected >= deepPackets) return;
    f.inspected++;
    const byDst = registry.forPort(tcp, pkt.dstPort);
    if (byDst && tryDissectors(f, byDst)) return;
    const bySrc = registry.forPort(tcp, pkt.srcPort);
    if (bySrc && bySrc !== byDst && tryDissectors(f, bySrc)) return;
    const guessed = registry.guess(tcp, b, off, len);
    if (guessed && guessed.dissect(b, off, len, ctx)) f.app = guessed;
  }

  function tryDissectors(f: Flow, list: readonly AppDissector[]): boolean {
    for (const d of list) {
      if (d.dissect(pkt.buf, pkt.payloadOff, pkt.payloadLen, ctx)) {
        f.app = d;
        return true;
      }
    }
    return false;
  }

  function nonIp(): void {
    const b = pkt.buf;
    const off = pkt.l3Off;
    const len = pkt.frameOff + pkt.caplen - off;
    // Non-IP frames (ARP, LLDP, CDP, STP...) count as traffic of their sender and receiver.
    const src = inventory.byMacNumber(site, pkt.srcMac);
    if (src) {
      src.seen(pkt.tsUs, pkt.tsUs);
      src.packetsOut++;
      src.bytesOut += pkt.caplen;
    }
    const dst = inventory.byMacNumber(site, pkt.dstMac);
    if (dst) {
      dst.seen(pkt.tsUs, pkt.tsUs);
      dst.packetsIn++;
      dst.bytesIn += pkt.caplen;
    }
    LINK_DISSECTORS.get(pkt.etherType)?.(b, off, len, ctx);
  }

  function fragmentKey(): string {
    if (pkt.ipVersion === 4) return `4:${pkt.src4}:${pkt.dst4}:${pkt.fragId}`;
    return `6:${pkt.buf.toString("hex", pkt.src6Off, pkt.src6Off + 32)}:${pkt.fragId}`;
  }

  function push(frame: Frame): void {
    stats.packets++;
    stats.bytes += frame.caplen;
    if (frame.tsUs > futureLimitUs) frame.tsUs = notFuture(frame.tsUs);
    if (frame.tsUs > nowUs) nowUs = frame.tsUs;
    const t = frame.tsUs;
    if (t >= lastTs) lastTs = t;
    else if (lastTs - t > flowOptions.idleTimeoutUs) {
      offsetUs += lastTs - t;
      lastTs = t;
      errors.add("time.stepped-back", `frame ${frame.index} of ${source}`);
    }
    const tableNow = lastTs + offsetUs;
    if (frame.caplen < frame.wireLen) errors.add("frame.snaplen-cut");
    const err = decodeFrame(frame, pkt);
    if (err !== undefined) errors.add(err, `frame ${frame.index} of ${source}`);
    if (pkt.ipVersion === 0) {
      if (err === undefined) nonIp();
      table.advance(tableNow);
      return;
    }
    if (pkt.fragment) {
      if (pkt.ipVersion === 4) stats.ipv4Fragments++;
      else stats.ipv6Fragments++;
      if (pkt.laterFragment) {
        const first = fragments.get(fragmentKey());
        if (first && first.flow.live) {
          const f = first.flow;
          if (first.forward) {
            f.packetsAB++;
            f.bytesAB += pkt.ipLen;
          } else {
            f.packetsBA++;
            f.bytesBA += pkt.ipLen;
          }
          if (pkt.tsUs > f.lastUs) f.lastUs = pkt.tsUs;
        }
        table.advance(tableNow);
        return;
      }
    }
    if (err !== undefined) {
      table.advance(tableNow);
      return;
    }
    // Expire idle flows before this packet can refresh one of them.
    table.advance(tableNow);
    const created = table.created;
    const f = table.update(pkt, tableNow, pkt.ipLen, offsetUs);
    if (table.created !== created) {
      f.site = site;
      f.source = source;
      f.firstPacket = pkt.index;
      const ev: Evidence = { source, packet: pkt.index, tsUs: pkt.tsUs };
      bindFlowSide(f, "a", ev);
      bindFlowSide(f, "b", ev);
      // The SYN that opens a connection carries its sender's TCP/IP stack fingerprint: a local
      // sender's (a router's MAC also carries outside hosts' SYNs).
      if (pkt.proto === PROTO_TCP && (pkt.tcpFlags & 0x12) === 0x02 && (pkt.ipVersion === 4 ? isPrivateIpv4(pkt.src4) : isPrivateIpv6(pkt.buf, pkt.src6Off))) {
        const syn = synFingerprint(pkt);
        if (syn !== undefined) ctx.emit("tcp.syn_fingerprint", "src", syn);
      }
    }
    if (pkt.fragment) {
      if (fragments.size > 4096) fragments.clear();
      fragments.set(fragmentKey(), { flow: f, forward: table.forward });
    }
    if (pkt.payloadLen > 0 && (pkt.proto === PROTO_TCP || pkt.proto === PROTO_UDP)) {
      dissectPayload(f);
    } else if (pkt.proto === PROTO_ICMPV6 && pkt.payloadLen >= 0) {
      dissectNeighbourDiscovery(pkt.buf, pkt.l4Off, pkt.payloadOff + pkt.payloadLen - pkt.l4Off, ctx);
    }
  }

  return {
    inventory,
    stats,
    flowTable: table,
    beginSource(s: string, siteName: string): void {
      source = s;
      site = siteName;
    },
    push,
    pushFlow,
    observe: observeExternal,
    advance(t: number): void {
      if (t > nowUs) nowUs = t;
      if (t > lastTs) lastTs = t;
      table.advance(clock());
      drain();
    },
    flush(): void {
      table.flush();
      drain();
    },
    now: () => nowUs,
  };
}
