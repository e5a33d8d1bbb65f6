import type { DissectContext } from "./context.js";
import { utf8 } from "./context.js";
import { readBer } from "./ber.js";

/**
 * IEC 61850 GOOSE over Ethernet (EtherType 0x88B8): APPID, length, two reserved words, then
 * the BER goosePdu. A protection relay names its control block and dataset here. `off` is the
 * APPID.
 */
export function dissectGoose(b: Buffer, off: number, len: number, ctx: DissectContext): void {
  if (len < 10) {
    ctx.error("goose.truncated");
    return;
  }
  const end = Math.min(off + b.readUInt16BE(off + 2), off + len);
  const pdu = readBer(b, off + 8, end);
  if (!pdu || pdu.tag !== 0x61) {
    ctx.error("goose.pdu-malformed");
    return;
  }
  let p = pdu.start;
  for (let i = 0; i < 16 && p < pdu.next; i++) {
    const e = readBer(b, p, pdu.next);
    if (!e) return ctx.error("goose.pdu-malformed");
    if (e.tag === 0x80) ctx.emit("goose.gocb_ref", "src", utf8(b, e.start, e.len, 255));
    else if (e.tag === 0x82) ctx.emit("goose.dataset", "src", utf8(b, e.start, e.len, 255));
    else if (e.tag === 0x83) ctx.emit("goose.id", "src", utf8(b, e.start, e.len, 255));
    p = e.next;
  }
}
