import type { AppDissector } from "./context.js";
import { headerLines } from "./http-headers.js";

const METHODS = /^(OPTIONS|DESCRIBE|SETUP|PLAY|PAUSE|TEARDOWN|GET_PARAMETER|SET_PARAMETER|ANNOUNCE|RECORD|REDIRECT) (rtsps?:\/\/\S+) RTSP\/1\.\d/;

/** RTSP (RFC 2326): cameras' Server header, clients' User-Agent, and the stream URLs asked for. */
export const rtsp: AppDissector = {
  name: "rtsp",
  transport: "tcp",
  ports: [554, 8554],
  test(b, off, len) {
    const head = b.toString("latin1", off, off + Math.min(len, 16));
    return head.startsWith("RTSP/1.") || /^(OPTIONS|DESCRIBE|SETUP|PLAY) rtsp/.test(head);
  },
  dissect(b, off, len, ctx) {
    if (len < 8) return false;
    const [start, h] = headerLines(b, off, len);
    const m = METHODS.exec(start);
    if (m) {
      // Credentials in a URL (rtsp://user:pass@host) are cut out before the URL is kept.
      ctx.emit("rtsp.url", "src", m[2].replace(/\/\/[^/@]*@/, "//"));
      const ua = h.get("USER-AGENT");
      if (ua) ctx.emit("rtsp.user_agent", "src", ua);
      return true;
    }
    if (!start.startsWith("RTSP/1.")) return false;
    const server = h.get("SERVER");
    if (server) ctx.emit("rtsp.server", "src", server);
    return true;
  },
};
