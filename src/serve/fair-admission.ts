/**
 * Admission to the bounded queue of datagrams between the socket thread and the ingest
 * worker, fair between exporters. Below half of `max` every datagram is taken. Past half, an
 * exporter holding its share of the other half (that half divided among the exporters with
 * datagrams queued, itself included) is refused, so a flooding exporter fills at most about
 * half the queue and the others' datagrams still get in; at `max` everything is refused.
 * The caller counts what is refused (over UDP it is lost; over TCP it waits).
 */
export class FairAdmission {
  private total = 0;
  private readonly queued = new Map<string, number>();
  /** Per batch handed to the worker, oldest first: datagrams per exporter. */
  private readonly batches: Map<string, number>[] = [];

  constructor(private readonly max: number) {}

  /** Datagrams taken and not yet handled by the worker. */
  get size(): number {
    return this.total;
  }

  /** Whether a datagram from `exporter` may join the queue; when it may, it is counted in. */
  admit(exporter: string): boolean {
    const mine = this.queued.get(exporter) ?? 0;
    const half = this.max / 2;
    if (this.total >= this.max || (this.total >= half && mine >= half / (this.queued.size + (mine === 0 ? 1 : 0)))) return false;
    this.total++;
    this.queued.set(exporter, mine + 1);
    return true;
  }

  /** A batch went to the worker: the exporters of its datagrams, in order. */
  posted(exporters: readonly string[]): void {
    const counts = new Map<string, number>();
    for (const e of exporters) counts.set(e, (counts.get(e) ?? 0) + 1);
    this.batches.push(counts);
  }

  /** The worker handled the oldest batch it was given: its datagrams leave the queue. */
  handled(): void {
    const counts = this.batches.shift();
    if (!counts) return;
    for (const [e, n] of counts) {
      this.total -= n;
      const left = (this.queued.get(e) ?? 0) - n;
      if (left > 0) this.queued.set(e, left);
      else this.queued.delete(e);
    }
  }
}
