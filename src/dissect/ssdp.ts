import type { AppDissector } from "./context.js";
import { headerLines } from "./http-headers.js";

/** SSDP (UPnP discovery): NOTIFY announcements, M-SEARCH requests and their answers. */
export const ssdp: AppDissector = {
  name: "ssdp",
  transport: "udp",
  ports: [1900],
  everyPacket: true,
  // Searches and announcements on other ports (Plex GDM uses 32412-32414) say what they are in their first line.
  test: (b, off, len) => len >= 16 && /^(M-SEARCH|NOTIFY) \* HTTP\/1\.[01]\r\n/.test(b.toString("latin1", off, off + Math.min(len, 24))),
  dissect(b, off, len, ctx) {
    if (len < 12) return false;
    const [start, h] = headerLines(b, off, len);
    const announce = start.startsWith("NOTIFY ");
    const search = start.startsWith("M-SEARCH ");
    const answer = start.startsWith("HTTP/1.");
    if (!announce && !search && !answer) return false;
    const server = h.get("SERVER");
    if (server) ctx.emit("ssdp.server", "src", server);
    const ua = h.get("USER-AGENT");
    if (ua) ctx.emit("ssdp.user_agent", "src", ua);
    if (search) {
      const st = h.get("ST");
      if (st) ctx.emit("ssdp.search", "src", st);
      return true;
    }
    const usn = h.get("USN");
    if (usn) ctx.emit("ssdp.usn", "src", usn);
    const nt = announce ? h.get("NT") : h.get("ST");
    if (nt) ctx.emit("ssdp.nt", "src", nt);
    const loc = h.get("LOCATION");
    if (loc) ctx.emit("ssdp.location", "src", loc);
    return true;
  },
};
