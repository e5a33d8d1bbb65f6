import type { AppDissector, DissectContext } from "./context.js";
import { utf8 } from "./context.js";
import { u16be } from "../net/bytes.js";

export const BACNET_PORT = 47808;

/** Properties of the device object that identify it (ASHRAE 135 clause 21). */
const PROPERTY_KINDS = {
  77: "bacnet.object_name", 121: "bacnet.vendor_name", 70: "bacnet.model_name",
  44: "bacnet.firmware", 12: "bacnet.application_version",
} as const;
const DEVICE_OBJECT = 8;
/** Confirmed services that change a device (clause 21 service choices). */
const OPERATIONS: Record<number, string> = {
  15: "write-property", 16: "write-property-multiple", 17: "device-communication-control",
  20: "reinitialize-device", 7: "atomic-write-file", 8: "add-list-element", 9: "remove-list-element",
  10: "create-object", 11: "delete-object",
};

/** An application- or context-tagged value header: tag number, class, length and data offset. */
interface Tag { num: number; context: boolean; len: number; data: number; opening: boolean; closing: boolean }

function readTag(b: Buffer, p: number, end: number): Tag | undefined {
  if (p >= end) return undefined;
  const t = b[p];
  let num = t >> 4;
  const context = (t & 0x08) !== 0;
  let lvt = t & 0x07;
  let q = p + 1;
  if (num === 15) {
    if (q >= end) return undefined;
    num = b[q++];
  }
  if (context && lvt === 6) return { num, context, len: 0, data: q, opening: true, closing: false };
  if (context && lvt === 7) return { num, context, len: 0, data: q, opening: false, closing: true };
  if (lvt === 5) {
    if (q >= end) return undefined;
    lvt = b[q++];
    if (lvt === 254) {
      if (q + 2 > end) return undefined;
      lvt = u16be(b, q);
      q += 2;
    } else if (lvt === 255) return undefined;
  }
  // Application boolean carries its value in the length field.
  if (!context && num === 1) lvt = 0;
  if (q + lvt > end) return undefined;
  return { num, context, len: lvt, data: q, opening: false, closing: false };
}

function unsigned(b: Buffer, t: Tag): number {
  let v = 0;
  for (let i = 0; i < t.len && i < 4; i++) v = v * 256 + b[t.data + i];
  return v;
}

/**
 * I-Am: object identifier, max APDU, segmentation, vendor id. When the NPDU names a source
 * network (a device behind a BACnet router, on MS/TP say) or a BBMD forwarded it, the device
 * is not the IP host that sent the frame: it is recorded as a remote device behind that host.
 */
function iAm(b: Buffer, p: number, end: number, via: string | undefined, ctx: DissectContext): void {
  const oid = readTag(b, p, end);
  if (!oid || oid.num !== 12 || oid.len !== 4) return ctx.error("bacnet.i-am-malformed");
  const instance = ((b[oid.data + 1] & 0x3f) << 16) | (b[oid.data + 2] << 8) | b[oid.data + 3];
  let q = oid.data + oid.len;
  for (let i = 0; i < 2; i++) {
    const t = readTag(b, q, end);
    if (!t) return ctx.error("bacnet.i-am-malformed");
    q = t.data + t.len;
  }
  const vendorTag = readTag(b, q, end);
  const vendor = vendorTag && vendorTag.num === 2 ? String(unsigned(b, vendorTag)) : undefined;
  if (via !== undefined) {
    ctx.emit("bacnet.remote_device", "src", `${via} instance ${instance}${vendor !== undefined ? ` vendor ${vendor}` : ""}`);
    return;
  }
  ctx.emit("bacnet.device_instance", "src", String(instance));
  if (vendor !== undefined) ctx.emit("bacnet.vendor_id", "src", vendor);
}

