import type { AppDissector, DissectContext } from "./context.js";

/** HART commands that change a field device (HART universal and common-practice commands). */
export const HART_OPERATIONS: Record<number, string> = {
  6: "write-polling-address", 17: "write-message", 18: "write-tag", 19: "write-final-assembly-number",
  22: "write-long-tag", 35: "write-range-values", 36: "set-upper-range", 37: "set-lower-range",
  38: "reset-configuration-changed", 40: "enter-fixed-current", 42: "device-reset", 44: "write-pv-units",
  45: "trim-loop-current-zero", 46: "trim-loop-current-gain", 79: "write-device-variable",
};

/** The HART PDU inside a HART-IP token-passing message: delimiter, address, command. */
function hartPdu(b: Buffer, p: number, end: number, request: boolean, ctx: DissectContext): void {
  if (p >= end) return;
  const delimiter = b[p];
  const longAddress = (delimiter & 0x80) !== 0;
  const expansion = (delimiter >> 5) & 0x03;
  const q = p + 1 + (longAddress ? 5 : 1) + expansion;
  if (q + 2 > end) return ctx.error("hartip.pdu-truncated");
  const command = b[q];
  const count = b[q + 1];
  const data = q + 2;
  if (request) {
    const op = HART_OPERATIONS[command];
    if (op) ctx.operation(`hart.${op}`);
    return;
  }
  // Command 0 response: response code (2), 254, expanded device type (2), ..., revisions.
  if (command === 0 && count >= 14 && data + 14 <= end && b[data + 2] === 254) {
    ctx.emit("hart.device_type", "src", `0x${((b[data + 3] << 8) | b[data + 4]).toString(16).padStart(4, "0")}`);
    ctx.emit("hart.revision", "src", `HART ${b[data + 6]} device ${b[data + 7]} software ${b[data + 8]}`);
  }
}

/** HART-IP (HCF_SPEC-085): an 8-byte header, then a HART PDU for token-passing messages. */
function dissectHartIp(b: Buffer, off: number, len: number, ctx: DissectContext): boolean {
  if (len < 8 || b[off] < 1 || b[off] > 2) return false;
  const type = b[off + 1];
  const id = b[off + 2];
  const count = b.readUInt16BE(off + 6);
  if (type > 15 || id > 4 || count < 8) return false;
  if (id === 0) ctx.emit("hart.session", "src", type === 0 ? "initiate" : "answered");
  if (id === 3) hartPdu(b, off + 8, Math.min(off + count, off + len), type === 0, ctx);
  return true;
}

/**
 * A HART-IP header on any port: a server answers a session from another port than 5094 (5095 in
 * the corpus), so a capture that starts with the answer shows HART-IP only there. Version 1 or 2,
 * a known message type (request, response, publish, error, NAK), and the byte count of the
 * message (a datagram holds one; a TCP segment may end inside a long one).
 */
function isHartIp(b: Buffer, off: number, len: number, exact: boolean): boolean {
  if (len < 8 || b[off] < 1 || b[off] > 2 || b[off + 2] > 4) return false;
  const type = b[off + 1];
  if (type > 3 && type !== 15) return false;
  const count = (b[off + 6] << 8) | b[off + 7];
  return exact ? count === len : count >= 8 && count <= len;
}

export const hartIpUdp: AppDissector = {
  name: "hart-ip", transport: "udp", ports: [5094], everyPacket: true, dissect: dissectHartIp,
  test: (b, off, len) => isHartIp(b, off, len, true),
};
export const hartIpTcp: AppDissector = {
  name: "hart-ip", transport: "tcp", ports: [5094], everyPacket: true, dissect: dissectHartIp,
  test: (b, off, len) => isHartIp(b, off, len, false),
};
