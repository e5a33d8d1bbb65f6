import type { AppDissector } from "./context.js";

/**
 * NAT-PMP (RFC 6886, UDP 5351): a host asking its gateway to open an inbound port mapping, which
 * an IoT device behind a firewall should not do. Version 0; requests are 2 (external address) or
 * 12 bytes (mappings), answers 12 or 16.
 */
const SIZES: Record<number, number> = { 0: 2, 1: 12, 2: 12, 128: 12, 129: 16, 130: 16 };

export const natPmp: AppDissector = {
  name: "nat-pmp",
  transport: "udp",
  ports: [5351],
  dissect: (b, off, len) => len >= 2 && b[off] === 0 && SIZES[b[off + 1]] === len,
};
