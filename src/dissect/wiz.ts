import { type AppDissector, type DissectContext, parseJson } from "./context.js";

/**
 * WiZ (Signify) lights and plugs: JSON over UDP 38899, and pushed to the app on 38900. A
 * device's own messages carry `"env":"pro"`: its answer to `getSystemConfig` states its
 * `moduleName` (ESP01_SHRGB1C_31: module family, then the light's kind, RGB, TW or DW, or
 * SOCKET for a plug) and `fwVersion`, and its `firstBeat` on power-up its firmware
 * (pywizlight's protocol and bulb library). The app's requests carry no `env` and name nobody.
 */
const MAX = 4096;

function text(v: unknown): string | undefined {
  return typeof v === "string" && /^[\x20-\x7e]{1,64}$/.test(v) ? v : undefined;
}

function fromDevice(json: string, ctx: DissectContext): void {
  const v = parseJson(json, ctx, "wiz.bad-json");
  if (v === undefined) return;
  const m = v as { env?: unknown; result?: Record<string, unknown>; params?: Record<string, unknown> } | null;
  if (typeof m !== "object" || m === null || m.env !== "pro") return;
  const body = (typeof m.result === "object" && m.result !== null ? m.result : typeof m.params === "object" && m.params !== null ? m.params : {}) as Record<string, unknown>;
  const module = text(body.moduleName);
  if (module) ctx.emit("wiz.module", "src", module);
  const firmware = text(body.fwVersion);
  if (firmware) ctx.emit("wiz.firmware", "src", firmware);
}

export const wiz: AppDissector = {
  name: "wiz",
  transport: "udp",
  ports: [38899, 38900],
  dissect(b, off, len, ctx) {
    if (len < 2 || len > MAX || b[off] !== 0x7b) return false;
    const json = b.toString("utf8", off, off + len);
    if (!json.includes('"method"')) return false;
    fromDevice(json, ctx);
    return true;
  },
};
