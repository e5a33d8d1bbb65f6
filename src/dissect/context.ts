import type { ObservationKind, Subject } from "../model/observation.js";
import { ipv4ToString, ipv6ToString } from "../net/addr.js";
import type { Packet } from "./packet.js";

/** What a dissector may do besides reading bytes: state facts and report malformed input. */
export interface DissectContext {
  readonly pkt: Packet;
  emit(kind: ObservationKind, subject: Subject, value: string): void;
  /**
   * An operation that changes an OT device, by the packet's source on its destination (or the
   * other way round when `actor` is "dst", as when a PLC pulls the blocks of a download):
   * recorded on both, as "who did what to whom".
   */
  operation(op: string, detail?: string, actor?: "src" | "dst"): void;
  error(kind: string, detail?: string): void;
}

/**
 * An application-protocol dissector: a pure function over one payload. `ports` route
 * packets to it cheaply; `test`, when present, recognises the protocol on any port from its
 * first bytes, as nDPI's guessers do.
 */
export interface AppDissector {
  /** Application protocol name stored on flows (lower case, as Zeek and tshark write them). */
  readonly name: string;
  readonly transport: "tcp" | "udp";
  readonly ports: readonly number[];
  /** Dissect every packet of the flow, not only the first few (DHCP, DNS and the like). */
  readonly everyPacket?: boolean;
  test?(b: Buffer, off: number, len: number): boolean;
  /** Returns false when the payload is not this protocol. */
  dissect(b: Buffer, off: number, len: number, ctx: DissectContext): boolean;
}

/** Printable ASCII of a byte range, control characters dropped, bounded in length. */
export function text(b: Buffer, off: number, len: number, max = 512): string {
  const n = len < max ? len : max;
  return b.toString("latin1", off, off + n).replace(/[\x00-\x1f\x7f]/g, "").trim();
}

export function utf8(b: Buffer, off: number, len: number, max = 512): string {
  const n = len < max ? len : max;
  return b.toString("utf8", off, off + n).replace(/[\x00-\x1f\x7f]/g, "").trim();
}

/** A JSON message, or undefined with `errorKind` counted when it does not parse. */
export function parseJson(text: string, ctx: DissectContext, errorKind: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    ctx.error(errorKind);
    return undefined;
  }
}

/** The packet's source or destination address as text ("" for link-layer packets). */
export function packetAddress(p: Packet, side: "src" | "dst"): string {
  if (p.ipVersion === 4) return ipv4ToString(side === "src" ? p.src4 : p.dst4);
  if (p.ipVersion === 6) return ipv6ToString(p.buf, side === "src" ? p.src6Off : p.dst6Off);
  return "";
}
