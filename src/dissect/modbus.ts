import type { AppDissector, DissectContext } from "./context.js";
import { utf8 } from "./context.js";
import { u16be } from "../net/bytes.js";

export const MODBUS_PORT = 502;

/** Function codes that change a device's state (Modbus Application Protocol v1.1b3 §6). */
export const MODBUS_WRITES: Record<number, string> = {
  5: "write-single-coil", 6: "write-single-register", 15: "write-multiple-coils",
  16: "write-multiple-registers", 21: "write-file-record", 22: "mask-write-register",
  23: "read-write-multiple-registers",
};
export const MODBUS_READS: Record<number, string> = {
  1: "read-coils", 2: "read-discrete-inputs", 3: "read-holding-registers", 4: "read-input-registers",
  7: "read-exception-status", 20: "read-file-record", 24: "read-fifo-queue",
};
/** Read Device Identification object ids (FC 43 / MEI 14). */
const DEVICE_ID_KINDS = {
  0: "modbus.vendor", 1: "modbus.product_code", 2: "modbus.revision", 4: "modbus.product_name", 5: "modbus.model_name",
} as const;

/** Modbus/TCP: MBAP header, then one PDU; several ADUs may share a segment. */
function dissectModbus(b: Buffer, off: number, len: number, ctx: DissectContext): boolean {
  const end = off + len;
  const toServer = ctx.pkt.dstPort === MODBUS_PORT;
  let p = off;
  let seen = false;
  while (end - p >= 8) {
    const proto = u16be(b, p + 2);
    const mlen = u16be(b, p + 4);
    if (proto !== 0 || mlen < 2 || mlen > 254) return seen;
    const unit = b[p + 6];
    const fc = b[p + 7];
    const pduEnd = Math.min(p + 6 + mlen, end);
    seen = true;
    if (toServer) request(b, p + 7, pduEnd, unit, fc, ctx);
    else response(b, p + 7, pduEnd, unit, fc, ctx);
    p += 6 + mlen;
  }
  return seen;
}

function request(b: Buffer, pdu: number, end: number, unit: number, fc: number, ctx: DissectContext): void {
  const write = MODBUS_WRITES[fc];
  if (write) {
    ctx.operation(`modbus.${write}`, `unit ${unit}`);
  } else if (fc === 8 && end - pdu >= 3) {
    // Diagnostics sub-function 1 restarts the device's communications; 4 forces listen-only.
    const sub = u16be(b, pdu + 1);
    if (sub === 1) ctx.operation("modbus.restart-communications", `unit ${unit}`);
    else if (sub === 4) ctx.operation("modbus.force-listen-only", `unit ${unit}`);
  } else if (MODBUS_READS[fc]) {
    ctx.emit("modbus.client", "src", MODBUS_READS[fc]);
  } else if (fc !== 43) {
    ctx.emit("modbus.client", "src", `function ${fc}`);
  }
}

function response(b: Buffer, pdu: number, end: number, unit: number, fc: number, ctx: DissectContext): void {
  ctx.emit("modbus.unit", "src", String(unit));
  if (fc & 0x80) {
    if (end - pdu >= 2) ctx.emit("modbus.exception", "src", `function ${fc & 0x7f} exception ${b[pdu + 1]}`);
    return;
  }
  // FC 43 / MEI 14: MEI type, read code, conformity, more follows, next id, count, objects.
  if (fc !== 43 || end - pdu < 7 || b[pdu + 1] !== 0x0e) return;
  let p = pdu + 7;
  const count = b[pdu + 6];
  for (let i = 0; i < count && p + 2 <= end; i++) {
    const id = b[p];
    const olen = b[p + 1];
    if (p + 2 + olen > end) {
      ctx.error("modbus.device-id-truncated");
      return;
    }
    const kind = DEVICE_ID_KINDS[id as keyof typeof DEVICE_ID_KINDS];
    if (kind && olen > 0) ctx.emit(kind, "src", utf8(b, p + 2, olen, 255));
    p += 2 + olen;
  }
}

export const modbus: AppDissector = {
  name: "modbus",
  transport: "tcp",
  ports: [MODBUS_PORT],
  everyPacket: true,
  dissect(b, off, len, ctx) {
    if (len === 0) return false;
    return dissectModbus(b, off, len, ctx);
  },
};
