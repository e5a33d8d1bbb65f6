import type { AppDissector } from "./context.js";

/**
 * Govee's LAN API (UDP): the app asks on 4001 (multicast 239.255.255.250) with
 * `{"msg":{"cmd":"scan",...}}`, and each light answers on 4002 with its `sku` (H6072 ...)
 * and firmware versions (`wifiVersionSoft`); commands go to the light on 4003 (Govee's LAN API
 * documentation). Only an answer that states a sku describes its sender.
 */
const MAX = 4096;

export const govee: AppDissector = {
  name: "govee",
  transport: "udp",
  ports: [4001, 4002, 4003],
  dissect(b, off, len, ctx) {
    if (len < 2 || len > MAX || b[off] !== 0x7b) return false;
    let v: unknown;
    try {
      v = JSON.parse(b.toString("utf8", off, off + len));
    } catch {
      return false;
    }
    const msg = (v as { msg?: { cmd?: unknown; data?: Record<string, unknown> } } | null)?.msg;
    if (typeof msg !== "object" || msg === null || typeof msg.cmd !== "string") return false;
    const data = msg.data;
    if (msg.cmd !== "scan" || typeof data !== "object" || data === null) return true;
    const text = (x: unknown): string | undefined => (typeof x === "string" && /^[\x21-\x7e]{1,32}$/.test(x) ? x : undefined);
    const sku = text(data.sku);
    if (!sku) return true;
    ctx.emit("govee.sku", "src", sku);
    const firmware = text(data.wifiVersionSoft);
    if (firmware) ctx.emit("govee.firmware", "src", firmware);
    return true;
  },
};
