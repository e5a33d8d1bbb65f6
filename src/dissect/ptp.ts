import { u16be } from "../net/bytes.js";
import type { AppDissector } from "./context.js";

/**
 * Precision Time Protocol version 2 (IEEE 1588, UDP 319 event and 320 general messages): the
 * clock of substations, power-quality meters and motion control. Header: message type (low
 * nibble), version 2, message length.
 */
const TYPES = new Set([0x0, 0x1, 0x2, 0x3, 0x8, 0x9, 0xa, 0xb, 0xc, 0xd]);

export const ptp: AppDissector = {
  name: "ptp",
  transport: "udp",
  ports: [319, 320],
  dissect(b, off, len) {
    if (len < 34 || !TYPES.has(b[off] & 0x0f) || (b[off + 1] & 0x0f) !== 2) return false;
    const length = u16be(b, off + 2);
    return length >= 34 && length <= len;
  },
};
