import type { AppDissector } from "./context.js";
import { headerLines } from "./http-headers.js";

/**
 * Yeelight's LAN discovery (UDP 1982, multicast 239.255.255.250): SSDP-shaped text. A light
 * advertises itself (`NOTIFY`) when it joins and answers the app's `M-SEARCH` with its
 * `Location: yeelight://ip:55443`, `model` (mono, color, stripe, ceiling ...) and `fw_ver`
 * (Yeelight WiFi Light Inter-Operation Specification, 3.1). A search names nobody.
 */
const MAX = 2048;

export const yeelight: AppDissector = {
  name: "yeelight",
  transport: "udp",
  ports: [1982],
  dissect(b, off, len, ctx) {
    if (len < 16) return false;
    const [start, headers] = headerLines(b, off, len, MAX);
    if (start.startsWith("M-SEARCH ")) return true;
    if (!start.startsWith("NOTIFY ") && !start.startsWith("HTTP/1.1 200")) return false;
    if (!headers.get("LOCATION")?.startsWith("yeelight://")) return false;
    const value = (name: string): string | undefined => {
      const v = headers.get(name);
      return v !== undefined && /^[\x21-\x7e]{1,64}$/.test(v) ? v : undefined;
    };
    const model = value("MODEL");
    if (model) ctx.emit("yeelight.model", "src", model);
    const firmware = value("FW_VER");
    if (firmware) ctx.emit("yeelight.firmware", "src", firmware);
    return true;
  },
};
