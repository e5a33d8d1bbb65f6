import type { AppDissector } from "./context.js";

/**
 * HID Global's discoveryd (UDP 4070): VertX and Edge access controllers answer the
 * `discover;013;` broadcast of HID's configuration tools with
 * `discovered;<length>;<MAC>;<name>;<IP>;<?>;<model>;<version>;<date>;`, ten fields, the
 * second the answer's own length in decimal (nmap's broadcast-hid-discoveryd reads it so).
 */
const MAX = 512;

export const hidDiscoveryd: AppDissector = {
  name: "hid-discoveryd",
  transport: "udp",
  ports: [4070],
  dissect(b, off, len, ctx) {
    if (len < 9 || len > MAX) return false;
    const text = b.toString("latin1", off, off + len);
    if (text.startsWith("discover;")) return true;
    if (!text.startsWith("discovered;")) return false;
    const f = text.split(";");
    if (f.length !== 10 || Number(f[1]) !== len) {
      ctx.error("hid-discoveryd.bad-answer");
      return true;
    }
    const clean = (s: string): string | undefined => (/^[\x20-\x7e]{1,64}$/.test(s.trim()) ? s.trim() : undefined);
    const model = clean(f[6]);
    if (model) ctx.emit("hid.model", "src", model);
    const version = clean(f[7]);
    if (version) ctx.emit("hid.firmware", "src", version);
    return true;
  },
};
