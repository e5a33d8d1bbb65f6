import { u32le } from "../net/bytes.js";
import type { AppDissector } from "./context.js";

/**
 * Beckhoff ADS over AMS/TCP (TCP 48898): TwinCAT PLCs and their engineering tools. A 6-byte AMS/TCP
 * header (reserved zero, little-endian length), then the 32-byte AMS header: target and source
 * NetId and port, command id, state flags, data length, error code, invoke id. Write
 * requests and WriteControl (run, stop, reset) change the PLC; ReadWrite mostly reads symbols.
 */
const COMMANDS: Record<number, string | null> = { 1: null, 2: null, 3: "write", 4: null, 5: "change-state", 6: null, 7: null, 8: null, 9: null };
const RESPONSE = 0x0001;

export const beckhoffAds: AppDissector = {
  name: "ads",
  transport: "tcp",
  ports: [48898],
  dissect(b, off, len, ctx) {
    if (len < 38 || b[off] !== 0 || b[off + 1] !== 0) return false;
    const length = u32le(b, off + 2);
    if (length < 32 || length > 0x1000000) return false;
    const command = b[off + 22] | (b[off + 23] << 8);
    if (!(command in COMMANDS)) return false;
    const flags = b[off + 24] | (b[off + 25] << 8);
    const op = COMMANDS[command];
    if (op && (flags & RESPONSE) === 0) {
      const port = b[off + 12] | (b[off + 13] << 8);
      // WriteControl data: the ADS state asked for (5 run, 6 stop, 2 reset, ...) and the device state.
      const detail = command === 5 && len >= 40 ? `port ${port}, state ${b[off + 38] | (b[off + 39] << 8)}` : `port ${port}`;
      ctx.operation(`ads.${op}`, detail);
    }
    return true;
  },
};
