import type { AppDissector } from "./context.js";

/**
 * Google Nest devices' log upload (TCP 11095 to Google). Its framing is not published; what the
 * devices send opens with a type byte, a version of at most 2, a flag byte of 0x00 or 0x10 and
 * 0x13 (as nDPI also recognises it).
 */
export const nestLogSink: AppDissector = {
  name: "nest-log-sink",
  transport: "tcp",
  ports: [11095],
  dissect: (b, off, len) => len >= 8 && b[off + 1] <= 2 && (b[off + 2] === 0x00 || b[off + 2] === 0x10) && b[off + 3] === 0x13,
};
