import type { DissectContext } from "./context.js";
import { utf8 } from "./context.js";

/** PROFINET DCP frame ids (IEC 61158-6-10): hello, get/set, identify request and response. */
const HELLO = 0xfefc;
const GET_SET = 0xfefd;
const IDENTIFY_REQUEST = 0xfefe;
const IDENTIFY_RESPONSE = 0xfeff;
const SERVICE_SET = 4;

/**
 * PROFINET DCP over Ethernet (EtherType 0x8892): the station name, vendor text and
 * vendor/device ids a device answers Identify with, and Set requests that rename or readdress
 * a device. `off` is the frame id.
 */
export function dissectProfinetDcp(b: Buffer, off: number, len: number, ctx: DissectContext): void {
  if (len < 12) return;
  const frameId = b.readUInt16BE(off);
  if (frameId < HELLO || frameId > IDENTIFY_RESPONSE) return;
  const service = b[off + 2];
  const dataLen = b.readUInt16BE(off + 10);
  const end = Math.min(off + 12 + dataLen, off + len);
  const response = (b[off + 3] & 0x01) === 1;
  if (frameId === GET_SET && service === SERVICE_SET && !response) ctx.operation("profinet.dcp-set");
  if (frameId === IDENTIFY_REQUEST || (frameId === GET_SET && !response)) return;
  let p = off + 12;
  while (p + 4 <= end) {
    const option = b[p];
    const sub = b[p + 1];
    const blen = b.readUInt16BE(p + 2);
    const v = p + 4;
    if (v + blen > end) {
      ctx.error("profinet.dcp-block-truncated");
      return;
    }
    // Responses and hellos carry 2 bytes of block info before the value.
    const info = frameId === IDENTIFY_RESPONSE || frameId === GET_SET || frameId === HELLO ? 2 : 0;
    const d = v + info;
    const dlen = blen - info;
    if (dlen > 0) {
      if (option === 2 && sub === 1) ctx.emit("profinet.vendor", "src", utf8(b, d, dlen, 255));
      else if (option === 2 && sub === 2) ctx.emit("profinet.station_name", "src", utf8(b, d, dlen, 255));
      else if (option === 2 && sub === 3 && dlen >= 4) {
        ctx.emit("profinet.device_id", "src", `vendor 0x${b.readUInt16BE(d).toString(16).padStart(4, "0")} device 0x${b.readUInt16BE(d + 2).toString(16).padStart(4, "0")}`);
      } else if (option === 1 && sub === 2 && dlen >= 12) {
        ctx.emit("profinet.ip", "src", `${b[d]}.${b[d + 1]}.${b[d + 2]}.${b[d + 3]}`);
      }
    }
    p = v + blen + (blen & 1);
  }
}
