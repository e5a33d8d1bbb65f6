import { type Template, type TemplateField, makeTemplate } from "./templates.js";

/** What the sets of a v9 packet or an IPFIX message contain, in order. */
export interface SetVisitor {
  template(t: Template): void;
  /** IPFIX template withdrawal: a template id, or "all" of a kind (set id 2 or 3). */
  withdraw(id: number | "all-data" | "all-options"): void;
  data(templateId: number, start: number, end: number): void;
  error(kind: string): void;
}

/** Walks the sets from `off` to `end`: id and length each, 4 bytes. Stops at the first broken one. */
function walkSets(b: Buffer, off: number, end: number, v: SetVisitor, each: (id: number, start: number, end: number) => void): void {
  let p = off;
  while (p < end) {
    if (end - p < 4) {
      v.error("set.truncated");
      return;
    }
    const id = b.readUInt16BE(p);
    const len = b.readUInt16BE(p + 2);
    if (len < 4) {
      v.error("set.bad-length");
      return;
    }
    if (p + len > end) {
      v.error("set.truncated");
      return;
    }
    each(id, p + 4, p + len);
    p += len;
  }
}

function fields(b: Buffer, p: number, end: number, count: number, ipfix: boolean): { fields: TemplateField[]; next: number } | undefined {
  const out: TemplateField[] = [];
  for (let i = 0; i < count; i++) {
    if (p + 4 > end) return undefined;
    let id = b.readUInt16BE(p);
    const length = b.readUInt16BE(p + 2);
    p += 4;
    let enterprise = 0;
    if (ipfix && id & 0x8000) {
      if (p + 4 > end) return undefined;
      id &= 0x7fff;
      enterprise = b.readUInt32BE(p);
      p += 4;
    }
    if (!ipfix && length === 65535) return undefined;
    out.push({ id, length, enterprise });
  }
  return { fields: out, next: p };
}

/** NetFlow v9 (RFC 3954) flowsets: 0 templates, 1 options templates, 256 and up data. */
export function v9Sets(b: Buffer, off: number, end: number, nowMs: number, v: SetVisitor): void {
  walkSets(b, off, end, v, (id, start, setEnd) => {
    if (id === 0) {
      let p = start;
      while (setEnd - p >= 4) {
        const tid = b.readUInt16BE(p);
        const count = b.readUInt16BE(p + 2);
        const f = count > 0 ? fields(b, p + 4, setEnd, count, false) : undefined;
        if (!f) {
          v.error(count === 0 ? "template.bad-field-count" : "template.truncated");
          return;
        }
        const t = makeTemplate(tid, f.fields, 0, false, nowMs);
        if (typeof t === "string") v.error(t);
        else v.template(t);
        p = f.next;
      }
    } else if (id === 1) {
      let p = start;
      while (setEnd - p >= 6) {
        const tid = b.readUInt16BE(p);
        const scopeLen = b.readUInt16BE(p + 2);
        const optionLen = b.readUInt16BE(p + 4);
        if (scopeLen % 4 !== 0 || optionLen % 4 !== 0) {
          v.error("template.bad-length");
          return;
        }
        const scope = scopeLen / 4;
        const f = fields(b, p + 6, setEnd, scope + optionLen / 4, false);
        if (!f) {
          v.error("template.truncated");
          return;
        }
        const t = makeTemplate(tid, f.fields, scope, true, nowMs);
        if (typeof t === "string") v.error(t);
        else v.template(t);
        p = f.next;
        // Options templates are padded to a 4-byte boundary.
        if (setEnd - p < 6) break;
      }
    } else if (id >= 256) {
      v.data(id, start, setEnd);
    } else {
      v.error("set.reserved-id");
    }
  });
}

/** IPFIX (RFC 7011) sets: 2 templates, 3 options templates, 256 and up data; field count 0 withdraws. */
export function ipfixSets(b: Buffer, off: number, end: number, nowMs: number, v: SetVisitor): void {
  walkSets(b, off, end, v, (id, start, setEnd) => {
    if (id === 2 || id === 3) {
      const options = id === 3;
      let p = start;
      while (setEnd - p >= 4) {
        const tid = b.readUInt16BE(p);
        const count = b.readUInt16BE(p + 2);
        if (count === 0) {
          v.withdraw(tid === id ? (options ? "all-options" : "all-data") : tid);
          p += 4;
          continue;
        }
        let scope = 0;
        let q = p + 4;
        if (options) {
          if (setEnd - q < 2) {
            v.error("template.truncated");
            return;
          }
          scope = b.readUInt16BE(q);
          q += 2;
          if (scope === 0 || scope > count) {
            v.error("template.bad-scope");
            return;
          }
        }
        const f = fields(b, q, setEnd, count, true);
        if (!f) {
          v.error("template.truncated");
          return;
        }
        const t = makeTemplate(tid, f.fields, scope, options, nowMs);
        if (typeof t === "string") v.error(t);
        else v.template(t);
        p = f.next;
      }
    } else if (id >= 256) {
      v.data(id, start, setEnd);
    } else {
      v.error("set.reserved-id");
    }
  });
}
