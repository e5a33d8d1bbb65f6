/**
 * Zeek's two log formats, line by line: the ASCII (TSV) writer with its `#fields`/`#types`
 * header (values escaped as \xHH, sets joined by the set separator, "-" unset, "(empty)" for an
 * empty set) and the JSON writer (one object per line). A record is field name → string or
 * list of strings; an unset field is absent.
 */
export type ZeekRecord = Map<string, string | string[]>;

export type ParsedLine = { record: ZeekRecord } | { header: true } | { error: string };

function unescape(v: string): string {
  return v.includes("\\x") ? v.replace(/\\x([0-9a-fA-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16))) : v;
}

export class ZeekLineParser {
  private separator = "\t";
  private setSeparator = ",";
  private emptyField = "(empty)";
  private unsetField = "-";
  private fields: string[] | undefined;
  private types: string[] | undefined;
  /** The log's path from its header (`#path conn`), when it has one. */
  path: string | undefined;

  parse(line: string): ParsedLine {
    if (line.length === 0) return { header: true };
    if (line[0] === "{") return this.json(line);
    if (line[0] === "#") return this.header(line);
    if (!this.fields) return { error: "zeek.no-header" };
    const parts = line.split(this.separator);
    if (parts.length !== this.fields.length) return { error: "zeek.field-count" };
    const r: ZeekRecord = new Map();
    for (let i = 0; i < parts.length; i++) {
      const raw = parts[i];
      if (raw === this.unsetField) continue;
      const isSet = this.types?.[i]?.startsWith("set[") || this.types?.[i]?.startsWith("vector[");
      if (isSet) r.set(this.fields[i], raw === this.emptyField ? [] : raw.split(this.setSeparator).map(unescape));
      else r.set(this.fields[i], unescape(raw));
    }
    return { record: r };
  }

  private header(line: string): ParsedLine {
    const sep = line.startsWith("#separator") ? " " : this.separator;
    const i = line.indexOf(sep);
    const key = i < 0 ? line.slice(1) : line.slice(1, i);
    const value = i < 0 ? "" : line.slice(i + 1);
    switch (key) {
      case "separator": this.separator = unescape(value.trim()); break;
      case "set_separator": this.setSeparator = unescape(value); break;
      case "empty_field": this.emptyField = value; break;
      case "unset_field": this.unsetField = value; break;
      case "path": this.path = value; break;
      case "fields": this.fields = value.split(this.separator); break;
      case "types": this.types = value.split(this.separator); break;
      default: break;
    }
    return { header: true };
  }

  private json(line: string): ParsedLine {
    let o: unknown;
    try {
      o = JSON.parse(line);
    } catch {
      return { error: "zeek.bad-json" };
    }
    if (typeof o !== "object" || o === null || Array.isArray(o)) return { error: "zeek.bad-json" };
    const r: ZeekRecord = new Map();
    for (const [k, v] of Object.entries(o as Record<string, unknown>)) {
      if (v === null || v === undefined) continue;
      if (Array.isArray(v)) r.set(k, v.map((x) => String(x)));
      else if (typeof v === "object") continue;
      else r.set(k, String(v));
    }
    return { record: r };
  }
}

/** A record's field as one string (the first of a set), or undefined. */
export function one(r: ZeekRecord, key: string): string | undefined {
  const v = r.get(key);
  if (v === undefined) return undefined;
  return Array.isArray(v) ? v[0] : v;
}

/** A record's field as a list. */
export function many(r: ZeekRecord, key: string): string[] {
  const v = r.get(key);
  if (v === undefined) return [];
  return Array.isArray(v) ? v : [v];
}

/** Zeek time (epoch seconds with a fraction, or ISO 8601 from the JSON writer) in µs; NaN when neither. */
export function zeekTimeUs(v: string | undefined): number {
  if (v === undefined) return Number.NaN;
  if (/^\d+(\.\d+)?$/.test(v)) {
    const [s, frac = ""] = v.split(".");
    return Number(s) * 1_000_000 + Number((frac + "000000").slice(0, 6));
  }
  const ms = Date.parse(v);
  return Number.isNaN(ms) ? Number.NaN : ms * 1000;
}

/** Zeek interval (seconds with a fraction) in µs; 0 when absent or malformed. */
export function zeekIntervalUs(v: string | undefined): number {
  if (v === undefined || !/^\d+(\.\d+)?$/.test(v)) return 0;
  return Math.round(Number(v) * 1_000_000);
}

/** A non-negative integer field; 0 when absent or malformed. */
export function count(r: ZeekRecord, key: string): number {
  const v = one(r, key);
  return v !== undefined && /^\d+$/.test(v) ? Number(v) : 0;
}
