import type { AppDissector, DissectContext } from "./context.js";
import { text } from "./context.js";

const SEARCH_RESPONSE = 0x0202;
const DESCRIPTION_RESPONSE = 0x0204;
const TUNNELLING_REQUEST = 0x0420;
const ROUTING_INDICATION = 0x0530;

function individual(a: number): string {
  return `${a >> 12}.${(a >> 8) & 0x0f}.${a & 0xff}`;
}

function group(a: number): string {
  return `${a >> 11}/${(a >> 8) & 0x07}/${a & 0xff}`;
}

/** Device information DIB (KNX 03.08.02 §7.5.4): address, serial, friendly name. */
function deviceDib(b: Buffer, p: number, end: number, ctx: DissectContext): void {
  if (p + 54 > end || b[p] !== 54 || b[p + 1] !== 1) return;
  ctx.emit("knx.individual_address", "src", individual(b.readUInt16BE(p + 4)));
  ctx.emit("knx.serial", "src", b.toString("hex", p + 8, p + 14));
  const name = text(b, p + 24, 30, 30);
  if (name) ctx.emit("knx.friendly_name", "src", name);
}

/** A cEMI L_Data frame: a group value write is an operation on the installation. */
function cemi(b: Buffer, p: number, end: number, ctx: DissectContext): void {
  if (p + 2 > end) return;
  const code = b[p];
  if (code !== 0x11 && code !== 0x29 && code !== 0x2e) return; // L_Data.req, .ind, .con
  const q = p + 2 + b[p + 1];
  if (q + 8 > end) return;
  const groupAddressed = (b[q + 1] & 0x80) !== 0;
  const dst = b.readUInt16BE(q + 4);
  const apci = ((b[q + 7] & 0x03) << 8) | (q + 8 < end ? b[q + 8] : 0);
  if (groupAddressed && (apci & 0x3c0) === 0x080) ctx.operation("knx.group-value-write", `group ${group(dst)}`);
}

/** KNXnet/IP (KNX 03.08.02): discovery answers and the telegrams tunnelled or routed over IP. */
export const knxnetIp: AppDissector = {
  name: "knxnet-ip",
  transport: "udp",
  ports: [3671],
  everyPacket: true,
  // Tunnelling data and answers use the ports each side named in its HPAI, not only 3671: a
  // header whose total length is the datagram recognises them anywhere.
  test: (b, off, len) => len >= 6 && b[off] === 0x06 && b[off + 1] === 0x10 && b.readUInt16BE(off + 4) === len,
  dissect(b, off, len, ctx) {
    if (len < 6 || b[off] !== 0x06 || b[off + 1] !== 0x10) return false;
    const service = b.readUInt16BE(off + 2);
    const end = Math.min(off + b.readUInt16BE(off + 4), off + len);
    if (service === SEARCH_RESPONSE) deviceDib(b, off + 14, end, ctx);
    else if (service === DESCRIPTION_RESPONSE) deviceDib(b, off + 6, end, ctx);
    else if (service === TUNNELLING_REQUEST && off + 10 <= end) cemi(b, off + 6 + b[off + 6], end, ctx);
    else if (service === ROUTING_INDICATION) cemi(b, off + 6, end, ctx);
    return true;
  },
};
