import { readFileSync, readdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { cloudMakers } from "./cloud-makers.js";
import { OBSERVATION_KINDS } from "../model/observation.js";
import { type CompiledRule, DERIVED_KEYS, type RuleFile } from "./rule.js";
import { CATEGORIES } from "./taxonomy.js";

export type { CompiledRule, Extract, Rule, RuleFile } from "./rule.js";

export class RuleError extends Error {}

/** Checks a rule file's shape and compiles its patterns; errors name the file and the rule. */
export function compileRuleFile(name: string, data: unknown): CompiledRule[] {
  const f = data as RuleFile;
  if (typeof f !== "object" || f === null || !Array.isArray(f.rules)) throw new RuleError(`${name}: expected { "rules": [...] }`);
  return f.rules.map((r, i) => {
    const where = `${name}: rule ${r?.id ?? `#${i}`}`;
    if (typeof r.id !== "string" || typeof r.when !== "object" || r.when === null) throw new RuleError(`${where}: needs "id" and "when"`);
    if (!(r.weight > 0 && r.weight < 1)) throw new RuleError(`${where}: weight must be between 0 and 1`);
    if (r.category !== undefined && !CATEGORIES.includes(r.category)) throw new RuleError(`${where}: unknown category "${r.category}"`);
    const vendor = r.vendorFrom ? undefined : r.vendor ?? f.vendor;
    if (r.vendorFrom && r.vendor !== undefined) throw new RuleError(`${where}: names a vendor and where to read one`);
    if (r.category === undefined && vendor === undefined && r.vendorFrom === undefined) throw new RuleError(`${where}: names neither a category nor a vendor`);
    for (const [what, x] of [["vendorFrom", r.vendorFrom], ["model", r.model], ["firmware", r.firmware]] as const) {
      if (x !== undefined && (typeof x !== "object" || x === null || typeof x.from !== "string" || typeof x.pattern !== "string")) throw new RuleError(`${where}: ${what} needs "from" and "pattern"`);
      if (x !== undefined && !knownKey(x.from)) throw new RuleError(`${where}: ${what}.from: no fact kind or attribute "${x.from}"`);
    }
    for (const k of Object.keys(r.when)) if (!knownKey(k)) throw new RuleError(`${where}: when.${k}: no fact kind or attribute "${k}"`);
    if (r.evidence !== undefined && (typeof r.evidence !== "string" || r.evidence.length < 10)) throw new RuleError(`${where}: evidence must say where the knowledge is published`);
    const re = (s: string, what: string): RegExp => {
      try {
        return new RegExp(s, "i");
      } catch (e) {
        throw new RuleError(`${where}: ${what}: ${(e as Error).message}`);
      }
    };
    return {
      ...r,
      vendor,
      file: name,
      conditions: Object.entries(r.when).map(([k, v]) => [k, re(condition(v, `${where}: when.${k}`), `when.${k}`)] as [string, RegExp]),
      vendorFromRe: r.vendorFrom ? re(r.vendorFrom.pattern, "vendorFrom") : undefined,
      modelRe: r.model ? re(r.model.pattern, "model") : undefined,
      firmwareRe: r.firmware ? re(r.firmware.pattern, "firmware") : undefined,
    };
  });
}

/** A fact kind (model/observation.ts) or an attribute the classifier works out. */
function knownKey(k: string): boolean {
  return Object.hasOwn(OBSERVATION_KINDS, k) || DERIVED_KEYS.includes(k);
}

/** A condition as one pattern: a list of values becomes the anchored alternation of the values, each taken literally. */
function condition(v: unknown, where: string): string {
  if (typeof v === "string" && v.length > 0) return v;
  if (Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === "string" && x.length > 0)) {
    return `^(?:${v.map((x: string) => x.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|")})$`;
  }
  throw new RuleError(`${where}: must be a pattern or a list of values (non-empty strings)`);
}

const DATA = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "data", "fingerprints");
let cached: CompiledRule[] | undefined;

/** The fingerprint rules shipped in data/fingerprints (one JSON file per vendor or category family). */
export function loadRules(dir = DATA): CompiledRule[] {
  if (dir === DATA && cached) return cached;
  const rules: CompiledRule[] = [];
  for (const f of readdirSync(dir).filter((n) => n.endsWith(".json")).sort()) {
    let data: unknown;
    try {
      data = JSON.parse(readFileSync(join(dir, f), "utf8"));
    } catch (e) {
      throw new RuleError(`${f}: ${(e as Error).message}`);
    }
    rules.push(...compileRuleFile(f, data));
  }
  if (dir === DATA) {
    rules.push(...cloudMakers().rules);
    cached = rules;
  }
  return rules;
}