/** ReadProperty-ACK on the device object: the identity properties as character strings. */
function readPropertyAck(b: Buffer, p: number, end: number, ctx: DissectContext): void {
  const oid = readTag(b, p, end);
  if (!oid || !oid.context || oid.num !== 0 || oid.len !== 4) return;
  const objectType = (b[oid.data] << 2) | (b[oid.data + 1] >> 6);
  const prop = readTag(b, oid.data + 4, end);
  if (!prop || !prop.context || prop.num !== 1) return;
  const id = unsigned(b, prop);
  let q = prop.data + prop.len;
  let open = readTag(b, q, end);
  if (open && open.context && open.num === 2 && !open.opening) {
    q = open.data + open.len;
    open = readTag(b, q, end);
  }
  if (!open || !open.opening || open.num !== 3) return;
  const value = readTag(b, open.data, end);
  if (!value || value.context) return;
  const kind = PROPERTY_KINDS[id as keyof typeof PROPERTY_KINDS];
  if (objectType === DEVICE_OBJECT && kind && value.num === 7 && value.len > 1) {
    ctx.emit(kind, "src", utf8(b, value.data + 1, value.len - 1, 255));
  } else if (objectType === DEVICE_OBJECT && id === 120 && value.num === 2) {
    ctx.emit("bacnet.vendor_id", "src", String(unsigned(b, value)));
  }
}

/** BACnet/IP (ASHRAE 135 Annex J): BVLC, NPDU, APDU. */
function dissectBacnet(b: Buffer, off: number, len: number, ctx: DissectContext): boolean {
  const end = off + len;
  if (len < 4 || b[off] !== 0x81) return false;
  const fn = b[off + 1];
  let p = off + 4;
  let via: string | undefined;
  if (fn === 0x04) {
    // Forwarded-NPDU carries the original source address.
    if (p + 6 > end) return true;
    via = `forwarded from ${b[p]}.${b[p + 1]}.${b[p + 2]}.${b[p + 3]}:${u16be(b, p + 4)}`;
    p += 6;
  } else if (fn !== 0x0a && fn !== 0x0b) return fn <= 0x0c;
  if (p + 2 > end || b[p] !== 0x01) {
    ctx.error("bacnet.npdu-malformed");
    return true;
  }
  const control = b[p + 1];
  p += 2;
  if (control & 0x20) {
    if (p + 3 > end) return true;
    p += 3 + b[p + 2];
  }
  if (control & 0x08) {
    if (p + 3 > end) return true;
    const slen = b[p + 2];
    if (p + 3 + slen > end) return true;
    via = `network ${u16be(b, p)} address ${b.toString("hex", p + 3, p + 3 + slen)}${via ? ` ${via}` : ""}`;
    p += 3 + slen;
  }
  if (control & 0x20) p += 1; // hop count
  if (control & 0x80) return true; // network-layer message
  if (p >= end) return true;
  const type = b[p] >> 4;
  if (type === 1 && p + 2 <= end) {
    const service = b[p + 1];
    if (service === 0) iAm(b, p + 2, end, via, ctx);
    else if (service === 8) ctx.emit("bacnet.client", "src", "who-is");
  } else if (type === 0 && p + 4 <= end) {
    const segmented = (b[p] & 0x08) !== 0;
    const service = b[p + (segmented ? 5 : 3)];
    const op = OPERATIONS[service];
    if (op) ctx.operation(`bacnet.${op}`);
    else if (service === 12 || service === 14) ctx.emit("bacnet.client", "src", service === 12 ? "read-property" : "read-property-multiple");
  } else if (type === 3 && p + 3 <= end) {
    const segmented = (b[p] & 0x08) !== 0;
    const at = p + (segmented ? 4 : 2);
    if (at < end && b[at] === 12 && !segmented) readPropertyAck(b, at + 1, end, ctx);
  }
  return true;
}

export const bacnet: AppDissector = {
  name: "bacnet",
  transport: "udp",
  ports: [BACNET_PORT, 47809, 47810, 47811, 47812, 47813, 47814, 47815, 47816, 47817, 47818, 47819, 47820, 47821, 47822, 47823],
  everyPacket: true,
  dissect: dissectBacnet,
};
