import type { AppDissector } from "./context.js";

/**
 * ISO 9506 MMS (IEC 61850 client/server, ICCP) over ISO-on-TCP: TPKT, COTP data, then the
 * ISO session layer: a CONNECT/ACCEPT SPDU, or GIVE-TOKENS followed by DATA TRANSFER.
 * Recognised so that port 102 is not taken for S7comm.
 */
export const mms: AppDissector = {
  name: "mms",
  transport: "tcp",
  ports: [102],
  dissect(b, off, len) {
    if (len < 10 || b[off] !== 3 || b[off + 1] !== 0) return false;
    const cotpLen = b[off + 4];
    if (b[off + 5] !== 0xf0) return false;
    const s = off + 5 + cotpLen;
    if (s + 2 > off + len) return false;
    const spdu = b[s];
    if (spdu === 0x0d || spdu === 0x0e) return true; // session CONNECT / ACCEPT
    return spdu === 0x01 && b[s + 1] === 0x00 && s + 3 < off + len && b[s + 2] === 0x01 && b[s + 3] === 0x00;
  },
};
