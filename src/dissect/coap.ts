import type { AppDissector } from "./context.js";
import { utf8 } from "./context.js";

const METHODS = ["", "GET", "POST", "PUT", "DELETE", "FETCH", "PATCH", "iPATCH"];
const URI_PATH = 11;

/** CoAP (RFC 7252): the resources a client asks for (method and Uri-Path). */
export const coap: AppDissector = {
  name: "coap",
  transport: "udp",
  ports: [5683, 5684],
  everyPacket: true,
  dissect(b, off, len, ctx) {
    if (len < 4 || b[off] >> 6 !== 1) return false;
    const tkl = b[off] & 0x0f;
    if (tkl > 8) return false;
    const code = b[off + 1];
    const end = off + len;
    let p = off + 4 + tkl;
    if (code === 0 || code >= 32 || p > end) return p <= end;
    const path: string[] = [];
    let option = 0;
    while (p < end && b[p] !== 0xff) {
      let delta = b[p] >> 4;
      let olen = b[p] & 0x0f;
      p++;
      if (delta === 13) delta = 13 + b[p++];
      else if (delta === 14) {
        delta = 269 + ((b[p] << 8) | b[p + 1]);
        p += 2;
      } else if (delta === 15) break;
      if (olen === 13) olen = 13 + b[p++];
      else if (olen === 14) {
        olen = 269 + ((b[p] << 8) | b[p + 1]);
        p += 2;
      } else if (olen === 15) break;
      if (p + olen > end) {
        ctx.error("coap.option-truncated");
        break;
      }
      option += delta;
      if (option === URI_PATH) path.push(utf8(b, p, olen, 255));
      p += olen;
    }
    ctx.emit("coap.request", "src", `${METHODS[code] ?? `code ${code}`} /${path.join("/")}`);
    return true;
  },
};
