import { type AppDissector, packetAddress } from "./context.js";

/**
 * Telnet (RFC 854): recognised by its option negotiation (IAC) or a login prompt. A server's
 * password prompt means the client's next keystrokes, the password, cross in clear: that is
 * recorded on the client (the secret itself is never read).
 */
const IAC = 0xff;
const PROMPT = /(password|passcode|passwd)\s*:\s*$/i;

export const telnet: AppDissector = {
  name: "telnet",
  transport: "tcp",
  ports: [23, 2323],
  everyPacket: true,
  dissect(b, off, len, ctx) {
    if (len === 0) return false;
    const fromServer = ctx.pkt.srcPort === 23 || ctx.pkt.srcPort === 2323;
    if (!fromServer || len > 512) return b[off] === IAC || len < 512;
    // Skip option negotiation (IAC sequences), then read the text.
    const text = b.toString("latin1", off, off + len).replace(/\xff[\xfb-\xfe]./gs, "").replace(/\xff./gs, "").replace(/[\x00\r\n]+$/g, "");
    if (PROMPT.test(text)) ctx.emit("telnet.password_prompt", "dst", `from ${packetAddress(ctx.pkt, "src")}`);
    return true;
  },
};
