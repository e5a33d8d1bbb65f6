/**
 * The one key style of every JSON report Cordon prints or serves (CLI `--format json`, the
 * HTTP API): snake_case. Keys written as identifiers in camelCase (`lastAt`, `nasPortId`) are
 * turned into snake_case (`last_at`, `nas_port_id`); keys that are data (MACs, categories,
 * group names, counter names, URLs: anything with a character other than a letter or digit,
 * or not starting with a lower-case letter) are left as they are. Documents Cordon reads back
 * (policy files, MUD profiles, behaviour models) keep their own formats and are not reports.
 */
export function snakeKeys(v: unknown, keysAreData = false): unknown {
  if (Array.isArray(v)) return v.map((x) => snakeKeys(x));
  if (typeof v !== "object" || v === null || v instanceof Date) return v;
  if (typeof (v as { toJSON?: unknown }).toJSON === "function") return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) {
    const key = !keysAreData && /^[a-z][a-zA-Z0-9]*$/.test(k) ? k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`) : k;
    out[key] = snakeKeys(x, !keysAreData && DATA_MAPS.has(k));
  }
  return out;
}

/**
 * Fields whose value is a map keyed by data (names people chose: policy groups, NASes, sites;
 * categories, counters): its keys are kept as they are, whatever they look like.
 */
const DATA_MAPS = new Set(["groups", "nas", "sites", "confusion", "errors", "drops", "groupVlans", "profiles", "devices"]);

/** A report as indented JSON, in snake_case. */
export const reportJson = (v: unknown): string => JSON.stringify(snakeKeys(v), null, 2);
