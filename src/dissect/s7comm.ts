import type { AppDissector, DissectContext } from "./context.js";
import { text } from "./context.js";
import { u16be } from "../net/bytes.js";

export const ISO_TSAP_PORT = 102;

const JOB = 1;
const ACK_DATA = 3;
const USERDATA = 7;

/** S7comm job functions and the operation each one is. */
export const S7_FUNCTIONS: Record<number, string> = {
  0x04: "read-var", 0x05: "write-var", 0x1a: "request-download", 0x1b: "download-block",
  0x1c: "download-ended", 0x1d: "start-upload", 0x1e: "upload", 0x1f: "end-upload",
  0x28: "plc-control", 0x29: "plc-stop",
};
/** Functions that change a PLC's program or state. */
const OPERATIONS = new Set([0x05, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f, 0x28, 0x29]);

/**
 * S7comm over ISO-on-TCP (TPKT, COTP data): setup, read/write, block download and upload,
 * PLC stop and control, and SZL answers that name the module (order number, firmware).
 * S7comm-plus (protocol id 0x72) is recognised.
 */
function dissectS7(b: Buffer, off: number, len: number, ctx: DissectContext): boolean {
  const end = off + len;
  if (len < 7 || b[off] !== 3 || b[off + 1] !== 0) return false;
  const cotpLen = b[off + 4];
  const cotpType = b[off + 5];
  const s7 = off + 5 + cotpLen;
  // COTP connection request/confirm carry no S7 yet (MMS uses the same transport): not claimed.
  if (cotpType !== 0xf0 || s7 >= end) return false;
  if (b[s7] === 0x72) {
    ctx.emit("s7.plus", "dst", "s7comm-plus");
    return true;
  }
  if (b[s7] !== 0x32 || end - s7 < 10) return b[s7] === 0x32;
  const rosctr = b[s7 + 1];
  const paramLen = u16be(b, s7 + 6);
  const dataLen = u16be(b, s7 + 8);
  const param = s7 + (rosctr === 2 || rosctr === ACK_DATA ? 12 : 10);
  if (param + paramLen > end) {
    ctx.error("s7comm.truncated");
    return true;
  }
  if (rosctr === JOB && paramLen >= 1) {
    const fn = b[param];
    if (fn === 0xf0) {
      ctx.emit("s7.client", "src", "setup-communication");
    } else if (S7_FUNCTIONS[fn]) {
      let op = S7_FUNCTIONS[fn];
      if (fn === 0x28) op = plcControlService(b, param, param + paramLen) ?? op;
      // In a download the PLC pulls the blocks: its download-block and download-ended jobs
      // are the engineering station's operation on the PLC.
      if (OPERATIONS.has(fn)) ctx.operation(`s7.${op}`, undefined, fn === 0x1b || fn === 0x1c ? "dst" : "src");
      else ctx.emit("s7.client", "src", op);
    }
  } else if (rosctr === USERDATA && paramLen >= 8) {
    userData(b, param, paramLen, param + paramLen, Math.min(param + paramLen + dataLen, end), ctx);
  }
  return true;
}

/** PLC control names its PI service: P_PROGRAM starts the PLC, _INSE/_DELE manage blocks. */
function plcControlService(b: Buffer, p: number, end: number): string | undefined {
  // function, 7 unknown bytes, parameter block length (2), parameter block, name length (1), name
  if (p + 10 > end) return undefined;
  const blockLen = u16be(b, p + 8);
  const n = p + 10 + blockLen;
  if (n >= end) return undefined;
  const name = text(b, n + 1, Math.min(b[n], end - n - 1), 32);
  if (name === "P_PROGRAM") return "plc-start";
  if (name === "_INSE") return "insert-block";
  if (name === "_DELE") return "delete-block";
  if (name === "_GARB") return "compress-memory";
  return undefined;
}

function userData(b: Buffer, p: number, _paramLen: number, data: number, end: number, ctx: DissectContext): void {
  // head 00 01 12, param length, method, type (high nibble) and group (low), subfunction, sequence
  const typeGroup = b[p + 5];
  const group = typeGroup & 0x0f;
  const type = typeGroup >> 4;
  const sub = b[p + 6];
  if (group !== 4 || sub !== 1 || type !== 8) return; // CPU functions, read SZL, response
  if (data + 4 > end || b[data] !== 0xff) return;
  const szl = data + 4;
  if (szl + 8 > end) return;
  const id = u16be(b, szl);
  const recLen = u16be(b, szl + 4);
  const count = u16be(b, szl + 6);
  let r = szl + 8;
  if ((id & 0x0fff) === 0x0011 && recLen >= 28) {
    // Module identification: index, order number (20 chars), type, and version bytes.
    for (let i = 0; i < count && r + recLen <= end; i++, r += recLen) {
      const index = u16be(b, r);
      const order = text(b, r + 2, 20, 20);
      if (index === 1 && order) ctx.emit("s7.order_number", "src", order);
      if (index === 7 || index === 6) {
        const v = `V${b[r + 25]}.${b[r + 26]}.${b[r + 27]}`;
        if (index === 7) ctx.emit("s7.firmware", "src", v);
      }
    }
  } else if ((id & 0x0fff) === 0x001c && recLen >= 34) {
    // Component identification: 1 PLC name, 2 module name, 5 serial number, 7 module type.
    for (let i = 0; i < count && r + recLen <= end; i++, r += recLen) {
      const index = u16be(b, r);
      const value = text(b, r + 2, Math.min(32, recLen - 2), 32);
      if (!value) continue;
      if (index === 1) ctx.emit("s7.plc_name", "src", value);
      else if (index === 2) ctx.emit("s7.module_name", "src", value);
      else if (index === 5) ctx.emit("s7.serial", "src", value);
      else if (index === 7) ctx.emit("s7.module_type", "src", value);
    }
  }
}

export const s7comm: AppDissector = {
  name: "s7comm",
  transport: "tcp",
  ports: [ISO_TSAP_PORT],
  everyPacket: true,
  dissect: dissectS7,
};
