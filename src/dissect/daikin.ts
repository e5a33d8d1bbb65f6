import type { AppDissector } from "./context.js";

/**
 * Daikin's Wi-Fi adapters for air conditioners (BRP069, BRP072): UDP 30050. The app
 * broadcasts `DAIKIN_UDP/common/basic_info`, and each adapter answers with its basic info as
 * `key=value` pairs: `ret=OK,type=aircon,reg=eu,...,ver=1_2_51,...,mac=...` (pydaikin's
 * discovery). The type and firmware (`ver`, underscores for dots) describe the sender.
 */
const MAX = 2048;

export const daikin: AppDissector = {
  name: "daikin",
  transport: "udp",
  ports: [30050],
  dissect(b, off, len, ctx) {
    if (len < 6 || len > MAX) return false;
    const text = b.toString("latin1", off, off + len);
    if (text.startsWith("DAIKIN_UDP/")) return true;
    if (!text.startsWith("ret=")) return false;
    const pairs = new Map<string, string>();
    for (const p of text.trim().split(",")) {
      const eq = p.indexOf("=");
      if (eq > 0 && !pairs.has(p.slice(0, eq))) pairs.set(p.slice(0, eq), p.slice(eq + 1));
    }
    if (pairs.get("ret") !== "OK") return true;
    const type = pairs.get("type");
    if (type !== undefined && /^[a-z]{1,16}$/.test(type)) ctx.emit("daikin.type", "src", type);
    const ver = pairs.get("ver");
    if (ver !== undefined && /^[0-9][0-9_.]{0,15}$/.test(ver)) ctx.emit("daikin.firmware", "src", ver.replace(/_/g, "."));
    return true;
  },
};
