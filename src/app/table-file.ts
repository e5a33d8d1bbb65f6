import { readTextBounded } from "../sources/bounded-file.js";
import { parse as parseCsv } from "csv-parse/sync";
import { printable } from "../model/values.js";
import { InputError } from "./errors.js";

/**
 * Lists of things people hand Cordon as files (devices to match, a CMDB export): a JSON array
 * of objects, or a CSV whose first line names the columns. Read whole within a size bound;
 * each row comes back with where it was (`FILE: line 3`, `FILE: item 2`) for its errors.
 */

export const MAX_TABLE_FILE = 64 * 1024 * 1024;
const MAX_FIELD = 256;

export interface TableRow {
  where: string;
  fields: Record<string, unknown>;
}

function readBounded(path: string): string {
  try {
    return readTextBounded(path, MAX_TABLE_FILE);
  } catch (e) {
    throw new InputError(`${path}: ${(e as Error).message}`);
  }
}

/** The rows of a JSON array or a CSV with a header; `required` columns must be in the CSV header. */
export function readTableFile(path: string, required: readonly string[]): TableRow[] {
  const text = readBounded(path).replace(/^\uFEFF/, "");
  if (/^\s*\[/.test(text)) {
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch (e) {
      throw new InputError(`${path}: not JSON: ${(e as Error).message.slice(0, 200)}`);
    }
    if (!Array.isArray(doc)) throw new InputError(`${path}: a JSON list is an array`);
    return doc.map((d, i) => {
      if (typeof d !== "object" || d === null || Array.isArray(d)) throw new InputError(`${path}: item ${i + 1} is not an object`);
      return { where: `${path}: item ${i + 1}`, fields: d as Record<string, unknown> };
    });
  }
  let rows: string[][];
  try {
    rows = parseCsv(text, { skip_empty_lines: true, relax_column_count: false, trim: true }) as string[][];
  } catch (e) {
    throw new InputError(`${path}: not CSV: ${(e as Error).message.slice(0, 200)}`);
  }
  const header = (rows[0] ?? []).map((h) => h.toLowerCase());
  const missing = required.filter((c) => !header.includes(c));
  if (missing.length) throw new InputError(`${path}: the CSV header needs the columns ${required.join(",")} (missing ${missing.join(", ")})`);
  return rows.slice(1).map((r, i) => ({ where: `${path}: line ${i + 2}`, fields: Object.fromEntries(header.map((h, j) => [h, r[j]])) }));
}

/** A text field of a row: trimmed, control and bidi characters made spaces, at most 256 characters; undefined when empty. */
export function textField(v: unknown, what: string, where: string): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "string" && typeof v !== "number") throw new InputError(`${where}: ${what} must be text`);
  const t = printable(String(v)).trim();
  if (t.length > MAX_FIELD) throw new InputError(`${where}: ${what} is longer than ${MAX_FIELD} characters`);
  return t.length ? t : undefined;
}
