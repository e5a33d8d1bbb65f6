import type { AppDissector } from "./context.js";
import { text } from "./context.js";

/** Message types sent by clients (RFC 8415 §7.3). */
const CLIENT_MESSAGES = new Set([1, 3, 4, 5, 6, 8, 9, 11]);

/**
 * RFC 4704 §4.2: a domain name in DNS wire format, uncompressed; a partial name (a host label
 * without the root's zero byte) is allowed.
 */
function fqdnLabels(b: Buffer, p: number, end: number): string | undefined {
  const labels: string[] = [];
  while (p < end) {
    const l = b[p];
    if (l === 0) break;
    if (l > 63 || p + 1 + l > end) return undefined;
    labels.push(b.toString("latin1", p + 1, p + 1 + l));
    p += 1 + l;
  }
  return labels.join(".").replace(/[\x00-\x1f\x7f]/g, "");
}

/** DHCPv6 basics: the client's DUID, option request list, vendor class and FQDN. */
export const dhcpv6: AppDissector = {
  name: "dhcpv6",
  transport: "udp",
  ports: [546, 547],
  everyPacket: true,
  dissect(b, off, len, ctx) {
    if (len < 4) {
      ctx.error("dhcpv6.truncated");
      return false;
    }
    const type = b[off];
    if (type < 1 || type > 13) return false;
    // Relay messages wrap the client's message; their options are not the relay's identity.
    if (type === 12 || type === 13) return true;
    const fromClient = CLIENT_MESSAGES.has(type);
    const end = off + len;
    let p = off + 4;
    while (p + 4 <= end) {
      const code = b.readUInt16BE(p);
      const olen = b.readUInt16BE(p + 2);
      const v = p + 4;
      if (v + olen > end) {
        ctx.error("dhcpv6.option-truncated", `option ${code}`);
        break;
      }
      if (fromClient) {
        if (code === 1 && olen > 0) ctx.emit("dhcpv6.duid", "src", b.toString("hex", v, v + olen));
        else if (code === 6) {
          const list: number[] = [];
          for (let i = 0; i + 1 < olen; i += 2) list.push(b.readUInt16BE(v + i));
          ctx.emit("dhcpv6.option_request", "src", list.join(","));
        } else if (code === 16 && olen >= 4) {
          const parts: string[] = [];
          let q = v + 4;
          while (q + 2 <= v + olen) {
            const l = b.readUInt16BE(q);
            if (q + 2 + l > v + olen) break;
            parts.push(text(b, q + 2, l, 255));
            q += 2 + l;
          }
          ctx.emit("dhcpv6.vendor_class", "src", `${b.readUInt32BE(v)}:${parts.join(" ")}`);
        } else if (code === 39 && olen >= 2) {
          const name = fqdnLabels(b, v + 1, v + olen);
          if (name === undefined) ctx.error("dhcpv6.fqdn-malformed");
          else if (name) ctx.emit("dhcpv6.fqdn", "src", name);
        }
      }
      p = v + olen;
    }
    return true;
  },
};
