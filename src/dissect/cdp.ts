import type { DissectContext } from "./context.js";
import { utf8 } from "./context.js";
import { capabilityList } from "./lldp.js";

const CAPABILITY_NAMES = ["router", "transparent-bridge", "source-route-bridge", "switch", "host", "igmp", "repeater", "voip-phone", "remotely-managed", "cvta", "two-port-mac-relay"];

/** True when an LLC header at `off` is SNAP with Cisco's OUI and the CDP protocol id. */
export function isCdpLlc(b: Buffer, off: number, len: number): boolean {
  return len >= 8 && b[off] === 0xaa && b[off + 1] === 0xaa && b[off + 2] === 0x03
    && b[off + 3] === 0x00 && b[off + 4] === 0x00 && b[off + 5] === 0x0c && b.readUInt16BE(off + 6) === 0x2000;
}

function addresses(b: Buffer, v: number, end: number): string[] {
  const out: string[] = [];
  if (v + 4 > end) return out;
  const n = b.readUInt32BE(v);
  let p = v + 4;
  for (let i = 0; i < n && i < 16 && p + 2 <= end; i++) {
    const ptype = b[p];
    const plen = b[p + 1];
    if (p + 2 + plen + 2 > end) break;
    const isIp = ptype === 1 && plen === 1 && b[p + 2] === 0xcc;
    const alen = b.readUInt16BE(p + 2 + plen);
    const a = p + 4 + plen;
    if (a + alen > end) break;
    if (isIp && alen === 4) out.push(`${b[a]}.${b[a + 1]}.${b[a + 2]}.${b[a + 3]}`);
    p = a + alen;
  }
  return out;
}

/** CDP (Cisco Discovery Protocol) after the LLC/SNAP header: device id, platform, software. */
export function dissectCdp(b: Buffer, off: number, len: number, ctx: DissectContext): void {
  if (len < 4) {
    ctx.error("cdp.truncated");
    return;
  }
  const end = off + len;
  let p = off + 4;
  while (p + 4 <= end) {
    const type = b.readUInt16BE(p);
    const tlen = b.readUInt16BE(p + 2);
    if (tlen < 4 || p + tlen > end) {
      ctx.error("cdp.tlv-truncated", `TLV ${type}`);
      return;
    }
    const v = p + 4;
    const vlen = tlen - 4;
    switch (type) {
      case 0x0001:
        ctx.emit("cdp.device_id", "src", utf8(b, v, vlen, 255));
        break;
      case 0x0002:
      case 0x0016:
        for (const a of addresses(b, v, v + vlen)) ctx.emit("cdp.management_address", "src", a);
        break;
      case 0x0003:
        ctx.emit("cdp.port_id", "src", utf8(b, v, vlen, 255));
        break;
      case 0x0004:
        if (vlen >= 4) ctx.emit("cdp.capabilities", "src", capabilityList(b.readUInt32BE(v), CAPABILITY_NAMES));
        break;
      case 0x0005:
        ctx.emit("cdp.software_version", "src", utf8(b, v, vlen, 1024));
        break;
      case 0x0006:
        ctx.emit("cdp.platform", "src", utf8(b, v, vlen, 255));
        break;
      default:
        break;
    }
    p += tlen;
  }
}
