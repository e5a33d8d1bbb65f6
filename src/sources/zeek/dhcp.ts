import type { ZeekLogHandler } from "./context.js";
import { one, zeekTimeUs } from "./format.js";

/**
 * dhcp.log: a lease conversation by client MAC: its host name and FQDN, the address it asked
 * for and the one the server assigned (which binds the address to the MAC).
 */
export const dhcp: ZeekLogHandler = (r, ctx) => {
  const mac = one(r, "mac")?.toLowerCase();
  const ts = zeekTimeUs(one(r, "ts"));
  if (!mac || Number.isNaN(ts)) return "zeek.dhcp.incomplete";
  const at = { site: ctx.site, source: ctx.source, tsUs: ts, mac };
  const facts: [Parameters<typeof ctx.observe>[0]["kind"], string | undefined][] = [
    ["dhcp.hostname", one(r, "host_name")],
    ["dhcp.fqdn", one(r, "client_fqdn")],
    ["dhcp.requested_ip", one(r, "requested_addr")],
    ["dhcp.assigned_ip", one(r, "assigned_addr")],
  ];
  for (const [kind, value] of facts) if (value) ctx.observe({ ...at, kind, value });
  return undefined;
};
