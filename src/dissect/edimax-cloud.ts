import type { AppDissector } from "./context.js";
import { xmlValueAttributes } from "./xml-fields.js";

/**
 * Edimax's cloud relay (EdiPlug smart plugs and Edimax IP cameras, UDP 8765 to
 * www.myedimax.com): XML elements `<name value="..." />` in a `<param>`, obfuscated. The first
 * byte is '<' plus a rotation n of 0 to 7; every later byte is its clear byte rotated right by
 * n bits (described by G. Guntram, "Deobfuscating the Edimax SP-2101W cloud protocol", and
 * implemented by EdiManager). A device registers with code 1010, stating its model, type
 * ("SmartPlug") and firmware; the relay's answers to a phone app name the device the app asks
 * about, not the sender, so only a registration is read.
 */
const OPEN = 0x3c; // '<'
const PARAM = Buffer.from("param>", "latin1");
const MAX_MESSAGE = 4096;
const REGISTRATION = "1010";

function rotateLeft(x: number, n: number): number {
  return ((x << n) | (x >> (8 - n))) & 0xff;
}

/** The rotation a message is obfuscated with, when it opens a `<param>` element. */
function rotation(b: Buffer, off: number, len: number): number | undefined {
  if (len < 1 + PARAM.length || len > MAX_MESSAGE) return undefined;
  const n = b[off] - OPEN;
  if (n < 0 || n > 7) return undefined;
  for (let i = 0; i < PARAM.length; i++) if (rotateLeft(b[off + 1 + i], n) !== PARAM[i]) return undefined;
  return n;
}

function clear(b: Buffer, off: number, len: number, n: number): string {
  const out = Buffer.allocUnsafe(len);
  out[0] = OPEN;
  for (let i = 1; i < len; i++) out[i] = rotateLeft(b[off + i], n);
  return out.toString("latin1");
}

export const edimaxCloud: AppDissector = {
  name: "edimax-cloud",
  transport: "udp",
  ports: [8765],
  test: (b, off, len) => rotation(b, off, len) !== undefined,
  dissect(b, off, len, ctx) {
    const n = rotation(b, off, len);
    if (n === undefined) return false;
    const f = xmlValueAttributes(clear(b, off, len, n), ["code", "model", "type", "devfwver"]);
    if (f.get("code") !== REGISTRATION) return true;
    const model = f.get("model");
    if (model) ctx.emit("edimax.model", "src", model);
    const type = f.get("type");
    if (type) ctx.emit("edimax.type", "src", type);
    // "1.09#010001": the firmware, then the cloud agent's version.
    const firmware = f.get("devfwver")?.split("#")[0];
    if (firmware) ctx.emit("edimax.firmware", "src", firmware);
    return true;
  },
};
