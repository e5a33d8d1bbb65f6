import type { AppDissector, DissectContext } from "./context.js";

/** ASDU type ids in the control direction (IEC 60870-5-101/104 §7.2.1.1) that change the process. */
export const IEC104_COMMANDS: Record<number, string> = {
  45: "single-command", 46: "double-command", 47: "regulating-step-command", 48: "set-point-normalized",
  49: "set-point-scaled", 50: "set-point-float", 51: "bitstring-command", 58: "single-command",
  59: "double-command", 60: "regulating-step-command", 61: "set-point-normalized", 62: "set-point-scaled",
  63: "set-point-float", 64: "bitstring-command", 103: "clock-sync", 105: "reset-process",
  111: "parameter-scaled", 110: "parameter-normalized", 112: "parameter-float", 113: "parameter-activation",
  122: "file-select",
};

/** IEC 60870-5-104: APCI frames; I-frames carry an ASDU whose type says what it does. */
function dissect104(b: Buffer, off: number, len: number, ctx: DissectContext): boolean {
  const end = off + len;
  let p = off;
  let seen = false;
  while (end - p >= 6 && b[p] === 0x68) {
    const apduLen = b[p + 1];
    if (apduLen < 4) {
      ctx.error("iec104.bad-length");
      return true;
    }
    seen = true;
    const c1 = b[p + 2];
    if ((c1 & 0x01) === 0 && apduLen >= 10 && p + 2 + apduLen <= end) {
      const type = b[p + 6];
      const cot = b[p + 8] & 0x3f;
      const address = b[p + 10] | (b[p + 11] << 8);
      const command = IEC104_COMMANDS[type];
      // Cause 6 is activation: a command sent by the controlling station.
      if (command && cot === 6) ctx.operation(`iec104.${command}`, `common address ${address}`);
      else if (type === 100 && cot === 6) ctx.emit("iec104.client", "src", "interrogation");
      else if (type < 45) ctx.emit("iec104.station", "src", `common address ${address}`);
    } else if ((c1 & 0x03) === 0x03) {
      if (c1 & 0x04) ctx.emit("iec104.client", "src", "startdt");
    }
    p += 2 + apduLen;
  }
  return seen;
}

export const iec104: AppDissector = { name: "iec104", transport: "tcp", ports: [2404], everyPacket: true, dissect: dissect104 };
