import type { AppDissector, DissectContext } from "./context.js";
import { text } from "./context.js";

export const ENIP_PORT = 44818;

const LIST_IDENTITY = 0x0063;
const SEND_RR_DATA = 0x006f;
const SEND_UNIT_DATA = 0x0070;
const ITEM_IDENTITY = 0x000c;
const ITEM_CONNECTED_DATA = 0x00b1;
const ITEM_UNCONNECTED_DATA = 0x00b2;
const UNCONNECTED_SEND = 0x52;

/** Common CIP services that change a device's state (CIP Vol. 1 appendix A). */
export const CIP_OPERATIONS: Record<number, string> = {
  0x02: "set-attributes-all", 0x05: "reset", 0x06: "start", 0x07: "stop", 0x08: "create", 0x09: "delete",
  0x10: "set-attribute-single", 0x15: "restore",
};
/**
 * Logix tag services (object-specific codes, so only on a symbolic path or the Symbol class):
 * the writes of an HMI or engineering station into a controller's tags.
 */
export const CIP_TAG_OPERATIONS: Record<number, string> = {
  0x4d: "write-tag", 0x4e: "read-modify-write-tag", 0x53: "write-tag-fragmented",
};
const MULTIPLE_SERVICE_PACKET = 0x0a;
const SYMBOL_CLASS = 0x6b;

function le16(b: Buffer, o: number): number {
  return b[o] | (b[o + 1] << 8);
}

function le32(b: Buffer, o: number): number {
  return (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)) >>> 0;
}

/** ListIdentity response item: the device's own statement of vendor, type, product and revision. */
function identity(b: Buffer, p: number, end: number, ctx: DissectContext): void {
  if (p + 33 > end) {
    ctx.error("enip.identity-truncated");
    return;
  }
  const v = p + 18; // after protocol version (2) and socket address (16)
  ctx.emit("cip.vendor_id", "src", String(le16(b, v)));
  ctx.emit("cip.device_type", "src", String(le16(b, v + 2)));
  ctx.emit("cip.product_code", "src", String(le16(b, v + 4)));
  ctx.emit("cip.revision", "src", `${b[v + 6]}.${b[v + 7]}`);
  ctx.emit("cip.serial", "src", le32(b, v + 10).toString(16).padStart(8, "0"));
  const nameLen = b[v + 14];
  if (v + 15 + nameLen <= end && nameLen > 0) ctx.emit("cip.product_name", "src", text(b, v + 15, nameLen, 255));
}

/**
 * A CIP request: service, path; Unconnected Send and Multiple Service Packet are unwrapped
 * to the requests they carry.
 */
function cipRequest(b: Buffer, p: number, end: number, ctx: DissectContext, depth = 0): void {
  if (p + 2 > end || depth > 3) return;
  const service = b[p];
  if (service & 0x80) return; // a response
  const pathEnd = p + 2 + b[p + 1] * 2;
  if (pathEnd > end) {
    ctx.error("cip.path-truncated");
    return;
  }
  if (service === UNCONNECTED_SEND && pathEnd + 4 <= end) {
    const embeddedLen = le16(b, pathEnd + 2);
    cipRequest(b, pathEnd + 4, Math.min(pathEnd + 4 + embeddedLen, end), ctx, depth + 1);
    return;
  }
  if (service === MULTIPLE_SERVICE_PACKET && pathEnd + 2 <= end) {
    const count = le16(b, pathEnd);
    for (let i = 0; i < count && i < 64 && pathEnd + 4 + i * 2 <= end; i++) {
      const start = pathEnd + le16(b, pathEnd + 2 + i * 2);
      const next = i + 1 < count && pathEnd + 4 + i * 2 + 2 <= end ? pathEnd + le16(b, pathEnd + 4 + i * 2) : end;
      if (start < next && next <= end) cipRequest(b, start, next, ctx, depth + 1);
    }
    return;
  }
  const cls = cipClass(b, p + 2, pathEnd);
  const symbolic = b[p + 2] === 0x91 || cls === SYMBOL_CLASS;
  const op = CIP_OPERATIONS[service] ?? (symbolic ? CIP_TAG_OPERATIONS[service] : undefined);
  const detail = cls !== undefined ? `class 0x${cls.toString(16)}` : undefined;
  if (op) ctx.operation(`cip.${op}`, detail);
  else ctx.emit("cip.client", "src", `service 0x${service.toString(16).padStart(2, "0")}`);
}

