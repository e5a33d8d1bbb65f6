import type { CompiledRule } from "./rules.js";
import { type Category, type Criticality, defaultCriticality } from "./taxonomy.js";

/** What the classifier reads of a device: its facts by kind, and a few derived attributes. */
export interface DeviceFacts {
  ouiVendor?: string | null;
  router: boolean;
  hostnames: string[];
  facts: Map<string, string[]>;
}

export interface EvidenceItem {
  rule: string;
  weight: number;
  supports: string;
  facts: { kind: string; value: string }[];
}

export interface Verdict {
  category: Category;
  vendor?: string;
  model?: string;
  firmware?: string;
  /** Combined strength of the evidence for the category (0 when unknown). */
  confidence: number;
  criticality: Criticality;
  evidence: EvidenceItem[];
}

/** A verdict below this confidence is "unknown": the evidence is named, but no guess is made. */
export const MIN_CONFIDENCE = 0.5;

/** Fact kinds whose presence means the device speaks an OT protocol. */
const OT_KIND = /^(modbus|s7|cip|bacnet|dnp3|iec104|profinet|goose|fox|fins|hart|opcua|knx|ot)\./;

/** True when any of the fact kinds belongs to an OT protocol. */
export function speaksOt(kinds: Iterable<string>): boolean {
  for (const k of kinds) if (OT_KIND.test(k)) return true;
  return false;
}

function valuesOf(d: DeviceFacts, key: string): string[] {
  if (key === "oui_vendor") return d.ouiVendor ? [d.ouiVendor] : [];
  if (key === "hostname") return d.hostnames;
  if (key === "router") return [String(d.router)];
  return d.facts.get(key) ?? [];
}

/** Matches one rule: the facts that satisfied each condition, or undefined. */
function match(r: CompiledRule, d: DeviceFacts): { kind: string; value: string }[] | undefined {
  // Most rules fail on a kind the device never showed: that is found before anything is allocated.
  let used: { kind: string; value: string }[] | undefined;
  for (let i = 0; i < r.conditions.length; i++) {
    const [key, re] = r.conditions[i];
    const values = valuesOf(d, key);
    if (values.length === 0) return undefined;
    const hits = values.filter((v) => re.test(v));
    if (hits.length === 0 || (i === 0 && r.minValues !== undefined && new Set(hits).size < r.minValues)) return undefined;
    (used ??= []).push(...hits.slice(0, 3).map((value) => ({ kind: key, value })));
  }
  return used ?? [];
}

function extract(re: RegExp | undefined, from: string | undefined, d: DeviceFacts): string | undefined {
  if (!re || !from) return undefined;
  for (const v of valuesOf(d, from)) {
    const m = re.exec(v);
    if (m && m[1]) return m[1].trim();
  }
  return undefined;
}

/** Noisy-OR: independent pieces of evidence each of strength w. */
function combine(ws: number[]): number {
  return 1 - ws.reduce((p, w) => p * (1 - w), 1);
}

/**
 * One verdict per device from fingerprint rules: the category and vendor with the strongest
 * combined evidence, model and firmware from the rules that can read them, and every rule that
 * supported the outcome as evidence. Pure.
 */
export function classify(d: DeviceFacts, rules: readonly CompiledRule[]): Verdict {
  const byCategory = new Map<Category, number[]>();
  const byVendor = new Map<string, number[]>();
  const matched: { r: CompiledRule; facts: { kind: string; value: string }[] }[] = [];
  for (const r of rules) {
    const facts = match(r, d);
    if (!facts) continue;
    matched.push({ r, facts });
    if (r.category) byCategory.set(r.category, [...(byCategory.get(r.category) ?? []), r.weight]);
    if (r.vendor) byVendor.set(r.vendor, [...(byVendor.get(r.vendor) ?? []), r.weight]);
  }
  const best = <K>(m: Map<K, number[]>): [K, number] | undefined => {
    let out: [K, number] | undefined;
    for (const [k, ws] of m) {
      const s = combine(ws);
      if (!out || s > out[1]) out = [k, s];
    }
    return out;
  };
  const cat = best(byCategory);
  const ven = best(byVendor);
  const category: Category = cat && cat[1] >= MIN_CONFIDENCE ? cat[0] : "unknown";
  const vendor = ven && ven[1] >= MIN_CONFIDENCE ? ven[0] : undefined;
  let model: string | undefined;
  let firmware: string | undefined;
  const evidence: EvidenceItem[] = [];
  for (const { r, facts } of matched) {
    const forCategory = r.category !== undefined && r.category === category;
    const forVendor = r.vendor !== undefined && r.vendor === vendor;
    if (!forCategory && !forVendor && category !== "unknown") continue;
    if (r.vendor === undefined || r.vendor === vendor) {
      model ??= extract(r.modelRe, r.model?.from, d);
      firmware ??= extract(r.firmwareRe, r.firmware?.from, d);
    }
    evidence.push({
      rule: `${r.file}:${r.id}`,
      weight: r.weight,
      supports: [forCategory ? r.category : undefined, forVendor ? r.vendor : undefined].filter(Boolean).join(", ") || (r.category ?? r.vendor ?? ""),
      facts,
    });
  }
  return {
    category,
    vendor,
    model,
    firmware,
    confidence: category === "unknown" ? 0 : Math.round(cat![1] * 100) / 100,
    criticality: defaultCriticality(category, speaksOt(d.facts.keys())),
    evidence,
  };
}
