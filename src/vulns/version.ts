import type { VersionConstraint, VersionRange } from "../model/advisory.js";

/**
 * Firmware versions as the field writes them (`V2.9.4`, `8.00.01`, `4.1.2b`, `R21`,
 * `V3.2 SP1`, `MX-V5.0.2.14`, `1.14 Build 20230219`), compared segment by segment: runs of
 * digits as numbers (any length, leading zeros ignored), runs of letters as words. A leading
 * word that only says "version" (V, Ver., FW_, R, Release...) is dropped; two different
 * leading words (`TitanNit_2.01` against `Mx_2.01`) make the versions incomparable.
 */

interface Segment {
  num: boolean;
  /** Digits without leading zeros, or the word in lower case. */
  text: string;
}

export interface ParsedVersion {
  text: string;
  prefix: string;
  segments: Segment[];
}

/** Words that only say "a version follows". */
const VERSION_WORDS = new Set(["v", "ver", "vers", "version", "rev", "revision", "release", "r", "fw", "firmware", "sw", "software", "build", "b"]);
/** Words after which a version comes before the one without them (2.4.0-beta < 2.4.0). */
const PRE_RELEASE = new Map([["dev", 0], ["snapshot", 0], ["alpha", 1], ["beta", 2], ["preview", 3], ["pre", 3], ["rc", 4]]);
/** Longer than any firmware version Cordon compares; longer text is not a version. */
const MAX_LENGTH = 128;

/** Advisory versions recur across devices: each is parsed once (the cache is emptied when full). */
const boundCache = new Map<string, ParsedVersion | undefined>();
const MAX_CACHED = 65_536;

function parseBound(text: string): ParsedVersion | undefined {
  if (boundCache.has(text)) return boundCache.get(text);
  if (boundCache.size >= MAX_CACHED) boundCache.clear();
  const p = parseVersion(text);
  boundCache.set(text, p);
  return p;
}

export function parseVersion(text: string): ParsedVersion | undefined {
  const lower = text.trim().toLowerCase().replace(/service\s*pack/g, "sp");
  if (lower.length === 0 || lower.length > MAX_LENGTH) return undefined;
  const parts = lower.match(/\d+|[a-z]+/g);
  if (!parts) return undefined;
  const segments: Segment[] = [];
  const prefixWords: string[] = [];
  for (const p of parts) {
    const num = p.charCodeAt(0) <= 57;
    if (!num && segments.length === 0) {
      if (!VERSION_WORDS.has(p)) prefixWords.push(p);
      continue;
    }
    segments.push({ num, text: num ? p.replace(/^0+(?=\d)/, "") : p });
  }
  if (segments.length === 0 || !segments[0]!.num) return undefined;
  return { text: text.trim(), prefix: prefixWords.join(" "), segments };
}

