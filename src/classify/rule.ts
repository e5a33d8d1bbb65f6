import type { Category } from "./taxonomy.js";

/** The keys rules may name besides fact kinds: attributes worked out per device (classify.ts RuleInput, device-facts.ts). */
export const DERIVED_KEYS: readonly string[] = ["oui_vendor", "hostname", "router", "cloud_domain", "name_word", "upnp_type", "duty_cycle"];

/** Pulls a model or firmware string out of one fact value: capture group 1 of `pattern`. */
export interface Extract {
  from: string;
  pattern: string;
}

/**
 * One fingerprint rule. Every condition in `when` must hold: the key names a fact kind (see
 * model/observation.ts) or a derived attribute (`oui_vendor`, `hostname`, `router`,
 * `cloud_domain`: see cloud-makers.ts; `name_word`: the words of its host names, see nameWords in
 * classify.ts; `upnp_type`: the UPnP device and service types it announced over SSDP or stated
 * in the description it served), the value is
 * a case-insensitive regular expression that at least one of the device's values must match,
 * or a list of values one of which must equal a device's value whole (case-insensitively): a
 * table of identifiers, such as firmware keys, reads and diffs better as a list than as one pattern.
 */
export interface Rule {
  id: string;
  when: Record<string, string | string[]>;
  /** At least this many distinct values must match the first condition (an NVR pulls many streams). */
  minValues?: number;
  category?: Category;
  vendor?: string;
  /**
   * The vendor as the device states it in a fact (a UPnP or HNAP description's maker), read
   * like `model` and shown under the name the vendor alias table gives it; for tables of
   * self-descriptions, where naming every maker in a rule of its own would only copy them.
   */
  vendorFrom?: Extract;
  /** How strongly a match supports the verdict, 0 < weight < 1. */
  weight: number;
  model?: Extract;
  firmware?: Extract;
  /** Where the knowledge behind the rule is published: a product line's naming, a protocol's documentation. */
  evidence?: string;
}

export interface RuleFile {
  /** The maker this file describes; its rules name this vendor unless they say otherwise. */
  vendor?: string;
  rules: Rule[];
}

export interface CompiledRule extends Rule {
  file: string;
  conditions: [string, RegExp][];
  vendorFromRe?: RegExp;
  modelRe?: RegExp;
  firmwareRe?: RegExp;
}
