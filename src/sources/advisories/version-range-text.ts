import type { VersionConstraint, VersionRange } from "../../model/advisory.js";

/**
 * Version ranges as advisories write them, read into `VersionRange`:
 * - vers (`vers:all/*`, `vers:generic/>=1.0|<2.0`, CISA's `vers:all/<V3.1.4`);
 * - CSAF range names without the `vers:` (`<V3.0.2`, `>=R1.01.00|<R2.03.00`, `12.0|13.0|14.0`);
 * - per-line fixes (`<v36.011_v35.013_v34.014`);
 * - CVE 5 prose (`All versions < V2.9.2`, `All versions prior to version 1.14 Build 20230219`).
 * Anything else is kept as `unparsed` text: a device of the product is then "possibly affected".
 */

const OPS = ["<=", ">=", "!=", "<", ">", "="] as const;
const MAX_TEXT = 512;

/**
 * Text that can stand for a version: it starts with a number, after at most two words (`V`,
 * `R`, `TitanNit_`, `Illustra.Ess`), and has at most two words among its parts (`V17 Update 7`, `V3.2 SP1`),
 * so that sentences (`The first 5 digits of serial No. 26061`) are not read as versions.
 */
export function looksLikeVersion(text: string): boolean {
  const t = text.trim();
  if (t.length === 0 || t.length > 128) return false;
  const parts = t.toLowerCase().match(/\d+|[a-z]+/g);
  if (!parts) return false;
  const first = parts.findIndex((p) => /^\d/.test(p));
  if (first < 0 || first > 2) return false;
  return parts.slice(first).filter((p) => !/^\d/.test(p)).length <= 2;
}

function constraint(text: string): VersionConstraint | undefined {
  const t = text.trim();
  const op = OPS.find((o) => t.startsWith(o));
  const version = (op ? t.slice(op.length) : t).trim();
  if (!looksLikeVersion(version)) return undefined;
  return { op: op ?? "=", version };
}

/** `<v36.011_v35.013_v34.014`: two or more dotted versions joined by `_`, each on its own line. */
function branches(text: string): VersionRange | undefined {
  const m = /^<\s*(v?\d+(?:\.\d+)+(?:_v?\d+(?:\.\d+)+)+)$/i.exec(text.trim());
  if (!m) return undefined;
  const fixed = m[1]!.split("_");
  const lines = new Set(fixed.map((f) => /\d+/.exec(f)![0]!.replace(/^0+(?=\d)/, "")));
  return lines.size === fixed.length ? { kind: "branches", fixed } : undefined;
}

function unparsed(text: string): VersionRange {
  return { kind: "unparsed", text: text.slice(0, MAX_TEXT) };
}

/** A vers string or a CSAF `product_version_range` name. */
export function parseRangeText(text: string): VersionRange {
  let t = text.trim();
  if (t.length === 0 || t.length > MAX_TEXT) return unparsed(t);
  const vers = /^vers:([a-z0-9.+-]+)\/(.*)$/i.exec(t);
  if (vers) t = vers[2]!.trim();
  if (t === "*") return { kind: "all" };
  const split = branches(t);
  if (split) return split;
  const constraints: VersionConstraint[] = [];
  for (const part of t.split("|")) {
    const c = constraint(part);
    if (!c) return unparsed(text.trim());
    constraints.push(c);
  }
  return { kind: "constraints", constraints };
}

/** A CSAF `product_version` name: one version, exact (`MX-V5.0.2.14`, `V7.6x`). */
export function exactVersion(text: string): VersionRange {
  const t = text.trim();
  return looksLikeVersion(t) ? { kind: "constraints", constraints: [{ op: "=", version: t }] } : unparsed(t);
}

const NO_VERSION = /^(n\/a|na|unspecified|unknown|-|)$/i;

/**
 * One entry of a CVE 5 `versions` list: `version` with `lessThan` or `lessThanOrEqual`, or a
 * single version, or CNA prose in `version` (`All versions < V2.9.2`).
 */
export function parseCveVersion(entry: { version: string; lessThan?: string; lessThanOrEqual?: string }): VersionRange {
  const from = entry.version.trim();
  const upper = entry.lessThan ?? entry.lessThanOrEqual;
  if (upper !== undefined) {
    const constraints: VersionConstraint[] = [];
    if (!/^(0|\*)$/.test(from) && !NO_VERSION.test(from)) {
      if (!looksLikeVersion(from)) return unparsed(`${from} to ${upper}`);
      constraints.push({ op: ">=", version: from });
    }
    if (upper.trim() !== "*") {
      if (!looksLikeVersion(upper)) return unparsed(`${from} to ${upper}`);
      constraints.push({ op: entry.lessThan !== undefined ? "<" : "<=", version: upper.trim() });
    }
    return constraints.length ? { kind: "constraints", constraints } : { kind: "all" };
  }
  if (NO_VERSION.test(from)) return unparsed(from || "no version given");
  if (/^all( versions?)?$/i.test(from) || from === "*") return { kind: "all" };
  const prose = /^all versions?\s*(?:(<=|<|prior to|before|up to and including|up to)\s*)(?:versions?\s+)?(.+)$/i.exec(from);
  if (prose) {
    const word = prose[1]!.toLowerCase();
    const op = word === "<=" || word.startsWith("up to") ? "<=" : "<";
    const version = prose[2]!.trim();
    return looksLikeVersion(version) ? { kind: "constraints", constraints: [{ op, version }] } : unparsed(from);
  }
  return parseRangeText(from);
}
