import type { AppDissector, DissectContext } from "./context.js";
import { utf8 } from "./context.js";
import { u16be } from "./bytes.js";

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

/** MQTT 3.1/3.1.1/5 over TCP (cleartext port 1883): connects, publishes, subscriptions. */
export const mqtt: AppDissector = {
  name: "mqtt",
  transport: "tcp",
  ports: [1883],
  test(b, off, len) {
    // A CONNECT is the first thing a client sends: 0x10, length, then "MQTT" or "MQIsdp".
    return len >= 10 && b[off] === 0x10 && (b.toString("latin1", off + 4, off + 8) === "MQTT" || b.toString("latin1", off + 5, off + 9) === "MQIs"
      || b.toString("latin1", off + 5, off + 9) === "MQTT");
  },
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