function compareNumbers(a: string, b: string): number {
  if (a.length !== b.length) return a.length < b.length ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** How the longer version's remaining segments order it against the shorter: -1 before, 0 equal, 1 after. */
function tail(rest: Segment[]): number {
  for (const s of rest) {
    if (s.num) {
      if (s.text !== "0") return 1;
      continue;
    }
    return PRE_RELEASE.has(s.text) ? -1 : 1;
  }
  return 0;
}

/** -1, 0 or 1; undefined when the two are not versions of one scheme. */
export function compareVersions(a: ParsedVersion, b: ParsedVersion): -1 | 0 | 1 | undefined {
  if (a.prefix && b.prefix && a.prefix !== b.prefix) return undefined;
  const n = Math.min(a.segments.length, b.segments.length);
  for (let i = 0; i < n; i++) {
    const x = a.segments[i]!;
    const y = b.segments[i]!;
    if (x.num && y.num) {
      const c = compareNumbers(x.text, y.text);
      if (c !== 0) return c < 0 ? -1 : 1;
    } else if (!x.num && !y.num) {
      if (x.text === y.text) continue;
      const px = PRE_RELEASE.get(x.text);
      const py = PRE_RELEASE.get(y.text);
      if (px !== undefined && py !== undefined) return px < py ? -1 : 1;
      if (px !== undefined) return -1;
      if (py !== undefined) return 1;
      return x.text < y.text ? -1 : 1;
    } else {
      // A number against a word: 2.4.0 after 2.4-beta, but 3.2 SP1 against 3.2.1 is anyone's guess.
      const word = x.num ? y : x;
      if (!PRE_RELEASE.has(word.text)) return undefined;
      return x.num ? 1 : -1;
    }
  }
  if (a.segments.length === b.segments.length) return 0;
  const t = a.segments.length > b.segments.length ? tail(a.segments.slice(n)) : -tail(b.segments.slice(n));
  return t < 0 ? -1 : t > 0 ? 1 : 0;
}

/**
 * Equality with a version an advisory lists: the same version (`2.4.0` = `V2.4`), or one it
 * covers as a release line (`V28` covers 28.011; `V7.6x` and `2.1.*` cover 7.6.3 and 2.1.9),
 * which is `loose`.
 */
function equalsPattern(v: ParsedVersion, pattern: string): { equal: boolean; loose: boolean } | undefined {
  const wild = /^(.*\d)[.\-_ ]?[x*]$/i.exec(pattern.trim());
  const p = parseBound(wild ? wild[1]! : pattern);
  if (!p) return undefined;
  const c = compareVersions(v, p);
  if (c === undefined) return undefined;
  if (c === 0) return { equal: true, loose: false };
  if (v.segments.length <= p.segments.length) return { equal: false, loose: false };
  const covers = p.segments.every((s, i) => {
    const x = v.segments[i]!;
    return x.num === s.num && (x.num ? compareNumbers(x.text, s.text) === 0 : x.text === s.text);
  });
  return { equal: covers, loose: covers };
}

/** Whether a version is in a range, and why, in words a person can check. */
export interface RangeVerdict {
  /** true: in the range; false: outside it; undefined: cannot tell. */
  inRange: boolean | undefined;
  why: string;
  /** In the range only as part of a release line the advisory lists (`V28` for 28.011). */
  loose?: boolean;
}

function holds(v: ParsedVersion, c: VersionConstraint): boolean | undefined {
  if (c.op === "=" || c.op === "!=") {
    const eq = equalsPattern(v, c.version);
    return eq === undefined ? undefined : c.op === "=" ? eq.equal : !eq.equal;
  }
  const bound = parseBound(c.version);
  if (!bound) return undefined;
  const cmp = compareVersions(v, bound);
  if (cmp === undefined) return undefined;
  switch (c.op) {
    case "<": return cmp < 0;
    case "<=": return cmp <= 0;
    case ">": return cmp > 0;
    case ">=": return cmp >= 0;
  }
}

const show = (c: VersionConstraint): string => `${c.op}${c.version}`;

/**
 * Reads constraints as vers does: `=` and `!=` are points; each lower bound pairs with the upper
 * bound after it; an upper bound with no lower bound before it reaches down to every version,
 * a lower bound with none after it up to every version.
 */
function inConstraints(v: ParsedVersion, constraints: readonly VersionConstraint[]): RangeVerdict {
  let unknown: string | undefined;
  for (const c of constraints) {
    if (c.op !== "!=") continue;
    const h = holds(v, c);
    if (h === false) return { inRange: false, why: `${v.text} is excluded (${show(c)})` };
  }
  for (const c of constraints) {
    if (c.op !== "=") continue;
    const eq = equalsPattern(v, c.version);
    if (eq?.equal) return eq.loose ? { inRange: true, why: `${v.text} is in the release line ${c.version}`, loose: true } : { inRange: true, why: `${v.text} = ${c.version}` };
    const h = eq === undefined ? undefined : false;
    if (h === undefined) unknown ??= `${v.text} cannot be compared with ${c.version}`;
  }
  const bounds = constraints.filter((c) => c.op !== "=" && c.op !== "!=");
  let lower: VersionConstraint | undefined;
  const intervals: [VersionConstraint | undefined, VersionConstraint | undefined][] = [];
  for (const c of bounds) {
    if (c.op === ">" || c.op === ">=") {
      if (lower) intervals.push([lower, undefined]);
      lower = c;
    } else {
      intervals.push([lower, c]);
      lower = undefined;
    }
  }
  if (lower) intervals.push([lower, undefined]);
  for (const [lo, hi] of intervals) {
    const a = lo ? holds(v, lo) : true;
    const b = hi ? holds(v, hi) : true;
    const words = [lo, hi].filter((c): c is VersionConstraint => c !== undefined).map(show).join(" and ");
    if (a === true && b === true) return { inRange: true, why: `${v.text} ${words}` };
    if (a === undefined || b === undefined) unknown ??= `${v.text} cannot be compared with ${words}`;
  }
  if (unknown) return { inRange: undefined, why: unknown };
  const all = constraints.map(show).join("|");
  return { inRange: false, why: `${v.text} is outside ${all}` };
}

function inBranches(v: ParsedVersion, fixed: readonly string[]): RangeVerdict {
  const fixes = fixed.map(parseBound).filter((p): p is ParsedVersion => p !== undefined);
  const line = v.segments[0]!.text;
  const own = fixes.find((f) => f.segments[0]!.text === line);
  const list = fixed.join(", ");
  if (own) {
    const cmp = compareVersions(v, own);
    if (cmp === undefined) return { inRange: undefined, why: `${v.text} cannot be compared with ${own.text}` };
    return cmp < 0 ? { inRange: true, why: `${v.text} < ${own.text}, the fix of its release line` } : { inRange: false, why: `${v.text} >= ${own.text}, the fix of its release line` };
  }
  const lines = fixes.map((f) => f.segments[0]!.text);
  if (lines.every((l) => compareNumbers(line, l) > 0)) return { inRange: false, why: `${v.text} is on a release line newer than every fix (${list})` };
  if (lines.every((l) => compareNumbers(line, l) < 0)) return { inRange: true, why: `${v.text} is on a release line older than every fix (${list})` };
  return { inRange: undefined, why: `${v.text}: the advisory names no fix for its release line (${list})` };
}

/**
 * Whether a firmware version lies in `range`: the version as text, parsed (a caller matching one
 * device against many ranges parses it once), or undefined when unknown.
 */
export function versionInRange(version: string | ParsedVersion | undefined, range: VersionRange): RangeVerdict {
  if (range.kind === "all") return { inRange: true, why: "all versions are affected" };
  if (range.kind === "unparsed") return { inRange: undefined, why: `the advisory's versions are not comparable: "${range.text}"` };
  if (version === undefined) return { inRange: undefined, why: "the device's firmware version is unknown" };
  const v = typeof version === "string" ? parseVersion(version) : version;
  if (!v) return { inRange: undefined, why: `"${version as string}" is not a version Cordon can compare` };
  return range.kind === "branches" ? inBranches(v, range.fixed) : inConstraints(v, range.constraints);
}

/** The range as the advisory wrote it, for reasons and reports. */
export function showRange(range: VersionRange): string {
  switch (range.kind) {
    case "all": return "all versions";
    case "unparsed": return range.text;
    case "branches": return `<${range.fixed.join(", <")}`;
    case "constraints": return range.constraints.map(show).join("|");
  }
}
