import { u32be } from "../net/bytes.js";
import { type AppDissector, type DissectContext, parseJson } from "./context.js";

/**
 * TP-Link Smart Home Protocol (Kasa plugs, switches and bulbs, port 9999): JSON under an
 * "autokey" XOR cipher (each byte XORed with the previous cipher byte, the first with 171).
 * Over UDP a datagram is one message (discovery); over TCP a 32-bit length comes first. The
 * device's answer to get_sysinfo names its model, firmware and kind.
 */
const FIRST_KEY = 171;
const MAX_MESSAGE = 16 * 1024;

function decrypt(b: Buffer, off: number, len: number): string {
  const out = Buffer.allocUnsafe(len);
  let key = FIRST_KEY;
  for (let i = 0; i < len; i++) {
    const c = b[off + i];
    out[i] = c ^ key;
    key = c;
  }
  return out.toString("utf8");
}

/** The first decrypted bytes must open a JSON object: `{"`. */
function opensJson(b: Buffer, off: number, len: number): boolean {
  return len >= 2 && (b[off] ^ FIRST_KEY) === 0x7b && (b[off + 1] ^ b[off]) === 0x22;
}

function sysinfo(message: string, ctx: DissectContext): void {
  const v = parseJson(message, ctx, "tplink.bad-json");
  if (v === undefined) return;
  const info = (v as { system?: { get_sysinfo?: Record<string, unknown> } } | null)?.system?.get_sysinfo;
  if (typeof info !== "object" || info === null) return;
  const str = (k: string): string | undefined => (typeof info[k] === "string" ? (info[k] as string).slice(0, 128) : undefined);
  const model = str("model");
  if (model) ctx.emit("tplink.model", "src", model);
  const firmware = str("sw_ver");
  if (firmware) ctx.emit("tplink.firmware", "src", firmware);
  const type = str("type") ?? str("mic_type");
  if (type) ctx.emit("tplink.type", "src", type);
}

export const tplinkShpUdp: AppDissector = {
  name: "tplink-shp",
  transport: "udp",
  ports: [9999],
  dissect(b, off, len, ctx) {
    if (!opensJson(b, off, len) || len > MAX_MESSAGE) return false;
    sysinfo(decrypt(b, off, len), ctx);
    return true;
  },
};

export const tplinkShpTcp: AppDissector = {
  name: "tplink-shp",
  transport: "tcp",
  ports: [9999],
  dissect(b, off, len, ctx) {
    if (len < 6 || !opensJson(b, off + 4, len - 4)) return false;
    const length = u32be(b, off);
    if (length === 0 || length > MAX_MESSAGE) return false;
    // An answer longer than one segment is recognised, and its model read only when whole.
    if (length === len - 4) sysinfo(decrypt(b, off + 4, length), ctx);
    return true;
  },
};
