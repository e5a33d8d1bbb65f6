import type { AppDissector, DissectContext } from "./context.js";
import { type BerElement, berInteger, berOid, readBer } from "./ber.js";
import { utf8 } from "./context.js";

const PDU_NAMES: Record<number, string> = {
  0xa0: "get", 0xa1: "get-next", 0xa2: "response", 0xa3: "set", 0xa4: "trap", 0xa5: "get-bulk",
  0xa6: "inform", 0xa7: "trap", 0xa8: "report",
};
const SYS_DESCR = "1.3.6.1.2.1.1.1.0";
const SYS_OBJECT_ID = "1.3.6.1.2.1.1.2.0";
const SYS_NAME = "1.3.6.1.2.1.1.5.0";
const VERSIONS = ["v1", "v2c", "v2u", "v3"];

/** SNMP v1/v2c (community, PDU, varbinds) and v3 (version only: the rest is protected). */
function dissectSnmp(b: Buffer, off: number, len: number, ctx: DissectContext): boolean {
  const end = off + len;
  const msg = readBer(b, off, end);
  if (!msg || msg.tag !== 0x30) return false;
  const ver = readBer(b, msg.start, msg.next);
  if (!ver || ver.tag !== 0x02) return false;
  const version = berInteger(b, ver);
  if (version < 0 || version > 3) return false;
  ctx.emit("snmp.version", "src", VERSIONS[version]);
  if (version === 3) return true;
  const community = readBer(b, ver.next, msg.next);
  if (!community || community.tag !== 0x04) return false;
  const pdu = readBer(b, community.next, msg.next);
  if (!pdu || !PDU_NAMES[pdu.tag]) return false;
  const name = PDU_NAMES[pdu.tag];
  if (pdu.tag !== 0xa8) {
    // Community strings are SNMP v1/v2c's password, sent in clear: who used which, for what.
    // An agent's response repeats the community it accepted: the agent holds it too.
    ctx.emit("snmp.community", "src", `${name} ${utf8(b, community.start, community.len, 128)}`);
  }
  if (pdu.tag === 0xa2) varbinds(b, pdu, ctx);
  return true;
}

/** Response varbinds that identify the answering agent. */
function varbinds(b: Buffer, pdu: BerElement, ctx: DissectContext): void {
  // request id, error status, error index, then the varbind list
  let p = pdu.start;
  for (let i = 0; i < 3; i++) {
    const e = readBer(b, p, pdu.next);
    if (!e) return ctx.error("snmp.pdu-malformed");
    p = e.next;
  }
  const list = readBer(b, p, pdu.next);
  if (!list || list.tag !== 0x30) return;
  let q = list.start;
  for (let i = 0; i < 64 && q < list.next; i++) {
    const vb = readBer(b, q, list.next);
    if (!vb || vb.tag !== 0x30) return ctx.error("snmp.varbind-malformed");
    const oid = readBer(b, vb.start, vb.next);
    const val = oid ? readBer(b, oid.next, vb.next) : undefined;
    if (oid && val && oid.tag === 0x06) {
      const name = berOid(b, oid);
      if (name === SYS_DESCR && val.tag === 0x04) ctx.emit("snmp.sys_descr", "src", utf8(b, val.start, val.len, 512));
      else if (name === SYS_NAME && val.tag === 0x04) ctx.emit("snmp.sys_name", "src", utf8(b, val.start, val.len, 255));
      else if (name === SYS_OBJECT_ID && val.tag === 0x06) ctx.emit("snmp.sys_object_id", "src", berOid(b, val));
    }
    q = vb.next;
  }
}

export const snmp: AppDissector = { name: "snmp", transport: "udp", ports: [161, 162], everyPacket: true, dissect: dissectSnmp };
