import type { AppDissector } from "./context.js";

/**
 * RMCP (DMTF ASF, UDP 623): IPMI and ASF management of servers' baseboard controllers, a
 * path to power and console control that belongs on a management network only. Header: version
 * 6, a reserved zero, a sequence number, and the class (6 ASF, 7 IPMI, 8 OEM; bit 7 an ack).
 */
export const rmcp: AppDissector = {
  name: "rmcp",
  transport: "udp",
  ports: [623],
  dissect: (b, off, len) => len >= 4 && b[off] === 0x06 && b[off + 1] === 0x00 && [6, 7, 8].includes(b[off + 3] & 0x1f),
};
