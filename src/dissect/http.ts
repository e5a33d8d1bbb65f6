import type { AppDissector } from "./context.js";
import { headerLines } from "./http-headers.js";

const METHODS = ["GET ", "POST ", "HEAD ", "PUT ", "DELETE ", "OPTIONS ", "CONNECT ", "PATCH ", "TRACE "];

function startsWithAscii(b: Buffer, off: number, len: number, s: string): boolean {
  if (len < s.length) return false;
  for (let i = 0; i < s.length; i++) if (b[off + i] !== s.charCodeAt(i)) return false;
  return true;
}

function isRequest(b: Buffer, off: number, len: number): boolean {
  for (const m of METHODS) if (startsWithAscii(b, off, len, m)) return true;
  return false;
}

/** HTTP/1.x: the Host and User-Agent a client sends, the Server header a server answers. */
export const http: AppDissector = {
  name: "http",
  transport: "tcp",
  ports: [80, 8080, 8000, 8008, 8081, 8888, 591, 3128, 5985, 7547, 49152],
  test(b, off, len) {
    return isRequest(b, off, len) || startsWithAscii(b, off, len, "HTTP/1.");
  },
  dissect(b, off, len, ctx) {
    if (len === 0) return false;
    if (isRequest(b, off, len)) {
      const [, h] = headerLines(b, off, len);
      const host = h.get("HOST");
      if (host) ctx.emit("http.host", "src", host.toLowerCase());
      const ua = h.get("USER-AGENT");
      if (ua) ctx.emit("http.user_agent", "src", ua);
      return true;
    }
    if (startsWithAscii(b, off, len, "HTTP/1.")) {
      const [, h] = headerLines(b, off, len);
      const server = h.get("SERVER");
      if (server) ctx.emit("http.server", "src", server);
      return true;
    }
    return false;
  },
};
