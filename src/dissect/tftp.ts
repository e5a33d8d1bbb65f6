import { u16be } from "../net/bytes.js";
import type { AppDissector } from "./context.js";

/**
 * TFTP (RFC 1350): phones, PLCs, switches and cameras fetch configuration and firmware with it.
 * Requests go to UDP 69; the transfer itself runs between two other ports, so it is recognised
 * from its first packets: a DATA of block 1, an ACK of block 0 or 1, an option ACK or an error.
 */
const RRQ = 1;
const WRQ = 2;
const DATA = 3;
const ACK = 4;
const ERROR = 5;
const OACK = 6;
const MODES = new Set(["octet", "netascii", "mail"]);

/** Offset after a NUL-terminated printable string starting at p, or -1. */
function cstring(b: Buffer, p: number, end: number): number {
  for (let i = p; i < end && i < p + 512; i++) {
    if (b[i] === 0) return i > p ? i + 1 : -1;
    if (b[i] < 0x20 || b[i] > 0x7e) return -1;
  }
  return -1;
}

function isRequest(b: Buffer, off: number, len: number): boolean {
  const op = u16be(b, off);
  if ((op !== RRQ && op !== WRQ) || len < 6) return false;
  const end = off + len;
  const afterName = cstring(b, off + 2, end);
  if (afterName < 0) return false;
  const afterMode = cstring(b, afterName, end);
  return afterMode > 0 && MODES.has(b.toString("latin1", afterName, afterMode - 1).toLowerCase());
}

function isTransfer(b: Buffer, off: number, len: number): boolean {
  if (len < 4) return false;
  const op = u16be(b, off);
  const block = u16be(b, off + 2);
  if (op === DATA) return block === 1 && len <= 4 + 512 * 128;
  if (op === ACK) return len === 4 && block <= 1;
  if (op === ERROR) return block <= 8 && b[off + len - 1] === 0 && cstring(b, off + 4, off + len) === off + len;
  if (op === OACK) return len > 4 && b[off + len - 1] === 0 && cstring(b, off + 2, off + len) > 0;
  return false;
}

export const tftp: AppDissector = {
  name: "tftp",
  transport: "udp",
  ports: [69],
  test: isTransfer,
  dissect: (b, off, len) => isRequest(b, off, len) || isTransfer(b, off, len),
};
