import { u16be } from "../net/bytes.js";
import type { AppDissector } from "./context.js";
import { text } from "./context.js";

/**
 * Ubiquiti device discovery (UDP 10001, nDPI's UBNTAC2): UniFi and airMAX devices and their
 * controllers. Version 1: 0x01 0x00, a 16-bit length, then type-length-value records; version 2:
 * 0x02, a command, a 16-bit length, the same records. An answer names the device: host name,
 * model and firmware.
 */
const FIRMWARE = 0x03;
const HOSTNAME = 0x0b;
const MODEL_SHORT = 0x0c;
const MODEL = 0x14;

export const ubntDiscovery: AppDissector = {
  name: "ubnt-discovery",
  transport: "udp",
  ports: [10001],
  dissect(b, off, len, ctx) {
    if (len < 4 || (b[off] !== 1 && b[off] !== 2)) return false;
    if (b[off] === 1 && b[off + 1] !== 0) return false;
    const length = u16be(b, off + 2);
    if (length + 4 !== len) return false;
    let model: string | undefined;
    let p = off + 4;
    const end = off + len;
    while (p + 3 <= end) {
      const type = b[p];
      const n = u16be(b, p + 1);
      if (p + 3 + n > end) {
        ctx.error("ubnt.truncated");
        return true;
      }
      const v = (): string => text(b, p + 3, n, 128);
      if (type === FIRMWARE) ctx.emit("ubnt.firmware", "src", v());
      else if (type === HOSTNAME) ctx.emit("ubnt.hostname", "src", v());
      else if (type === MODEL) model = v();
      else if (type === MODEL_SHORT) model ??= v();
      p += 3 + n;
    }
    if (model) ctx.emit("ubnt.model", "src", model);
    return true;
  },
};
