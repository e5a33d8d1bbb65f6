import type { AppDissector, DissectContext } from "./context.js";

/**
 * PROFINET IO context management (UDP 34964): connectionless DCE/RPC version 4 to the PROFINET
 * device, controller, supervisor or parameter-server interface (UUID DEA0000x-6C97-11D1-8271-
 * 00A02442DF7D). Connect, write and control requests set up and parameterise an IO device;
 * a Write changes its parameters.
 */
const PNIO_UUID_TAIL = "6c9711d1827100a02442df7d";
const REQUEST = 0;
const OP_WRITE = 3;

/** The interface UUID as text, in the byte order the packet's data representation gives. */
function interfaceUuid(b: Buffer, p: number, little: boolean): string {
  const hex = (i: number, n: number, swap: boolean): string => {
    const bytes = [...b.subarray(p + i, p + i + n)];
    return (swap ? bytes.reverse() : bytes).map((x) => x.toString(16).padStart(2, "0")).join("");
  };
  return hex(0, 4, little) + hex(4, 2, little) + hex(6, 2, little) + hex(8, 8, false);
}

function dissectPnio(b: Buffer, off: number, len: number, ctx: DissectContext): boolean {
  if (len < 80 || b[off] !== 4 || b[off + 1] > 10) return false;
  const little = (b[off + 4] & 0x10) !== 0;
  const uuid = interfaceUuid(b, off + 24, little);
  if (!uuid.startsWith("dea0000") || !uuid.endsWith(PNIO_UUID_TAIL)) return false;
  if (b[off + 1] === REQUEST) {
    const opnum = little ? b[off + 68] | (b[off + 69] << 8) : (b[off + 68] << 8) | b[off + 69];
    if (opnum === OP_WRITE) ctx.operation("pnio.write");
  }
  return true;
}

export const profinetIo: AppDissector = {
  name: "profinet-io",
  transport: "udp",
  ports: [34964],
  dissect: dissectPnio,
};
