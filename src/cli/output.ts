import { InputError } from "../app/errors.js";
import { csvCell } from "../model/values.js";

/** Bad command-line input: the application layer's InputError, so a use case's refusal exits 2 too. */
export const UsageError = InputError;

export type UsageError = InputError;

/** Output formats shared by the commands. */
export type Format = "table" | "json" | "csv";

export function parseFormat(s: string | undefined, allowed: readonly Format[] = ["table", "json", "csv"]): Format {
  const f = (s ?? "table") as Format;
  if (!allowed.includes(f)) throw new UsageError(`--format must be one of ${allowed.join(", ")}`);
  return f;
}

/** Writes pieces of text to standard output in chunks of about 64 KB, and a final newline. */
export function writeAll(pieces: Iterable<string>): void {
  let chunk = "";
  for (const p of pieces) {
    chunk += p;
    if (chunk.length >= 65_536) {
      process.stdout.write(chunk);
      chunk = "";
    }
  }
  process.stdout.write(`${chunk}\n`);
}

function cell(v: unknown): string {
  if (v === undefined || v === null) return "";
  if (Array.isArray(v)) return v.join(" ");
  return String(v);
}

export interface TableOptions {
  /** Every column, each cell whole (--wide); else the table fits `width`. */
  wide?: boolean;
  /** Columns left out unless wide (headers as given). */
  wideOnly?: readonly string[];
  /** Columns that give up width first when the table is too wide (default: the last one). */
  flex?: readonly string[];
  /** Default 120. */
  width?: number;
}

const ELLIPSIS = "…";

const ISO_TIME = /^(\d{4}-\d\d-\d\d)T(\d\d:\d\d:\d\d)(\.\d+)?Z$/;

/** A time as tables show it unless wide: to the second, in UTC, without the T and Z. */
const tableTime = (s: string): string => s.replace(ISO_TIME, "$1 $2");

/**
 * The shortest prefixes, of at least `min` characters, that tell the ids apart (as git
 * shortens commits): what a table shows, and what every command takes back.
 */
export function shortIds(ids: readonly string[], min = 8): Map<string, string> {
  const sorted = [...new Set(ids)].sort();
  const out = new Map<string, string>();
  const common = (a: string, b: string): number => {
    let i = 0;
    while (i < a.length && i < b.length && a[i] === b[i]) i++;
    return i;
  };
  sorted.forEach((id, i) => {
    const need = Math.max(i > 0 ? common(id, sorted[i - 1]) : 0, i + 1 < sorted.length ? common(id, sorted[i + 1]) : 0) + 1;
    out.set(id, id.slice(0, Math.max(min, need)));
  });
  return out;
}

/**
 * Fixed-width columns for people, headers in capitals. Unless wide, times are shown to the
 * second (UTC), a cell is cut at 48 characters, the wideOnly columns are left out, and the
 * table is made to fit `width`: the
 * flex columns shrink first (down to 12 characters), then the widest others (down to their
 * header). A cut cell ends in "…".
 */
export function table(headers: string[], rows: unknown[][], o: TableOptions = {}): string {
  const keep = headers.map((h, i) => (o.wide || !o.wideOnly?.includes(h) ? i : -1)).filter((i) => i >= 0);
  const names = keep.map((i) => headers[i].toUpperCase());
  const text = rows.map((r) => keep.map((i) => (o.wide ? cell(r[i]) : tableTime(cell(r[i])))));
  const cap = o.wide ? Infinity : 48;
  const widths = names.map((h, c) => Math.min(cap, Math.max(h.length, ...text.map((r) => r[c].length))));
  if (!o.wide) {
    const limit = o.width ?? 120;
    const flex = new Set(keep.map((i, c) => (o.flex ? (o.flex.includes(headers[i]) ? c : -1) : c === keep.length - 1 ? c : -1)).filter((c) => c >= 0));
    const total = (): number => widths.reduce((a, b) => a + b, 0) + 2 * (widths.length - 1);
    const shrink = (cols: number[], floor: (c: number) => number): void => {
      while (total() > limit) {
        const c = cols.filter((x) => widths[x] > floor(x)).sort((a, b) => widths[b] - widths[a])[0];
        if (c === undefined) return;
        widths[c]--;
      }
    };
    shrink([...flex], (c) => Math.max(names[c].length, Math.min(12, widths[c])));
    shrink(widths.map((_, c) => c), (c) => Math.max(names[c].length, 4));
  }
  const line = (r: string[]): string => r.map((c, i) => (c.length > widths[i] ? `${c.slice(0, widths[i] - 1)}${ELLIPSIS}` : c.padEnd(widths[i]))).join("  ").trimEnd();
  return [line(names), ...text.map(line)].join("\n");
}

/** RFC 4180 CSV; a cell a spreadsheet would read as a formula is escaped (`csvCell`). */
export function csv(headers: string[], rows: unknown[][]): string {
  return [headers.join(","), ...rows.map((r) => r.map((v) => csvCell(cell(v))).join(","))].join("\n");
}
