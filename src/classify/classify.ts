import { knownVendor, makerKey } from "../inventory/vendor-names.js";
import { cloudDomains, cloudMakers } from "./cloud-makers.js";
import type { CompiledRule } from "./rules.js";
import { DERIVED_KEYS } from "./rule.js";
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

/** The protocols whose facts ("PROTOCOL.…") mean the device speaks OT. */
export const OT_PROTOCOLS: readonly string[] = ["modbus", "s7", "cip", "bacnet", "dnp3", "iec104", "profinet", "goose", "fox", "fins", "hart", "opcua", "knx", "pcworx", "ot"];

/** Fact kinds whose presence means the device speaks an OT protocol. */
const OT_KIND = new RegExp(`^(${OT_PROTOCOLS.join("|")})\\.`);

/** True when any of the fact kinds belongs to an OT protocol. */
export function speaksOt(kinds: Iterable<string>): boolean {
  for (const k of kinds) if (OT_KIND.test(k)) return true;
  return false;
}

const NO_VALUES: readonly string[] = [];

/** The names a device asked for: what cloud rules read. */
const NAME_KINDS = new Set(["dns.query", "tls.sni", "http.host", "cloud_domain"]);

/**
 * More registered domains than this, shared infrastructure left out, and the device is a
 * general-purpose client (a browser, a phone, a home server): the sites it reaches say what its
 * user visited, not who made it, so a laptop that opened ecobee.com is not a thermostat. Devices
 * talk to a few clouds of their own: at most five in the field datasets (bench/README.md).
 */
export const MAX_DEVICE_CLOUDS = 16;

/**
 * A device's values for the keys that rules name, the derived ones made once per device: a
 * classifier pass runs every rule against every device, and most rules fail on a kind the
 * device never showed, which must cost no allocation.
 */
class RuleInput {
  private readonly oui: readonly string[];
  private readonly router: readonly string[];
  private clouds: readonly string[] | undefined;
  private words: readonly string[] | undefined;
  private upnpTypes: readonly string[] | undefined;
  private browses: boolean | undefined;

  constructor(readonly d: DeviceFacts) {
    this.oui = d.ouiVendor ? [d.ouiVendor] : NO_VALUES;
    this.router = [String(d.router)];
  }

  values(key: string): readonly string[] {
    if (NAME_KINDS.has(key) && (this.browses ??= this.allClouds().length > MAX_DEVICE_CLOUDS)) return NO_VALUES;
    if (key === "oui_vendor") return this.oui;
    if (key === "hostname") return this.d.hostnames;
    if (key === "router") return this.router;
    if (key === "cloud_domain") return this.allClouds();
    if (key === "name_word") return (this.words ??= nameWords(this.d.hostnames));
    if (key === "upnp_type") return (this.upnpTypes ??= this.typesAnnounced());
    return this.d.facts.get(key) ?? NO_VALUES;
  }

  /** The UPnP types a device announced (SSDP NT, or ST in an answer) or stated in the description it served. */
  private typesAnnounced(): readonly string[] {
    const nt = this.d.facts.get("ssdp.nt");
    const described = this.d.facts.get("upnp.device_type");
    return !described ? nt ?? NO_VALUES : !nt ? described : [...nt, ...described];
  }

  /** The registered domains of the names the device asked for, shared infrastructure left out (see cloud-makers.ts). */
  private allClouds(): readonly string[] {
    return (this.clouds ??= this.cloudDomains());
  }

  private cloudDomains(): readonly string[] {
    const f = this.d.facts;
    const hosts = [...(f.get("dns.query") ?? NO_VALUES), ...(f.get("tls.sni") ?? NO_VALUES), ...(f.get("http.host") ?? NO_VALUES)];
    return hosts.length === 0 ? NO_VALUES : cloudDomains(hosts, cloudMakers().shared);
  }
}

/**
 * The words of a device's host names, lower case: split at anything not a letter or digit, at a
 * change from letters to digits, and where a capital starts a word ("AmazonPlug14US" → amazon,
 * plug, 14, us; "IPCam-2" → ip, cam, 2), so name rules match whole words however they are joined.
 */
export function nameWords(hostnames: readonly string[]): string[] {
  const out = new Set<string>();
  for (const h of hostnames) {
    const spaced = h.replace(/([a-z])([A-Z])/g, "$1 $2").replace(/([A-Z]+)([A-Z][a-z])/g, "$1 $2")
      .replace(/([A-Za-z])(\d)/g, "$1 $2").replace(/(\d)([A-Za-z])/g, "$1 $2");
    for (const w of spaced.toLowerCase().split(/[^a-z0-9]+/)) if (w) out.add(w);
  }
  return [...out];
}

/** Rules by the key of their first condition (rule indices, in order); "" for rules with none. */
const rulesByFirstKey = new WeakMap<readonly CompiledRule[], Map<string, number[]>>();

