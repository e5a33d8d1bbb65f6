/**
 * A finished (or flushed) flow: who talked to whom. The source side is the initiator when
 * `initiatorKnown`; otherwise the guess rests on port numbers. Bytes are IP-layer bytes.
 */
export interface FlowRecord {
  site: string;
  source: string;
  vlan: number;
  /** IP protocol number. */
  proto: number;
  srcMac?: string;
  srcIp: string;
  srcPort: number;
  dstMac?: string;
  dstIp: string;
  dstPort: number;
  initiatorKnown: boolean;
  packetsSrcToDst: number;
  bytesSrcToDst: number;
  packetsDstToSrc: number;
  bytesDstToSrc: number;
  firstUs: number;
  lastUs: number;
  tcpFlagsSrc: number;
  tcpFlagsDst: number;
  appProtocol?: string;
  /**
   * How the application protocol was decided: "dpi" when a dissector recognised the payload,
   * "port" when no payload was recognised and the well-known port named it (as nDPI's
   * "match by port").
   */
  appConfidence?: "dpi" | "port";
  /**
   * The well-known service the flow went to, named from the host it asked for (TLS SNI, HTTP
   * Host, DNS question): "amazon-alexa", "tuya". nDPI's "TLS.Amazon" is protocol tls, service amazon.
   */
  appService?: string;
  endReason: string;
}

/** The parts of a flow that behaviour features read. */
export type FlowSummary = Pick<FlowRecord,
  "proto" | "srcMac" | "srcIp" | "srcPort" | "dstMac" | "dstIp" | "dstPort" | "packetsSrcToDst" | "bytesSrcToDst"
  | "packetsDstToSrc" | "bytesDstToSrc" | "firstUs" | "lastUs" | "appProtocol">;

/**
 * Flows that share their ends, protocol, destination port and VLAN within one clock hour,
 * summed: what learning and baselines read (they never need the source port, and an hour
 * keeps time-of-day and per-hour volumes exact) at a fraction of the rows.
 */
export interface FlowGroup extends FlowRecord {
  /** How many flows the record stands for. */
  count: number;
}

/** How many flows a record stands for: 1, or a group's count. */
export const flowWeight = (f: FlowRecord): number => (f as Partial<FlowGroup>).count ?? 1;
