/** Counts errors by kind; each kind is logged once when first seen. */
export class ErrorCounts {
  readonly counts = new Map<string, number>();
  private readonly firstDetail = new Map<string, string>();

  add(kind: string, detail?: string, n = 1): void {
    const prev = this.counts.get(kind);
    if (prev === undefined) {
      this.counts.set(kind, n);
      if (detail !== undefined) this.firstDetail.set(kind, detail);
    } else {
      this.counts.set(kind, prev + n);
    }
  }

  total(): number {
    let t = 0;
    for (const v of this.counts.values()) t += v;
    return t;
  }

  detail(kind: string): string | undefined {
    return this.firstDetail.get(kind);
  }

  toJSON(): Record<string, number> {
    return Object.fromEntries([...this.counts.entries()].sort((a, b) => a[0].localeCompare(b[0])));
  }

  mergeFrom(other: ErrorCounts): void {
    for (const [k, v] of other.counts) this.add(k, other.detail(k), v);
  }
}

/**
 * A capture format parser: consumes whole records from `buf[start, end)` and returns how
 * many bytes it consumed. It stops before a record that is not complete yet; the reader
 * calls it again with more bytes. `fatal` is set when the rest of the input cannot be read.
 */
export interface CaptureFormatParser {
  parse(buf: Buffer, start: number, end: number): number;
  fatal: string | undefined;
  /** Largest record the parser will wait for; bigger ones are errors. */
  readonly maxRecord: number;
  /** Called when the input ends with `remaining` unconsumed bytes. */
  finish(remaining: number): void;
}
