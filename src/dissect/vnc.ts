import type { AppDissector } from "./context.js";

/**
 * VNC (RFB, RFC 6143): remote screens of HMIs, operator panels and medical workstations. Both
 * sides open with a 12-byte version, "RFB 003.008\n", the server first, on any port.
 */
function isRfb(b: Buffer, off: number, len: number): boolean {
  return len === 12 && b.toString("latin1", off, off + 4) === "RFB " && b[off + 7] === 0x2e && b[off + 11] === 0x0a
    && /^\d{3}\.\d{3}$/.test(b.toString("latin1", off + 4, off + 11));
}

export const vnc: AppDissector = {
  name: "vnc",
  transport: "tcp",
  ports: [5900, 5901],
  test: isRfb,
  dissect: (b, off, len) => isRfb(b, off, len),
};
