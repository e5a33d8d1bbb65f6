import type { ZeekLogHandler } from "./context.js";
import { one, zeekTimeUs } from "./format.js";

/**
 * software.log: what Zeek's software framework recognised a host running. Browsers and other
 * HTTP clients become the host's User-Agent, web servers its Server header; everything else is
 * kept as "TYPE name version".
 */
export const software: ZeekLogHandler = (r, ctx) => {
  const host = one(r, "host");
  const ts = zeekTimeUs(one(r, "ts"));
  const type = one(r, "software_type") ?? "";
  const unparsed = one(r, "unparsed_version");
  if (!host || Number.isNaN(ts) || !unparsed) return "zeek.software.incomplete";
  const at = { site: ctx.site, source: ctx.source, tsUs: ts, ip: host };
  if (type === "HTTP::BROWSER" || type === "HTTP::APPSERVER_CLIENT") ctx.observe({ ...at, kind: "http.user_agent", value: unparsed });
  else if (type === "HTTP::SERVER") ctx.observe({ ...at, kind: "http.server", value: unparsed });
  else ctx.observe({ ...at, kind: "software", value: `${type} ${unparsed}` });
  return undefined;
};
