import type { AppDissector, DissectContext } from "./context.js";

/**
 * Phoenix Contact's PC WORX protocol (TCP 1962), which its engineering software speaks to ILC
 * and AXC controllers. Requests open with 0x01, answers with 0x81, the second byte naming the
 * request; the answer to the information request (0x06) holds, as NUL-terminated strings, the
 * PLC type at offset 30, the firmware version at 66 and the model number at 152 (Digital Bond's
 * research, as nmap's pcworx-info reads it).
 */
const INFO = 0x06;
const FIELDS: readonly (readonly [number, "pcworx.plc_type" | "pcworx.firmware" | "pcworx.model"])[] = [
  [30, "pcworx.plc_type"], [66, "pcworx.firmware"], [152, "pcworx.model"],
];

/** A NUL-terminated printable string at `at`, at most 32 bytes, or nothing. */
function cstring(b: Buffer, at: number, stop: number): string | undefined {
  let end = at;
  while (end < stop && end < at + 32 && b[end] !== 0) end++;
  if (end >= stop || b[end] !== 0) return undefined;
  const s = b.toString("latin1", at, end).trim();
  return s !== "" && /^[\x20-\x7e]+$/.test(s) ? s : undefined;
}

function info(b: Buffer, off: number, len: number, ctx: DissectContext): void {
  for (const [at, kind] of FIELDS) {
    if (at >= len) continue;
    const v = cstring(b, off + at, off + len);
    if (v !== undefined) ctx.emit(kind, "src", v);
  }
}

export const pcworx: AppDissector = {
  name: "pcworx",
  transport: "tcp",
  ports: [1962],
  dissect(b, off, len, ctx) {
    if (len < 4 || (b[off] !== 0x01 && b[off] !== 0x81)) return false;
    if (b[off] === 0x81 && b[off + 1] === INFO) info(b, off, len, ctx);
    return true;
  },
};
