import { isIP } from "node:net";
import { addressRange } from "../policy/model.js";

/**
 * A source's `exporters:` allow-list: the addresses and prefixes whose datagrams (or IPFIX
 * TCP connections) are decoded. Anything else is dropped before it costs a decode, and
 * counted by source. Answers are cached per address, the cache bounded.
 */
export class ExporterAllowList {
  private readonly ranges: { family: number; lo: bigint; hi: bigint }[];
  private readonly cache = new Map<string, boolean>();

  /** `prefixes` already canonical (config validation); empty means every exporter. */
  constructor(readonly prefixes: readonly string[]) {
    this.ranges = prefixes.map((p) => {
      const [lo, hi] = addressRange(p);
      return { family: p.includes(":") ? 6 : 4, lo, hi };
    });
  }

  allows(address: string): boolean {
    if (this.ranges.length === 0) return true;
    const hit = this.cache.get(address);
    if (hit !== undefined) return hit;
    const plain = address.startsWith("::ffff:") && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
    const family = isIP(plain);
    let ok = false;
    if (family !== 0) {
      const [v] = addressRange(plain);
      ok = this.ranges.some((r) => r.family === family && r.lo <= v && v <= r.hi);
    }
    if (this.cache.size >= 4096) this.cache.clear();
    this.cache.set(address, ok);
    return ok;
  }
}
