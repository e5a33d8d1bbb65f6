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

/** Fixed-width columns for people. */
export function table(headers: string[], rows: unknown[][]): string {
  const text = rows.map((r) => r.map(cell));
  const widths = headers.map((h, i) => Math.min(48, Math.max(h.length, ...text.map((r) => r[i].length))));
  const line = (r: string[]): string => r.map((c, i) => (c.length > widths[i] ? `${c.slice(0, widths[i] - 1)}…` : c.padEnd(widths[i]))).join("  ").trimEnd();
  return [line(headers), ...text.map(line)].join("\n");
}

/** RFC 4180 CSV; a cell a spreadsheet would read as a formula is escaped (`csvCell`). */
export function csv(headers: string[], rows: unknown[][]): string {
  return [headers.join(","), ...rows.map((r) => r.map((v) => csvCell(cell(v))).join(","))].join("\n");
}
