import { readShippedJson } from "../model/shipped-data.js";

/**
 * One name per maker, whatever wrote it: advisories, CMDB exports and device banners say
 * "SIEMENS AG", "Siemens", "Mitsubishi Electric Corporation" or "Allen-Bradley" for makers
 * that advisories call Siemens, Mitsubishi Electric and Rockwell Automation. Names are compared
 * by their key (lower case, punctuation and company forms removed), then through the alias
 * table kept as data (data/vendors/aliases.json).
 */

const COMPANY_FORMS = new Set([
  "inc", "incorporated", "corp", "corporation", "co", "company", "ltd", "limited", "llc", "gmbh", "ag", "sa", "se", "spa",
  "srl", "bv", "nv", "ab", "oy", "as", "kg", "plc", "pty", "kk", "me", "ltda", "the", "international", "holdings", "group",
]);

/** Lower case, letters and digits only, company forms dropped: "Johnson Controls, Inc." -> "johnson controls". */
export function vendorKey(name: string): string {
  const words = name.normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase().replace(/&/g, " and ").split(/[^a-z0-9]+/).filter((w) => w.length > 0);
  while (words.length > 1 && COMPANY_FORMS.has(words[words.length - 1]!)) words.pop();
  return words.join(" ");
}

let table: Map<string, string> | undefined;

function aliases(): Map<string, string> {
  if (table) return table;
  const raw = readShippedJson("vendors/aliases.json", (m) => new Error(`vendor aliases: ${m}`)) as { vendors?: Record<string, unknown> };
  const out = new Map<string, string>();
  for (const [canonical, names] of Object.entries(raw.vendors ?? {})) {
    if (!Array.isArray(names)) throw new Error(`vendor aliases: ${canonical} needs a list of names`);
    out.set(vendorKey(canonical), canonical);
    for (const n of names) {
      if (typeof n !== "string") throw new Error(`vendor aliases: ${canonical} has a name that is not text`);
      const key = vendorKey(n);
      const other = out.get(key);
      if (other !== undefined && other !== canonical) throw new Error(`vendor aliases: "${n}" names both ${other} and ${canonical}`);
      out.set(key, canonical);
    }
  }
  table = out;
  return out;
}

/** The name Cordon shows for a maker: the alias table's, else the name as given, trimmed. */
export function canonicalVendor(name: string): string {
  const t = name.trim();
  return aliases().get(vendorKey(t)) ?? t;
}

/** The key two names of one maker share ("siemens" for "SIEMENS AG" and "Siemens"). */
export function makerKey(name: string): string {
  const t = name.trim();
  const canonical = aliases().get(vendorKey(t));
  return vendorKey(canonical ?? t);
}

/** The alias table's name for a maker, only when the table knows it. */
export function knownVendor(name: string): string | undefined {
  return aliases().get(vendorKey(name));
}

/**
 * The maker a product name starts with ("TP-Link Archer AX21"), for records that name no
 * vendor (CVE records whose vendor is "n/a"): its first one or two words, if the alias table
 * knows them.
 */
export function vendorInProductName(product: string): string | undefined {
  const words = product.trim().split(/\s+/);
  return knownVendor(words.slice(0, 2).join(" ")) ?? knownVendor(words[0] ?? "");
}
