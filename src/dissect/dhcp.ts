import type { AppDissector, DissectContext } from "./context.js";
import { readMac } from "../net/addr.js";
import { readName } from "./dns-message.js";
import { text, utf8 } from "./context.js";

const MAGIC_COOKIE = 0x63825363;
const BOOTREQUEST = 1;
const DHCPACK = 5;

/**
 * DHCPv4 (RFC 2131/2132): the client's identity as its options state it. The subject is the
 * client hardware address in the message, not the frame's source, so relayed requests land on
 * the right device.
 */
function dissectDhcp(b: Buffer, off: number, len: number, ctx: DissectContext): boolean {
  if (len < 240) {
    ctx.error("dhcp.truncated");
    return false;
  }
  const op = b[off];
  const htype = b[off + 1];
  const hlen = b[off + 2];
  if ((op !== 1 && op !== 2) || b.readUInt32BE(off + 236) !== MAGIC_COOKIE) return false;
  const client = htype === 1 && hlen === 6 ? { mac: readMac(b, off + 28) } : undefined;
  const yiaddr = b.readUInt32BE(off + 16);
  let msgType = 0;
  let serverId: string | undefined;
  const end = off + len;
  let p = off + 240;
  while (p < end) {
    const code = b[p];
    if (code === 255) break;
    if (code === 0) {
      p++;
      continue;
    }
    if (p + 2 > end) {
      ctx.error("dhcp.option-truncated");
      break;
    }
    const olen = b[p + 1];
    const v = p + 2;
    if (v + olen > end) {
      ctx.error("dhcp.option-truncated", `option ${code}`);
      break;
    }
    switch (code) {
      case 53:
        if (olen >= 1) msgType = b[v];
        break;
      case 54:
        if (olen === 4) serverId = `${b[v]}.${b[v + 1]}.${b[v + 2]}.${b[v + 3]}`;
        break;
      default:
        if (op === BOOTREQUEST && client) clientOption(code, b, v, olen, client, ctx);
    }
    p = v + olen;
  }
  if (op !== BOOTREQUEST) {
    if (serverId) ctx.emit("dhcp.server", "src", serverId);
    if (msgType === DHCPACK && client && yiaddr !== 0) {
      ctx.emit("dhcp.assigned_ip", client,
        `${yiaddr >>> 24}.${(yiaddr >>> 16) & 0xff}.${(yiaddr >>> 8) & 0xff}.${yiaddr & 0xff}`);
    }
  }
  return true;
}

function clientOption(code: number, b: Buffer, v: number, olen: number, client: { mac: number }, ctx: DissectContext): void {
  switch (code) {
    case 12:
      if (olen > 0) ctx.emit("dhcp.hostname", client, utf8(b, v, olen, 255));
      break;
    case 50:
      if (olen === 4) ctx.emit("dhcp.requested_ip", client, `${b[v]}.${b[v + 1]}.${b[v + 2]}.${b[v + 3]}`);
      break;
    case 55: {
      const list: number[] = [];
      for (let i = 0; i < olen; i++) list.push(b[v + i]);
      if (list.length > 0) ctx.emit("dhcp.param_list", client, list.join(","));
      break;
    }
    case 57:
      if (olen === 2) ctx.emit("dhcp.max_size", client, String(b.readUInt16BE(v)));
      break;
    case 60:
      if (olen > 0) ctx.emit("dhcp.vendor_class", client, text(b, v, olen, 255));
      break;
    case 61:
      if (olen > 0) ctx.emit("dhcp.client_id", client, b.toString("hex", v, v + olen));
      break;
    case 81: {
      // RFC 4702: flags, two obsolete rcodes, then the name (wire format when E is set).
      if (olen < 3) break;
      const flags = b[v];
      let name = "";
      if (flags & 0x04) {
        try {
          name = readName(b, v + 3, v + 3, v + olen)[0];
        } catch {
          ctx.error("dhcp.fqdn-malformed");
        }
      } else {
        name = utf8(b, v + 3, olen - 3, 255);
      }
      if (name) ctx.emit("dhcp.fqdn", client, name);
      break;
    }
    case 161:
      if (olen > 0) ctx.emit("dhcp.mud_url", client, utf8(b, v, olen, 255));
      break;
    default:
      break;
  }
}

export const dhcp: AppDissector = {
  name: "dhcp",
  transport: "udp",
  ports: [67, 68],
  everyPacket: true,
  dissect: dissectDhcp,
};
