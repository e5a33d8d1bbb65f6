import { u16be } from "../net/bytes.js";
import type { AppDissector, DissectContext } from "./context.js";

/**
 * GigE Vision's control protocol (GVCP, UDP 3956), which machine-vision cameras speak to the
 * software that finds and drives them. A camera answers a DISCOVERY_CMD (0x0002) with a
 * DISCOVERY_ACK (0x0003): an 8-byte header (status, answer, length, ack id), then its first
 * 248 bootstrap registers, which hold, as NUL-padded strings, the manufacturer (at 0x48, 32
 * bytes), model (0x68, 32), device version (0x88, 32), serial number (0xD8, 16) and the name a
 * user gave it (0xE8, 16) (GigE Vision 2.0, bootstrap registers; Wireshark's GVCP dissector).
 */
const ACK_HEADER = 8;
const DISCOVERY_ACK = 0x0003;
const PAYLOAD = 0xf8;
const FIELDS: readonly (readonly [number, number, "gige.manufacturer" | "gige.model" | "gige.version" | "gige.serial"])[] = [
  [0x48, 32, "gige.manufacturer"], [0x68, 32, "gige.model"], [0x88, 32, "gige.version"], [0xd8, 16, "gige.serial"],
];

/** A NUL-terminated string of at most `size` bytes, printable ASCII only, or nothing. */
function field(b: Buffer, at: number, size: number): string | undefined {
  let end = at;
  while (end < at + size && b[end] !== 0) end++;
  const s = b.toString("latin1", at, end).trim();
  return s !== "" && /^[\x20-\x7e]+$/.test(s) ? s : undefined;
}

function discoveryAck(b: Buffer, off: number, ctx: DissectContext): void {
  const regs = off + ACK_HEADER;
  for (const [at, size, kind] of FIELDS) {
    const v = field(b, regs + at, size);
    if (v !== undefined) ctx.emit(kind, "src", v);
  }
}

export const gigeVision: AppDissector = {
  name: "gvcp",
  transport: "udp",
  ports: [3956],
  dissect(b, off, len, ctx) {
    if (len < ACK_HEADER) return false;
    const answer = u16be(b, off + 2);
    const length = u16be(b, off + 4);
    // A command opens with the key byte 0x42; it says nothing of its sender.
    if (b[off] === 0x42) return length <= len - ACK_HEADER;
    // An acknowledge: its answer code is odd (a command's plus one), its length within the datagram.
    if (answer % 2 !== 1 || length > len - ACK_HEADER) return false;
    if (answer !== DISCOVERY_ACK) return true;
    // A successful discovery answer carries the whole block of registers.
    if (u16be(b, off) !== 0 || length !== PAYLOAD || len < ACK_HEADER + PAYLOAD) {
      ctx.error("gvcp.bad-discovery-ack");
      return true;
    }
    discoveryAck(b, off, ctx);
    return true;
  },
};
