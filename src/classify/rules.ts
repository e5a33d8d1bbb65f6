import { readFileSync, readdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { cloudMakers } from "./cloud-makers.js";
import type { CompiledRule, RuleFile } from "./rule.js";
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
    const vendor = r.vendor ?? f.vendor;
    if (r.category === undefined && vendor === undefined) throw new RuleError(`${where}: names neither a category nor a vendor`);
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
      modelRe: r.model ? re(r.model.pattern, "model") : undefined,
      firmwareRe: r.firmware ? re(r.firmware.pattern, "firmware") : undefined,
    };
  });
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
