import type { AppDissector } from "./context.js";
import { DnsError, parseDnsMessage } from "./dns-message.js";

/** Link-Local Multicast Name Resolution (RFC 4795): Windows hosts' names on the local link. */
export const llmnr: AppDissector = {
  name: "llmnr",
  transport: "udp",
  ports: [5355],
  everyPacket: true,
  dissect(b, off, len, ctx) {
    let msg;
    try {
      msg = parseDnsMessage(b, off, len);
    } catch (e) {
      if (e instanceof DnsError) {
        ctx.error(`llmnr.${e.kind}`);
        return false;
      }
      throw e;
    }
    for (const q of msg.questions) {
      ctx.emit(msg.response ? "llmnr.hostname" : "llmnr.query", "src", q.name);
    }
    return true;
  },
};
