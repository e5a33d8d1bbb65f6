import type { AppDissector } from "./context.js";
import { utf8 } from "./context.js";

/** OPC UA binary (port 4840): the client's Hello names the endpoint URL it wants. */
export const opcua: AppDissector = {
  name: "opcua",
  transport: "tcp",
  ports: [4840],
  test(b, off, len) {
    const t = b.toString("latin1", off, off + 3);
    return len >= 8 && (t === "HEL" || t === "ACK") && b[off + 3] === 0x46;
  },
  dissect(b, off, len, ctx) {
    if (len < 8) return false;
    const t = b.toString("latin1", off, off + 3);
    if (!["HEL", "ACK", "OPN", "MSG", "CLO", "ERR", "RHE"].includes(t)) return false;
    if (t === "HEL" && len >= 32) {
      const urlLen = b.readInt32LE(off + 28);
      if (urlLen > 0 && off + 32 + urlLen <= off + len) ctx.emit("opcua.endpoint", "src", utf8(b, off + 32, urlLen, 4096));
      ctx.emit("opcua.server", "dst", "hello");
    }
    return true;
  },
};
