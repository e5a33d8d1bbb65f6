import { createDecipheriv, createHash } from "node:crypto";
import { u32be } from "../net/bytes.js";
import type { AppDissector } from "./context.js";

/**
 * Tuya LAN discovery: every mains-powered Tuya-platform device (plugs, bulbs, sockets, the
 * white-label brands built on it) broadcasts a beacon on UDP 6666 (protocol 3.1, JSON in
 * clear) or 6667 (3.3 and later, AES-128-ECB under a key every Tuya app and tinytuya share:
 * MD5 of "yGAdlopoPVldABfn"). The beacon names the device id, product key and protocol version.
 *
 * Frame: 0x000055AA, sequence, command, length (of what follows), return code, payload,
 * CRC32, 0x0000AA55.
 */
const PREFIX = 0x000055aa;
const SUFFIX = 0x0000aa55;
const DISCOVERY_KEY = createHash("md5").update("yGAdlopoPVldABfn").digest();
const MAX_PAYLOAD = 1024;

function decrypt(b: Buffer): Buffer | undefined {
  if (b.length === 0 || b.length % 16 !== 0) return undefined;
  try {
    const d = createDecipheriv("aes-128-ecb", DISCOVERY_KEY, null);
    return Buffer.concat([d.update(b), d.final()]);
  } catch {
    return undefined;
  }
}

export const tuya: AppDissector = {
  name: "tuya-lp",
  transport: "udp",
  ports: [6666, 6667],
  test: (b, off, len) => len >= 28 && u32be(b, off) === PREFIX,
  dissect(b, off, len, ctx) {
    if (len < 28 || u32be(b, off) !== PREFIX) return false;
    const length = u32be(b, off + 12);
    if (length < 12 || 16 + length > len || u32be(b, off + 16 + length - 4) !== SUFFIX) {
      ctx.error("tuya.bad-length");
      return true;
    }
    const body = b.subarray(off + 20, off + 16 + length - 8);
    if (body.length > MAX_PAYLOAD) {
      ctx.error("tuya.bad-length");
      return true;
    }
    const clear = body[0] === 0x7b ? body : decrypt(body);
    if (!clear) {
      ctx.error("tuya.undecryptable");
      return true;
    }
    let beacon: unknown;
    try {
      beacon = JSON.parse(clear.toString("utf8"));
    } catch {
      ctx.error("tuya.bad-json");
      return true;
    }
    if (typeof beacon !== "object" || beacon === null) {
      ctx.error("tuya.bad-json");
      return true;
    }
    const o = beacon as Record<string, unknown>;
    const str = (v: unknown): string | undefined => (typeof v === "string" && v.length > 0 && v.length <= 64 ? v : undefined);
    const id = str(o.gwId) ?? str(o.devId);
    if (id) ctx.emit("tuya.device_id", "src", id);
    const product = str(o.productKey);
    if (product) ctx.emit("tuya.product_key", "src", product);
    const version = str(o.version);
    if (version) ctx.emit("tuya.version", "src", version);
    return true;
  },
};
