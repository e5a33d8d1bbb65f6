import type { AppDissector } from "../dissect/context.js";

/**
 * One live bidirectional flow. Side "a" is the initiator as far as the traffic shows (the
 * sender of the SYN, or of the first packet); `initiatorKnown` is false when the capture began
 * mid-conversation and the guess rests on port numbers.
 */
export class Flow {
  /** Chain in the hash bucket. */
  next: Flow | undefined = undefined;
  /** Least-recently-seen list, for idle expiry and eviction. */
  older: Flow | undefined = undefined;
  newer: Flow | undefined = undefined;

  aMac = -1;
  bMac = -1;
  packetsAB = 0;
  bytesAB = 0;
  packetsBA = 0;
  bytesBA = 0;
  lastUs: number;
  /**
   * What the table's clock was ahead of this flow's packet times when it was last seen: 0
   * unless record time stepped back (an appended older capture), so timeouts are judged on
   * the flow's own timeline (`lastUs + offsetUs` against the clock).
   */
  offsetUs = 0;
  tcpFlagsAB = 0;
  tcpFlagsBA = 0;
  finAB = false;
  finBA = false;
  reset = false;
  initiatorKnown = false;
  /** Application protocol, once a dissector recognised the payload. */
  app: AppDissector | undefined = undefined;
  /** The first host name the flow asked for (TLS SNI, HTTP Host, DNS question), which names its service. */
  host: string | undefined = undefined;
  /** Payload-bearing packets inspected so far (deep dissection stops after a few). */
  inspected = 0;
  /** Set while a flow is in the table. */
  live = true;
  /** Frame number of the packet that started the flow, for evidence. */
  firstPacket = 0;
  /** Site and source of the packets that started the flow. */
  site = "default";
  source = "";
  /** Text forms of the addresses, made once. */
  aIpText: string | undefined = undefined;
  bIpText: string | undefined = undefined;
  /** The inventory's handles for each side's device, kept by the pipeline (no lookup per end). */
  aDevice: unknown = undefined;
  bDevice: unknown = undefined;

  constructor(
    readonly hash: number,
    readonly vlan: number,
    readonly proto: number,
    readonly ipVersion: number,
    /** IPv4 addresses as integers (0 for IPv6). */
    readonly aIp4: number,
    readonly bIp4: number,
    /** IPv6 addresses, copied (undefined for IPv4). */
    readonly aIp6: Buffer | undefined,
    readonly bIp6: Buffer | undefined,
    readonly aPort: number,
    readonly bPort: number,
    readonly firstUs: number,
  ) {
    this.lastUs = firstUs;
  }
}
