/** Output formats shared by the commands. */
export type Format = "table" | "json" | "csv";

export function parseFormat(s: string | undefined, allowed: readonly Format[] = ["table", "json", "csv"]): Format {
  const f = (s ?? "table") as Format;
  if (!allowed.includes(f)) throw new UsageError(`--format must be one of ${allowed.join(", ")}`);
  return f;
}

export class UsageError extends Error {}

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

/** RFC 4180 CSV. */
export function csv(headers: string[], rows: unknown[][]): string {
  const q = (v: unknown): string => {
    const s = cell(v);
    return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return [headers.join(","), ...rows.map((r) => r.map(q).join(","))].join("\n");
}
