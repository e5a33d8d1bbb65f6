import { isIPv4, isIPv6 } from "node:net";
import type { ZeekLogHandler } from "./context.js";
import { many, one, zeekTimeUs } from "./format.js";
import { formatDnsAnswer } from "../../model/dns-answer.js";

/** dns.log: the name the client looked up, and the answers it received (A, AAAA, or a name). */
export const dns: ZeekLogHandler = (r, ctx) => {
  const client = one(r, "id.orig_h");
  const query = one(r, "query")?.toLowerCase();
  const ts = zeekTimeUs(one(r, "ts"));
  if (!client || Number.isNaN(ts)) return "zeek.dns.incomplete";
  if (!query) return undefined;
  const at = { site: ctx.site, source: ctx.source, tsUs: ts, ip: client };
  ctx.observe({ ...at, kind: "dns.query", value: query });
  for (const a of many(r, "answers")) {
    ctx.observe({ ...at, kind: "dns.answer", value: formatDnsAnswer({ name: query, type: isIPv4(a) ? "A" : isIPv6(a) ? "AAAA" : "CNAME", data: a }) });
  }
  return undefined;
};
