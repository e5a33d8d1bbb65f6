import { u16be } from "../net/bytes.js";
import type { AppDissector } from "./context.js";

/**
 * NetBIOS over TCP/IP (RFC 1001/1002): the name service (UDP 137), the datagram service (UDP
 * 138, which carries SMB browser announcements) and the session service (TCP 139). A device
 * that registers or refreshes a name names itself: Windows hosts, printers, NAS boxes and
 * many embedded SMB stacks do.
 */

/** First-level decoding of an encoded 32-byte NetBIOS name: the 15 characters, suffix dropped, trimmed. */
function decodeName(b: Buffer, p: number): string | undefined {
  let out = "";
  for (let i = 0; i < 30; i += 2) {
    const hi = b[p + i] - 0x41;
    const lo = b[p + i + 1] - 0x41;
    if (hi < 0 || hi > 15 || lo < 0 || lo > 15) return undefined;
    const c = (hi << 4) | lo;
    if (c < 0x20 || c > 0x7e) {
      if (c === 0) break;
      return undefined;
    }
    out += String.fromCharCode(c);
  }
  return out.trim() || undefined;
}

const OPCODE_REGISTRATION = 5;
const OPCODE_REFRESH = 8;
const OPCODE_REFRESH_ALT = 9;

export const netbiosNs: AppDissector = {
  name: "netbios",
  transport: "udp",
  ports: [137],
  dissect(b, off, len, ctx) {
    if (len < 12) return false;
    const flags = u16be(b, off + 2);
    const opcode = (flags >> 11) & 0x0f;
    const questions = u16be(b, off + 4);
    const answers = u16be(b, off + 6);
    const authority = u16be(b, off + 8);
    const additional = u16be(b, off + 10);
    if (![0, 5, 6, 7, 8, 9].includes(opcode) || questions > 1 || answers > 1 || authority > 1 || additional > 1) return false;
    if (questions + answers === 0) return false;
    if (len < 12 + 34) return false;
    // The first record's name: a 32-byte encoded label, then the root label.
    if (b[off + 12] !== 0x20) return false;
    const name = decodeName(b, off + 13);
    if (name === undefined) return false;
    const response = (flags & 0x8000) !== 0;
    if (!response && (opcode === OPCODE_REGISTRATION || opcode === OPCODE_REFRESH || opcode === OPCODE_REFRESH_ALT) && name !== "*") {
      ctx.emit("netbios.name", "src", name.toLowerCase());
    }
    return true;
  },
};

export const netbiosDgm: AppDissector = {
  name: "netbios",
  transport: "udp",
  ports: [138],
  dissect(b, off, len, ctx) {
    if (len < 10) return false;
    const type = b[off];
    if (type < 0x10 || type > 0x16) return false;
    // Direct unique, direct group and broadcast datagrams: length, offset, source and destination names.
    if (type <= 0x12) {
      if (len < 14 + 34 + 34 || u16be(b, off + 10) + 14 > len || b[off + 14] !== 0x20) return false;
      const source = decodeName(b, off + 15);
      if (source === undefined) return false;
      ctx.emit("netbios.name", "src", source.toLowerCase());
    }
    return true;
  },
};

export const netbiosSsn: AppDissector = {
  name: "netbios",
  transport: "tcp",
  ports: [139],
  dissect(b, off, len) {
    if (len < 4) return false;
    const type = b[off];
    if (type !== 0x00 && (type < 0x81 || type > 0x85)) return false;
    if ((b[off + 1] & 0xfe) !== 0) return false;
    const length = ((b[off + 1] & 1) << 16) | u16be(b, off + 2);
    if (type !== 0x00) return length + 4 === len;
    // A session message carries SMB (0xFF, 0xFE or 0xFD and "SMB"); segments may split or join messages.
    return len >= 8 && (b[off + 4] === 0xff || b[off + 4] === 0xfe || b[off + 4] === 0xfd) && b.toString("latin1", off + 5, off + 8) === "SMB";
  },
};
