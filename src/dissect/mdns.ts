import type { AppDissector } from "./context.js";
import { DnsError, parseDnsMessage } from "./dns-message.js";

/** Service-type names look like _ipp._tcp.local. */
const SERVICE = /^(_[^.]+\._(?:tcp|udp)\.[^.]+\.?)$/i;
const INSTANCE = /^(.+?)\.(_[^.]+\._(?:tcp|udp)\.[^.]+)\.?$/i;

/**
 * Multicast DNS (RFC 6762) and DNS-SD (RFC 6763): the host names, service types, instances
 * and TXT keys a device announces, and the names it asks for.
 */
export const mdns: AppDissector = {
  name: "mdns",
  transport: "udp",
  ports: [5353],
  everyPacket: true,
  dissect(b, off, len, ctx) {
    let msg;
    try {
      msg = parseDnsMessage(b, off, len);
    } catch (e) {
      if (e instanceof DnsError) {
        ctx.error(`mdns.${e.kind}`);
        return false;
      }
      throw e;
    }
    if (!msg.response) {
      for (const q of msg.questions) ctx.emit("mdns.query", "src", q.name.toLowerCase());
    }
    for (const r of msg.records) {
      // Announcements are in answers; probes put the claimed records in the authority section.
      if (r.type === 1 || r.type === 28) {
        ctx.emit("mdns.hostname", "src", r.name);
      } else if (r.type === 12) {
        if (r.name.toLowerCase() === "_services._dns-sd._udp.local") {
          if (SERVICE.test(r.data)) ctx.emit("mdns.service", "src", r.data.toLowerCase());
          continue;
        }
        const m = INSTANCE.exec(r.data);
        if (m && SERVICE.test(r.name)) {
          ctx.emit("mdns.service", "src", r.name.replace(/^_[^.]+\._sub\./i, "").toLowerCase());
          ctx.emit("mdns.instance", "src", r.data);
        }
      } else if (r.type === 33) {
        const m = INSTANCE.exec(r.name);
        if (m) {
          ctx.emit("mdns.service", "src", m[2].toLowerCase());
          ctx.emit("mdns.instance", "src", r.name);
        }
        if (r.data) ctx.emit("mdns.hostname", "src", r.data);
      } else if (r.type === 16 && r.txt && INSTANCE.test(r.name)) {
        for (const t of r.txt) {
          if (t.length > 0 && t.length <= 255 && t.includes("=")) ctx.emit("mdns.txt", "src", t);
        }
      }
    }
    return true;
  },
};
