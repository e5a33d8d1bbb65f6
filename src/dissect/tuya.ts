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
 *
 * Protocol 3.5 devices broadcast the same JSON in the 0x6699 frame (on UDP 6667, or in reply to
 * an app's solicitation on UDP 7000): 0x00006699, 2 reserved bytes, sequence, command, length
 * (of IV, ciphertext and tag), a 12-byte IV, the payload under AES-128-GCM with the same key and
 * the 14 header bytes after the prefix as associated data, the 16-byte tag, 0x00009966; the
 * plaintext may begin with a 4-byte return code (tinytuya's PROTOCOL.md).
 */
const PREFIX = 0x000055aa;
const SUFFIX = 0x0000aa55;
const PREFIX_GCM = 0x00006699;
const SUFFIX_GCM = 0x00009966;
/** Prefix, reserved, sequence, command, length. */
const GCM_HEADER = 18;
const GCM_IV = 12;
const GCM_TAG = 16;
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

type Opened = Buffer | "tuya.bad-length" | "tuya.undecryptable";

/** The 0x55AA frame's payload: JSON in clear (3.1) or under AES-ECB (3.3, 3.4). */
function open55aa(b: Buffer, off: number, len: number): Opened {
  const length = u32be(b, off + 12);
  if (length < 12 || 16 + length > len || u32be(b, off + 16 + length - 4) !== SUFFIX) return "tuya.bad-length";
  const body = b.subarray(off + 20, off + 16 + length - 8);
  if (body.length > MAX_PAYLOAD) return "tuya.bad-length";
  return (body[0] === 0x7b ? body : decrypt(body)) ?? "tuya.undecryptable";
}

/** The 0x6699 frame's payload (3.5): authenticated and decrypted, its return code dropped. */
function open6699(b: Buffer, off: number, len: number): Opened {
  if (len < GCM_HEADER + GCM_IV + GCM_TAG + 4) return "tuya.bad-length";
  const length = u32be(b, off + 14);
  if (length < GCM_IV + GCM_TAG + 1 || length - GCM_IV - GCM_TAG > MAX_PAYLOAD || GCM_HEADER + length + 4 > len
    || u32be(b, off + GCM_HEADER + length) !== SUFFIX_GCM) return "tuya.bad-length";
  const end = off + GCM_HEADER + length;
  try {
    const d = createDecipheriv("aes-128-gcm", DISCOVERY_KEY, b.subarray(off + GCM_HEADER, off + GCM_HEADER + GCM_IV));
    d.setAAD(b.subarray(off + 4, off + GCM_HEADER));
    d.setAuthTag(b.subarray(end - GCM_TAG, end));
    const clear = Buffer.concat([d.update(b.subarray(off + GCM_HEADER + GCM_IV, end - GCM_TAG)), d.final()]);
    return clear[0] !== 0x7b && clear.length > 4 && clear[4] === 0x7b ? clear.subarray(4) : clear;
  } catch {
    return "tuya.undecryptable";
  }
}

export const tuya: AppDissector = {
  name: "tuya-lp",
  transport: "udp",
  ports: [6666, 6667],
  test: (b, off, len) => len >= 28 && (u32be(b, off) === PREFIX || u32be(b, off) === PREFIX_GCM),
  dissect(b, off, len, ctx) {
    if (len < 28) return false;
    const prefix = u32be(b, off);
    if (prefix !== PREFIX && prefix !== PREFIX_GCM) return false;
    const clear = prefix === PREFIX ? open55aa(b, off, len) : open6699(b, off, len);
    if (typeof clear === "string") {
      ctx.error(clear);
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
