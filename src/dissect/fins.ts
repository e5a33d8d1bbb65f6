import type { AppDissector, DissectContext } from "./context.js";
import { text } from "./context.js";

/** FINS commands (MRC, SRC) that change an Omron PLC (FINS command reference W227). */
export const FINS_OPERATIONS: Record<number, string> = {
  0x0102: "memory-area-write", 0x0103: "memory-area-fill", 0x0105: "memory-area-transfer",
  0x0202: "parameter-area-write", 0x0203: "parameter-area-clear", 0x0307: "program-area-write",
  0x0308: "program-area-clear", 0x0401: "run", 0x0402: "stop", 0x0702: "clock-write",
  0x2103: "error-log-clear", 0x2203: "file-write", 0x2205: "file-delete", 0x2215: "file-create",
  0x2301: "forced-set-reset", 0x2302: "forced-set-reset-cancel",
};

/** A FINS frame: 10-byte header (ICF first; bit 6 set in responses), then MRC/SRC and data. */
function finsFrame(b: Buffer, p: number, end: number, ctx: DissectContext): boolean {
  if (end - p < 12) return false;
  const icf = b[p];
  if ((icf & 0x80) === 0 || b[p + 1] !== 0) return false;
  const command = (b[p + 10] << 8) | b[p + 11];
  const response = (icf & 0x40) !== 0;
  if (!response) {
    const op = FINS_OPERATIONS[command];
    if (op) ctx.operation(`fins.${op}`);
    else ctx.emit("fins.client", "src", `command 0x${command.toString(16).padStart(4, "0")}`);
  } else if (command === 0x0501 && end - p >= 14 + 40) {
    // Controller data read: end code (2), model (20), version (20).
    const model = text(b, p + 14, 20, 20);
    const version = text(b, p + 34, 20, 20);
    if (model) ctx.emit("fins.model", "src", model);
    if (version) ctx.emit("fins.version", "src", version);
  }
  return true;
}

/** Omron FINS over UDP, and over TCP with the "FINS" framing header. */
export const finsUdp: AppDissector = {
  name: "fins",
  transport: "udp",
  ports: [9600],
  everyPacket: true,
  dissect: (b, off, len, ctx) => finsFrame(b, off, off + len, ctx),
};

export const finsTcp: AppDissector = {
  name: "fins",
  transport: "tcp",
  ports: [9600],
  everyPacket: true,
  dissect(b, off, len, ctx) {
    const end = off + len;
    let p = off;
    let seen = false;
    while (end - p >= 16 && b.toString("latin1", p, p + 4) === "FINS") {
      seen = true;
      const flen = b.readUInt32BE(p + 4);
      const command = b.readUInt32BE(p + 8);
      if (command === 2) finsFrame(b, p + 16, Math.min(p + 8 + flen, end), ctx);
      p += 8 + flen;
    }
    return seen;
  },
};
