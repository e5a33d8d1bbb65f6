import type { AppDissector } from "./context.js";

/**
 * GE Ethernet Global Data (UDP 18246): GE controllers publish their exchange data to peers.
 * Header: PDU type 0x0D, version 1, request id, producer id, exchange id, timestamp, status.
 */
export const egd: AppDissector = {
  name: "egd",
  transport: "udp",
  ports: [18246],
  dissect: (b, off, len) => len >= 32 && b[off] === 0x0d && b[off + 1] === 0x01,
};
