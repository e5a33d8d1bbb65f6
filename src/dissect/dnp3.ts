import type { AppDissector, DissectContext } from "./context.js";

export const DNP3_PORT = 20000;

/** Application function codes that change an outstation (IEEE 1815 table 4-1). */
export const DNP3_OPERATIONS: Record<number, string> = {
  0x02: "write", 0x03: "select", 0x04: "operate", 0x05: "direct-operate", 0x06: "direct-operate-no-ack",
  0x07: "immediate-freeze", 0x09: "freeze-clear", 0x0d: "cold-restart", 0x0e: "warm-restart",
  0x0f: "initialize-data", 0x10: "initialize-application", 0x11: "start-application", 0x12: "stop-application",
  0x13: "save-configuration", 0x14: "enable-unsolicited", 0x15: "disable-unsolicited", 0x18: "record-current-time",
  0x19: "open-file", 0x1a: "close-file", 0x1b: "delete-file", 0x1d: "authenticate-file", 0x1e: "abort-file",
  0x1f: "activate-config",
};

/**
 * DNP3 over TCP/UDP: the link header (0x05 0x64, length, control, destination, source, CRC),
 * then user data in 16-byte blocks each followed by a CRC; the transport byte and the
 * application header come first in the first block.
 */
function dissectDnp3(b: Buffer, off: number, len: number, ctx: DissectContext): boolean {
  const end = off + len;
  let p = off;
  let seen = false;
  while (end - p >= 10) {
    if (b[p] !== 0x05 || b[p + 1] !== 0x64) return seen;
    seen = true;
    const linkLen = b[p + 2];
    const control = b[p + 3];
    const src = b[p + 6] | (b[p + 7] << 8);
    if (linkLen < 5) {
      ctx.error("dnp3.bad-length");
      return true;
    }
    const userLen = linkLen - 5;
    const blocks = Math.ceil(userLen / 16);
    const frameLen = 10 + userLen + blocks * 2;
    const fromMaster = (control & 0x80) !== 0;
    ctx.emit("dnp3.address", "src", `${fromMaster ? "master" : "outstation"} ${src}`);
    // User data function (control low nibble 3 or 4 for primary frames) with transport + application header.
    if (userLen >= 3 && p + 10 + 3 <= end && (control & 0x40) !== 0) {
      const transport = b[p + 10];
      const first = (transport & 0x40) !== 0;
      const fc = b[p + 12];
      if (first && fromMaster) {
        const op = DNP3_OPERATIONS[fc];
        if (op) ctx.operation(`dnp3.${op}`);
        else if (fc === 0x01) ctx.emit("dnp3.client", "src", "read");
      }
    }
    p += frameLen;
  }
  return seen;
}

export const dnp3Tcp: AppDissector = { name: "dnp3", transport: "tcp", ports: [DNP3_PORT], everyPacket: true, dissect: dissectDnp3 };
export const dnp3Udp: AppDissector = { name: "dnp3", transport: "udp", ports: [DNP3_PORT], everyPacket: true, dissect: dissectDnp3 };
