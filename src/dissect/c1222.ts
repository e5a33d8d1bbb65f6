import type { AppDissector } from "./context.js";

/**
 * ANSI C12.22 (smart meters over IP, port 1153): an ACSE association request, a BER
 * [APPLICATION 0] element (0x60) whose length covers the message, whose first element is the
 * called AP title (0xA1 or 0xA2).
 */
function isC1222(b: Buffer, off: number, len: number): boolean {
  if (len < 4 || b[off] !== 0x60) return false;
  let p = off + 1;
  let length = b[p++];
  if (length & 0x80) {
    const n = length & 0x7f;
    if (n < 1 || n > 3 || p + n >= off + len) return false;
    length = 0;
    for (let i = 0; i < n; i++) length = length * 256 + b[p++];
  }
  return p + length === off + len && (b[p] & 0xf0) === 0xa0;
}

export const c1222Tcp: AppDissector = { name: "c12.22", transport: "tcp", ports: [1153], dissect: isC1222 };
export const c1222Udp: AppDissector = { name: "c12.22", transport: "udp", ports: [1153], dissect: isC1222 };
