import type { AppDissector } from "./context.js";

/** NTP (RFC 5905): who asks for time and who serves it, with version and stratum. */
export const ntp: AppDissector = {
  name: "ntp",
  transport: "udp",
  ports: [123],
  everyPacket: true,
  dissect(b, off, len, ctx) {
    if (len < 1) return false;
    const version = (b[off] >> 3) & 0x07;
    const mode = b[off] & 0x07;
    if (version < 1 || version > 4) return false;
    // Control (6) and private (7) messages have short headers of their own.
    if (mode >= 6) return len >= 8;
    if (len < 48) {
      ctx.error("ntp.truncated");
      return false;
    }
    if (mode === 3) ctx.emit("ntp.client", "src", `v${version}`);
    else if (mode === 4 || mode === 5) ctx.emit("ntp.server", "src", `v${version} stratum ${b[off + 1]}`);
    return mode >= 1 && mode <= 7;
  },
};
