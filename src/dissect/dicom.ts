import { u16be, u32be } from "../net/bytes.js";
import type { AppDissector, DissectContext } from "./context.js";

/**
 * DICOM's upper layer (PS3.8 9.3): imaging modalities, archives (PACS) and workstations open an
 * association with an A-ASSOCIATE-RQ (PDU type 1: version, called and calling AE titles, then
 * items: presentation contexts, each proposing an abstract syntax, and user information with
 * the implementation class UID and version name), answered by an A-ASSOCIATE-AC (type 2) with
 * the acceptor's own implementation UID and version. A requester that proposes to store images
 * of one or two modalities (CT, MR, US ...; PS3.4 Annex B) is that modality sending its images;
 * an archive forwarding proposes many.
 */
const RQ = 0x01;
const AC = 0x02;
const HEADER = 74;
const MAX_PDU = 64 * 1024;

/** Image storage SOP classes (PS3.4 B.5) and the modality each belongs to. */
const STORAGE: ReadonlyMap<string, string> = new Map([
  ["1.2.840.10008.5.1.4.1.1.1", "CR"], ["1.2.840.10008.5.1.4.1.1.1.1", "DX"], ["1.2.840.10008.5.1.4.1.1.1.1.1", "DX"],
  ["1.2.840.10008.5.1.4.1.1.1.2", "MG"], ["1.2.840.10008.5.1.4.1.1.1.2.1", "MG"], ["1.2.840.10008.5.1.4.1.1.1.3", "IO"], ["1.2.840.10008.5.1.4.1.1.1.3.1", "IO"],
  ["1.2.840.10008.5.1.4.1.1.2", "CT"], ["1.2.840.10008.5.1.4.1.1.2.1", "CT"], ["1.2.840.10008.5.1.4.1.1.3.1", "US"],
  ["1.2.840.10008.5.1.4.1.1.4", "MR"], ["1.2.840.10008.5.1.4.1.1.4.1", "MR"], ["1.2.840.10008.5.1.4.1.1.6.1", "US"], ["1.2.840.10008.5.1.4.1.1.6.2", "US"],
  ["1.2.840.10008.5.1.4.1.1.12.1", "XA"], ["1.2.840.10008.5.1.4.1.1.12.2", "RF"], ["1.2.840.10008.5.1.4.1.1.13.1.3", "MG"],
  ["1.2.840.10008.5.1.4.1.1.20", "NM"], ["1.2.840.10008.5.1.4.1.1.128", "PT"],
]);

const PRINTABLE = /^[\x20-\x7e]+$/;

/** A UID or name of an item, NUL and space padding removed; undefined unless printable. */
function field(b: Buffer, at: number, len: number): string | undefined {
  const s = b.toString("latin1", at, at + len).replace(/[\0 ]+$/, "").trim();
  return s !== "" && s.length <= 64 && PRINTABLE.test(s) ? s : undefined;
}

function isAssociation(b: Buffer, off: number, len: number): boolean {
  if (len < HEADER || (b[off] !== RQ && b[off] !== AC) || b[off + 1] !== 0 || u16be(b, off + 6) !== 1) return false;
  const pdu = u32be(b, off + 2);
  if (pdu < HEADER - 6 || pdu > MAX_PDU) return false;
  // Both AE titles are 16 printable characters (space padded).
  for (let i = off + 10; i < off + 42; i++) if (b[i] < 0x20 || b[i] > 0x7e) return false;
  return true;
}

function association(b: Buffer, off: number, len: number, ctx: DissectContext): void {
  const type = b[off];
  const end = off + Math.min(len, 6 + u32be(b, off + 2));
  // The requester is the calling AE; an acceptor echoes the called AE, which is its own.
  const ae = field(b, off + (type === RQ ? 26 : 10), 16);
  if (ae) ctx.emit("dicom.ae_title", "src", ae);
  const modalities = new Set<string>();
  let p = off + HEADER;
  while (p + 4 <= end) {
    const item = b[p];
    const itemLen = u16be(b, p + 2);
    const body = p + 4;
    if (body + itemLen > end) break;
    if (item === 0x20 && type === RQ) {
      // A proposed presentation context: id, three reserved bytes, then its sub-items.
      for (let q = body + 4; q + 4 <= body + itemLen;) {
        const subLen = u16be(b, q + 2);
        if (q + 4 + subLen > body + itemLen) break;
        if (b[q] === 0x30) {
          const modality = STORAGE.get(field(b, q + 4, subLen) ?? "");
          if (modality) modalities.add(modality);
        }
        q += 4 + subLen;
      }
    } else if (item === 0x50) {
      for (let q = body; q + 4 <= body + itemLen;) {
        const subLen = u16be(b, q + 2);
        if (q + 4 + subLen > body + itemLen) break;
        if (b[q] === 0x52) {
          const uid = field(b, q + 4, subLen);
          if (uid && /^[0-9.]+$/.test(uid)) ctx.emit("dicom.implementation_uid", "src", uid);
        } else if (b[q] === 0x55) {
          const version = field(b, q + 4, subLen);
          if (version) ctx.emit("dicom.implementation_version", "src", version);
        }
        q += 4 + subLen;
      }
    }
    p = body + itemLen;
  }
  // Only a whole request says which modalities it proposes: an archive's list of a hundred
  // contexts spans segments, and its first segment alone could look like one modality's.
  const whole = 6 + u32be(b, off + 2) <= len;
  if (whole && modalities.size > 0) ctx.emit("dicom.stores", "src", [...modalities].sort().join(","));
}

export const dicom: AppDissector = {
  name: "dicom",
  transport: "tcp",
  ports: [104, 11112],
  test: isAssociation,
  dissect(b, off, len, ctx) {
    if (len < 6) return false;
    if (!isAssociation(b, off, len)) return b[off] >= 0x03 && b[off] <= 0x07 && b[off + 1] === 0 && u32be(b, off + 2) <= MAX_PDU;
    association(b, off, len, ctx);
    return true;
  },
};