/** The class of an 8- or 16-bit logical path. */
function cipClass(b: Buffer, p: number, end: number): number | undefined {
  if (p + 2 <= end && b[p] === 0x20) return b[p + 1];
  if (p + 4 <= end && b[p] === 0x21) return le16(b, p + 2);
  return undefined;
}

const COMMANDS = new Set([0x0001, 0x0004, LIST_IDENTITY, 0x0064, 0x0065, 0x0066, SEND_RR_DATA, SEND_UNIT_DATA]);

/** EtherNet/IP encapsulation (CIP Vol. 2): ListIdentity answers and CIP requests inside; a segment may hold several. */
function dissectEnip(b: Buffer, off: number, len: number, ctx: DissectContext): boolean {
  const stop = off + len;
  let p = off;
  let seen = false;
  while (stop - p >= 24 && COMMANDS.has(le16(b, p))) {
    seen = true;
    const dataLen = le16(b, p + 2);
    encapsulation(b, le16(b, p), p + 24, Math.min(p + 24 + dataLen, stop), ctx);
    p += 24 + dataLen;
  }
  return seen;
}

function encapsulation(b: Buffer, command: number, p: number, end: number, ctx: DissectContext): void {
  if (command === LIST_IDENTITY) {
    if (p + 2 > end) return;
    const count = le16(b, p);
    let q = p + 2;
    for (let i = 0; i < count && q + 4 <= end; i++) {
      const type = le16(b, q);
      const ilen = le16(b, q + 2);
      if (type === ITEM_IDENTITY) identity(b, q + 4, Math.min(q + 4 + ilen, end), ctx);
      q += 4 + ilen;
    }
    return;
  }
  if (command !== SEND_RR_DATA && command !== SEND_UNIT_DATA) return;
  // interface handle (4), timeout (2), item count (2), items
  if (p + 8 > end) return;
  const count = le16(b, p + 6);
  let q = p + 8;
  for (let i = 0; i < count && q + 4 <= end; i++) {
    const type = le16(b, q);
    const ilen = le16(b, q + 2);
    const data = q + 4;
    const dataEnd = Math.min(data + ilen, end);
    if (type === ITEM_UNCONNECTED_DATA) cipRequest(b, data, dataEnd, ctx);
    else if (type === ITEM_CONNECTED_DATA) cipRequest(b, data + 2, dataEnd, ctx); // after the sequence count
    q = data + ilen;
  }
}

export const enipTcp: AppDissector = {
  name: "enip",
  transport: "tcp",
  ports: [ENIP_PORT],
  everyPacket: true,
  dissect: dissectEnip,
};

/**
 * CIP class 0/1 I/O over UDP 2222: a common packet format with a sequenced address item
 * (0x8002) and a connected data item. Cyclic process data: recognised, nothing to record.
 */
export const cipIo: AppDissector = {
  name: "enip",
  transport: "udp",
  ports: [2222],
  dissect(b, off, len) {
    if (len < 14) return false;
    const count = le16(b, off);
    return count >= 2 && count <= 4 && le16(b, off + 2) === 0x8002 && le16(b, off + 4) === 8
      && le16(b, off + 14) === ITEM_CONNECTED_DATA;
  },
};

export const enipUdp: AppDissector = {
  name: "enip",
  transport: "udp",
  ports: [ENIP_PORT],
  everyPacket: true,
  dissect: dissectEnip,
};
