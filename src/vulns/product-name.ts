import { vendorKey } from "../inventory/vendor-names.js";

/**
 * Product names compared as advisories and devices write them. A name becomes tokens: lower
 * case, split on spaces and punctuation but not inside `S7-1500` or `1518-4`, with words in
 * parentheses, generic words (family, series, firmware, variants ...) and the maker's own name
 * left out. Tokens with a digit (`s7-1500`, `x302-7`, `d24m`) are the distinctive ones: two names
 * of one product share them.
 */

const GENERIC = new Set([
  "family", "series", "firmware", "fw", "incl", "including", "related", "variants", "variant", "and", "or", "all", "versions", "version",
  "models", "model", "products", "product", "hardware", "the", "of", "for", "with", "on", "in", "a", "an",
]);

/** Words that make a name a family: every product under it is covered. */
const FAMILY = /\b(family|families|series|all models|all products|product line)\b/i;

export interface ProductName {
  tokens: Set<string>;
  /** The first word, when a distinctive token follows it: the product line's brand (SIMATIC, SCALANCE, ControlLogix). */
  brand: Set<string>;
  distinctive: Set<string>;
  family: boolean;
}

export function productName(name: string, vendor: string): ProductName {
  const maker = new Set(vendorKey(vendor).split(" "));
  const withoutParens = name.replace(/\([^()]*\)/g, " ");
  const tokens = new Set<string>();
  for (const raw of withoutParens.toLowerCase().split(/[\s,;:/|+]+|(?<!\w)-|-(?!\w)|(?<=\D)\.|\.(?=\D)/)) {
    const t = raw.replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, "");
    // A version written into the name ("SINEC NMS V2.0", "Experion PKS R510.2") is no part of the product.
    if (t.length === 0 || GENERIC.has(t) || maker.has(t) || /^[vr]?\d+(\.\d+)+[a-z]?$/.test(t)) continue;
    // Plurals of words: "Illustra Essentials" and "Illustra Essential" are one product.
    tokens.add(/^[a-z]{4,}[^s]s$/.test(t) ? t.slice(0, -1) : t);
  }
  const ordered = [...tokens];
  const distinctive = new Set(ordered.filter((t) => /\d/.test(t)));
  const firstDistinctive = ordered.findIndex((t) => distinctive.has(t));
  const brand = new Set(firstDistinctive > 0 ? ordered.slice(0, 1) : []);
  return { tokens, brand, distinctive, family: FAMILY.test(name) };
}

/** An order or model number compared without spaces, dashes or case: `6ES7 511-1AK02-0AB0` = `6es75111ak020ab0`. */
export function modelKey(text: string): string {
  return text.toUpperCase().replace(/[^A-Z0-9]/g, "");
}

function subset(a: Set<string>, b: Set<string>): boolean {
  for (const x of a) if (!b.has(x)) return false;
  return true;
}

/**
 * How a device's product name meets an advisory's:
 * - `name`: the same tokens;
 * - `family`: the advisory names a family (or a product line by its distinctive tokens alone)
 *   and the device is in it;
 * - `possible`: one name is a more precise form of the other, and which variant the device is
 *   cannot be told;
 * - undefined: different products.
 */
export type NameMatch = "name" | "family" | "possible";

export function compareNames(device: ProductName, advisory: ProductName): NameMatch | undefined {
  if (device.tokens.size === 0 || advisory.tokens.size === 0) return undefined;
  if (device.tokens.size === advisory.tokens.size && subset(device.tokens, advisory.tokens)) return "name";
  const a = advisory.distinctive;
  const d = device.distinctive;
  // Words one name has and the other lacks, leaving out the brand before the model (SIMATIC in
  // "SIMATIC S7-1500 CPU 1518-4" against a device's "S7-1500 CPU 1518-4").
  const advisoryExtra = [...advisory.tokens].filter((t) => !device.tokens.has(t) && !advisory.brand.has(t));
  const deviceExtra = [...device.tokens].filter((t) => !advisory.tokens.has(t) && !device.brand.has(t));
  if (a.size > 0 && subset(a, d)) {
    if (advisoryExtra.length > 0) {
      // The advisory names a more precise product than the device's name tells.
      return subset(d, a) && deviceExtra.length === 0 ? "possible" : undefined;
    }
    if (deviceExtra.length === 0) return "name";
    return advisory.family ? "family" : "possible";
  }
  if (d.size > 0 && subset(d, a) && deviceExtra.length === 0) return "possible";
  if (a.size === 0 && d.size === 0) {
    if (advisoryExtra.length === 0) return advisory.family ? "family" : "possible";
    if (deviceExtra.length === 0) return "possible";
  }
  return undefined;
}
