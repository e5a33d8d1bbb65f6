import type { DissectContext } from "./context.js";
import { utf8 } from "./context.js";
import { ipv6ToString, macFromBytes } from "../net/addr.js";

const CAPABILITY_NAMES = ["other", "repeater", "bridge", "wlan-ap", "router", "telephone", "docsis", "station", "c-vlan", "s-vlan", "tpmr"];

export function capabilityList(bits: number, names: readonly string[]): string {
  const out: string[] = [];
  for (let i = 0; i < names.length; i++) if (bits & (1 << i)) out.push(names[i]);
  return out.join(",");
}

/** Chassis and port ids: a MAC or network address subtype is shown as an address. */
function idText(b: Buffer, v: number, len: number, macSubtype: number): string {
  const sub = b[v];
  if (sub === macSubtype && len === 7) return macFromBytes(b, v + 1);
  if (sub === 5 && len >= 6 && b[v + 1] === 1) return `${b[v + 2]}.${b[v + 3]}.${b[v + 4]}.${b[v + 5]}`;
  return utf8(b, v + 1, len - 1, 255);
}

function address(b: Buffer, v: number, len: number): string | undefined {
  // Management address: string length (subtype + address), IANA address family, address.
  const alen = b[v];
  if (alen < 2 || alen + 1 > len) return undefined;
  const family = b[v + 1];
  if (family === 1 && alen === 5) return `${b[v + 2]}.${b[v + 3]}.${b[v + 4]}.${b[v + 5]}`;
  if (family === 2 && alen === 17) return ipv6ToString(b, v + 2);
  if (family === 6 && alen === 7) return macFromBytes(b, v + 2);
  return undefined;
}

/** LLDP (802.1AB): a switch's, phone's or controller's own statement of what it is. */
export function dissectLldp(b: Buffer, off: number, len: number, ctx: DissectContext): void {
  const end = off + len;
  let p = off;
  while (p + 2 <= end) {
    const h = b.readUInt16BE(p);
    const type = h >> 9;
    const tlen = h & 0x1ff;
    const v = p + 2;
    if (type === 0) return;
    if (v + tlen > end) {
      ctx.error("lldp.tlv-truncated", `TLV ${type}`);
      return;
    }
    switch (type) {
      case 1:
        if (tlen >= 2) ctx.emit("lldp.chassis_id", "src", idText(b, v, tlen, 4));
        break;
      case 2:
        if (tlen >= 2) ctx.emit("lldp.port_id", "src", idText(b, v, tlen, 3));
        break;
      case 5:
        if (tlen > 0) ctx.emit("lldp.system_name", "src", utf8(b, v, tlen, 255));
        break;
      case 6:
        if (tlen > 0) ctx.emit("lldp.system_description", "src", utf8(b, v, tlen, 511));
        break;
      case 7:
        if (tlen >= 4) ctx.emit("lldp.capabilities", "src", capabilityList(b.readUInt16BE(v + 2), CAPABILITY_NAMES));
        break;
      case 8: {
        const a = tlen >= 2 ? address(b, v, tlen) : undefined;
        if (a) ctx.emit("lldp.management_address", "src", a);
        break;
      }
      case 127:
        // RFC 8520 §10: the MUD URL under the IANA OUI 00-00-5E, subtype 1.
        if (tlen > 4 && b[v] === 0x00 && b[v + 1] === 0x00 && b[v + 2] === 0x5e && b[v + 3] === 1) {
          ctx.emit("lldp.mud_url", "src", utf8(b, v + 4, tlen - 4, 255));
        }
        break;
      default:
        break;
    }
    p = v + tlen;
  }
}
