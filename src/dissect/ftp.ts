import { type AppDissector, packetAddress, text } from "./context.js";

/**
 * FTP control channel (RFC 959): USER and PASS travel in clear, so a PASS is recorded on the
 * client with the server (never the password), and a 530 reply as a failed login.
 */
export const ftp: AppDissector = {
  name: "ftp",
  transport: "tcp",
  ports: [21],
  everyPacket: true,
  test(b, off, len) {
    return len >= 6 && b.toString("latin1", off, off + 4) === "220 " && /ftp/i.test(b.toString("latin1", off, off + Math.min(len, 200)));
  },
  dissect(b, off, len, ctx) {
    if (len < 4) return false;
    const line = text(b, off, len, 200);
    const server = packetAddress(ctx.pkt, "dst");
    if (/^PASS/i.test(line)) {
      ctx.emit("ftp.password", "src", `to ${server}`);
      return true;
    }
    if (/^530[ -]/.test(line)) {
      ctx.emit("ftp.login_failed", "dst", `at ${packetAddress(ctx.pkt, "src")}`);
      return true;
    }
    return /^\d{3}[ -]/.test(line) || /^[A-Za-z]{3,4}( |\r|$)/.test(line);
  },
};
