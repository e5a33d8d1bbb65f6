import type { ZeekLogHandler } from "./context.js";
import { many, one, zeekTimeUs } from "./format.js";

/** known_services.log: a port a host served, with the protocol Zeek recognised on it. */
export const knownServices: ZeekLogHandler = (r, ctx) => {
  const host = one(r, "host");
  const port = one(r, "port_num");
  const proto = one(r, "port_proto");
  const ts = zeekTimeUs(one(r, "ts"));
  if (!host || !port || !/^\d+$/.test(port) || (proto !== "tcp" && proto !== "udp") || Number.isNaN(ts)) return "zeek.known_services.incomplete";
  const at = { site: ctx.site, source: ctx.source, tsUs: ts, ip: host };
  ctx.observe({ ...at, kind: "service.served", value: `${proto}/${port}` });
  for (const s of many(r, "service")) ctx.observe({ ...at, kind: "service.name", value: `${proto}/${port} ${s.toLowerCase()}` });
  return undefined;
};
