import type { AppDissector, DissectContext } from "./context.js";
import { utf8 } from "./context.js";
import { u16be } from "../net/bytes.js";

const CONNECT = 1;
const PUBLISH = 3;
const SUBSCRIBE = 8;

/** MQTT's variable-length "remaining length": value and the bytes it took, or undefined. */
function remainingLength(b: Buffer, p: number, end: number): [number, number] | undefined {
  let v = 0;
  let mult = 1;
  for (let i = 0; i < 4; i++) {
    if (p + i >= end) return undefined;
    const c = b[p + i];
    v += (c & 0x7f) * mult;
    if (!(c & 0x80)) return [v, i + 1];
    mult *= 128;
  }
  return undefined;
}

function str(b: Buffer, p: number, end: number): [string, number] | undefined {
  if (p + 2 > end) return undefined;
  const l = u16be(b, p);
  if (p + 2 + l > end) return undefined;
  return [utf8(b, p + 2, l, 512), p + 2 + l];
}

/** CONNECT: protocol name and level, flags, client id, and whether credentials travel in clear. */
function connect(b: Buffer, p: number, end: number, ctx: DissectContext): void {
  const name = str(b, p, end);
  if (!name || (name[0] !== "MQTT" && name[0] !== "MQIsdp")) return ctx.error("mqtt.connect-malformed");
  let q = name[1];
  if (q + 4 > end) return ctx.error("mqtt.connect-malformed");
  const level = b[q];
  const flags = b[q + 1];
  q += 4;
  if (level === 5) {
    const props = remainingLength(b, q, end);
    if (!props) return ctx.error("mqtt.connect-malformed");
    q += props[1] + props[0];
  }
  ctx.emit("mqtt.version", "src", level === 5 ? "5.0" : level === 4 ? "3.1.1" : level === 3 ? "3.1" : String(level));
  const id = str(b, q, end);
  if (!id) return ctx.error("mqtt.connect-malformed");
  if (id[0]) ctx.emit("mqtt.client_id", "src", id[0]);
  q = id[1];
  if (flags & 0x04) {
    if (level === 5) {
      const wp = remainingLength(b, q, end);
      if (!wp) return;
      q += wp[1] + wp[0];
    }
    const topic = str(b, q, end);
    if (!topic) return;
    q = topic[1];
    if (q + 2 > end) return;
    q += 2 + u16be(b, q);
  }
  let user = "";
  if (flags & 0x80) {
    const u = str(b, q, end);
    if (u) user = u[0];
  }
  // The credential itself is never stored: only that it was sent, and under which user name.
  if (flags & 0x80 || flags & 0x40) {
    ctx.emit("mqtt.cleartext_credentials", "src", `${flags & 0x80 ? `user ${user}` : "no user"}${flags & 0x40 ? " with password" : ""}`);
  }
}

/** Fixed-header flags that MQTT requires for each packet type (PUBLISH's vary). */
const FIXED_FLAGS = [-1, 0, -1, -2, 0, 0, 2, 0, 2, 0, 2, 0, 0, 0, 0, 0];

/**
 * MQTT on any port: a CONNECT, or a payload that is exactly a run of well-formed MQTT
 * packets (a capture that starts mid-session shows PINGREQ/PINGRESP and PUBLISH first).
 */
function looksLikeMqtt(b: Buffer, off: number, len: number): boolean {
  if (len >= 10 && b[off] === 0x10) {
    const name = b.toString("latin1", off + 2, off + 12);
    if (name.includes("MQTT") || name.includes("MQIsdp")) return true;
  }
  const end = off + len;
  let p = off;
  let n = 0;
  while (p < end && n < 16) {
    const type = b[p] >> 4;
    const flags = b[p] & 0x0f;
    if (type === 0 || type === 15 || (FIXED_FLAGS[type] >= 0 && flags !== FIXED_FLAGS[type])) return false;
    const rl = remainingLength(b, p + 1, end);
    if (!rl) return false;
    const body = p + 1 + rl[1];
    // A PUBLISH starts with its topic: a length that fits, and printable text.
    if (type === 3) {
      if (rl[0] < 2 || body + 2 > end) return false;
      const tl = u16be(b, body);
      if (tl === 0 || tl + 2 > rl[0] || body + 2 + tl > end) return false;
      for (let i = body + 2; i < body + 2 + tl; i++) if (b[i] < 0x20 || b[i] === 0x7f) return false;
    }
    p = body + rl[0];
    n++;
  }
  return p === end && n > 0;
}

/** MQTT 3.1/3.1.1/5 over TCP (cleartext port 1883): connects, publishes, subscriptions. */
export const mqtt: AppDissector = {
  name: "mqtt",
  transport: "tcp",
  ports: [1883],
  test: looksLikeMqtt,
  dissect(b, off, len, ctx) {
    const end = off + len;
    let p = off;
    let seen = false;
    for (let n = 0; p < end && n < 64; n++) {
      const type = b[p] >> 4;
      if (type === 0 || type > 15) return seen;
      const rl = remainingLength(b, p + 1, end);
      if (!rl) return seen;
      const body = p + 1 + rl[1];
      const stop = Math.min(body + rl[0], end);
      seen = true;
      if (type === CONNECT) connect(b, body, stop, ctx);
      else if (type === PUBLISH) {
        const t = str(b, body, stop);
        if (t && t[0]) ctx.emit("mqtt.publish", "src", t[0]);
      } else if (type === SUBSCRIBE) {
        let q = body + 2;
        if (q < stop && (b[p] & 0x0f) === 2) {
          // v5 subscriptions start with properties; 3.1.1 with the first filter. A filter length
          // that runs past the packet means properties come first.
          const first = str(b, q, stop);
          if (!first) {
            const props = remainingLength(b, q, stop);
            if (props) q += props[1] + props[0];
          }
          while (q < stop) {
            const f = str(b, q, stop);
            if (!f) break;
            if (f[0]) ctx.emit("mqtt.subscribe", "src", f[0]);
            q = f[1] + 1;
          }
        }
      }
      p = body + rl[0];
    }
    return seen;
  },
};
