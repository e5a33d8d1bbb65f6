import { isIP } from "node:net";
import { addressRange, isIpv4Prefix } from "./model.js";

/**
 * Values by address prefix (IPv4 and IPv6, longest prefix wins), looked up by a source
 * address as sockets report it (an IPv4-mapped IPv6 address is its IPv4 address). Answers are
 * cached per address; the cache starts over past `cacheSize`, so a flood of spoofed sources
 * cannot grow it. Used for the NASes RADIUS answers and the exporters a flow source decodes.
 */
export class PrefixTable<T> {
  private readonly entries: { value: T; family: number; lo: bigint; hi: bigint; length: number }[];
  private readonly cache = new Map<string, T | null>();

  /** `prefixes` must already be valid addresses or CIDR prefixes (checked by the caller's configuration). */
  constructor(prefixes: readonly (readonly [string, T])[], private readonly cacheSize = 65_536) {
    this.entries = prefixes.map(([p, value]) => {
      const [lo, hi] = addressRange(p);
      const v4 = isIpv4Prefix(p);
      const slash = p.indexOf("/");
      return { value, family: v4 ? 4 : 6, lo, hi, length: slash < 0 ? (v4 ? 32 : 128) : Number(p.slice(slash + 1)) };
    }).sort((a, b) => b.length - a.length);
  }

  get size(): number {
    return this.entries.length;
  }

  lookup(address: string): T | undefined {
    const hit = this.cache.get(address);
    if (hit !== undefined) return hit ?? undefined;
    const plain = address.startsWith("::ffff:") && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
    const family = isIP(plain);
    let found: T | null = null;
    if (family !== 0) {
      const [v] = addressRange(plain);
      for (const e of this.entries) {
        if (e.family === family && e.lo <= v && v <= e.hi) {
          found = e.value;
          break;
        }
      }
    }
    if (this.cache.size >= this.cacheSize) this.cache.clear();
    this.cache.set(address, found);
    return found ?? undefined;
  }
}