/**
 * The indices, in rule order, of the rules a device could match: those whose first condition
 * names a fact kind the device has or a derived key with values. A rule whose first key the
 * device lacks cannot match, so a device is tried against the few dozen rules about what it
 * showed rather than all of them.
 */
function candidateRules(rules: readonly CompiledRule[], d: DeviceFacts, input: RuleInput): number[] {
  let byKey = rulesByFirstKey.get(rules);
  if (!byKey) {
    byKey = new Map();
    for (let i = 0; i < rules.length; i++) {
      const key = rules[i].conditions[0]?.[0] ?? "";
      const list = byKey.get(key);
      if (list) list.push(i);
      else byKey.set(key, [i]);
    }
    rulesByFirstKey.set(rules, byKey);
  }
  const out: number[] = [...(byKey.get("") ?? [])];
  for (const key of d.facts.keys()) {
    const list = byKey.get(key);
    if (list) for (const i of list) out.push(i);
  }
  for (const key of DERIVED_KEYS) {
    if (d.facts.has(key)) continue;
    const list = byKey.get(key);
    if (list && input.values(key).length > 0) for (const i of list) out.push(i);
  }
  return out.sort((a, b) => a - b);
}

/** Matches one rule: the facts that satisfied each condition, or undefined. */
function match(r: CompiledRule, input: RuleInput): { kind: string; value: string }[] | undefined {
  let used: { kind: string; value: string }[] | undefined;
  for (let i = 0; i < r.conditions.length; i++) {
    const condition = r.conditions[i];
    const key = condition[0];
    const re = condition[1];
    const values = input.values(key);
    let hits: string[] | undefined;
    for (let k = 0; k < values.length; k++) if (re.test(values[k])) (hits ??= []).push(values[k]);
    if (hits === undefined || (i === 0 && r.minValues !== undefined && new Set(hits).size < r.minValues)) return undefined;
    used ??= [];
    for (let k = 0; k < hits.length && k < 3; k++) used.push({ kind: key, value: hits[k] });
  }
  return used ?? [];
}

function extract(re: RegExp | undefined, from: string | undefined, input: RuleInput): string | undefined {
  if (!re || !from) return undefined;
  for (const v of input.values(from)) {
    const m = re.exec(v);
    if (m && m[1]) return m[1].trim();
  }
  return undefined;
}

const ruleVendors = new WeakMap<readonly CompiledRule[], Map<string, string>>();

/**
 * A maker's name as a device states it, under the name Cordon knows that maker by: the name
 * the rules give it ("Belkin International Inc." is the rules' Belkin), else the vendor alias
 * table's. A name Cordon does not know names nobody: software that serves UPnP (a media
 * server on a PC, a NAS's DLNA daemon) states its own author, not the hardware's maker.
 */
function statedVendor(name: string | undefined, rules: readonly CompiledRule[]): string | undefined {
  if (name === undefined) return undefined;
  let known = ruleVendors.get(rules);
  if (!known) {
    known = new Map();
    for (const r of rules) if (r.vendor !== undefined && !known.has(makerKey(r.vendor))) known.set(makerKey(r.vendor), r.vendor);
    ruleVendors.set(rules, known);
  }
  const key = makerKey(name);
  return key === "" ? undefined : known.get(key) ?? knownVendor(name);
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
  const matched: { r: CompiledRule; vendor?: string; facts: { kind: string; value: string }[] }[] = [];
  const input = new RuleInput(d);
  for (const i of candidateRules(rules, d, input)) {
    const r = rules[i];
    const facts = match(r, input);
    if (!facts) continue;
    const vendor = r.vendorFromRe ? statedVendor(extract(r.vendorFromRe, r.vendorFrom?.from, input), rules) : r.vendor;
    if (r.vendorFromRe && vendor === undefined) continue;
    matched.push({ r, vendor, facts });
    if (r.category) byCategory.set(r.category, [...(byCategory.get(r.category) ?? []), r.weight]);
    if (vendor) byVendor.set(vendor, [...(byVendor.get(vendor) ?? []), r.weight]);
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
  for (const { r, vendor: stated, facts } of matched) {
    const forCategory = r.category !== undefined && r.category === category;
    const forVendor = stated !== undefined && stated === vendor;
    if (!forCategory && !forVendor && category !== "unknown") continue;
    if (stated === undefined || stated === vendor) {
      model ??= extract(r.modelRe, r.model?.from, input);
      firmware ??= extract(r.firmwareRe, r.firmware?.from, input);
    }
    evidence.push({
      rule: `${r.file}:${r.id}`,
      weight: r.weight,
      supports: [forCategory ? r.category : undefined, forVendor ? stated : undefined].filter(Boolean).join(", ") || (r.category ?? stated ?? ""),
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
