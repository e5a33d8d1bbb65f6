import { u32le } from "../net/bytes.js";
import { type AppDissector, type DissectContext, parseJson } from "./context.js";

/**
 * Dahua's device discovery (DHIP over UDP 37810, multicast 239.255.255.251): ConfigTool,
 * SmartPSS and Dahua recorders send `DHDiscover.search`, and Dahua-made cameras, recorders,
 * door stations and access controllers (under their own or an OEM's name: Lorex, Amcrest)
 * answer `client.notifyDevInfo` with their class (IPC, NVR, VTO ...), model (DeviceType),
 * firmware (Version), serial and vendor. A 32-byte header carries the magic "DHIP" at 4 and
 * the JSON body's length, little-endian, at 16 and 24 (UniversalScanner's and Rapid7's readers
 * of the answer).
 */
const HEADER = 32;
const MAGIC = 0x50494844; // "DHIP", read little-endian
const MAX_BODY = 16 * 1024;
const FIELDS: readonly (readonly [string, "dahua.class" | "dahua.model" | "dahua.firmware" | "dahua.serial" | "dahua.vendor"])[] = [
  ["DeviceClass", "dahua.class"], ["DeviceType", "dahua.model"], ["Version", "dahua.firmware"], ["SerialNo", "dahua.serial"], ["Vendor", "dahua.vendor"],
];

function isDhip(b: Buffer, off: number, len: number): boolean {
  return len >= HEADER && u32le(b, off) === HEADER && u32le(b, off + 4) === MAGIC;
}

function deviceInfo(body: string, ctx: DissectContext): void {
  const v = parseJson(body, ctx, "dhip.bad-json");
  if (v === undefined) return;
  const m = v as { method?: unknown; params?: { deviceInfo?: Record<string, unknown> } } | null;
  if (m?.method !== "client.notifyDevInfo") return;
  const info = m.params?.deviceInfo;
  if (typeof info !== "object" || info === null) return;
  for (const [key, kind] of FIELDS) {
    const value = info[key];
    if (typeof value !== "string") continue;
    const clean = value.replace(/[\x00-\x1f\x7f]+/g, " ").trim().slice(0, 128);
    if (clean !== "") ctx.emit(kind, "src", clean);
  }
}

export const dahuaDhip: AppDissector = {
  name: "dhip",
  transport: "udp",
  ports: [37810],
  test: isDhip,
  dissect(b, off, len, ctx) {
    if (!isDhip(b, off, len)) return false;
    const size = u32le(b, off + 16);
    // The body must be whole: both length fields agree with what the datagram holds.
    if (size !== u32le(b, off + 24) || size === 0 || size > MAX_BODY || size > len - HEADER) {
      ctx.error("dhip.bad-length");
      return true;
    }
    deviceInfo(b.toString("utf8", off + HEADER, off + HEADER + size), ctx);
    return true;
  },
};
