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
