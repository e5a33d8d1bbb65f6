import { readShippedJson } from "../model/shipped-data.js";
import type { CompiledRule } from "./rule.js";
import { CATEGORIES, type Category } from "./taxonomy.js";

/**
 * The maker from the cloud a device talks to (data/makers/cloud-domains.json). The host names
 * a device asked for are cut to their registered domains; shared infrastructure is dropped;
 * each maker's own domains become one fingerprint rule on the derived key `cloud_domain`, so a
 * device that talks to tuyaeu.com is made by Tuya however its MAC's OUI reads.
 */
export class CloudMakerError extends Error {}

/** Public suffixes of two labels under which sites register (co.uk, com.cn ...): the registered domain takes three labels there. */
const TWO_LABEL_SUFFIXES = new Set([
  "co.uk", "org.uk", "ac.uk", "gov.uk", "com.cn", "net.cn", "org.cn", "com.au", "net.au", "co.jp", "ne.jp", "or.jp", "co.kr", "com.tw", "com.hk",
  "co.in", "co.nz", "com.br", "com.mx", "com.tr", "co.za", "com.sg", "com.my", "co.id", "com.ar", "com.ru", "com.ua", "com.pl",
]);

/** The registered domain of a host name ("a2.tuyaeu.com" → "tuyaeu.com"), or undefined for addresses, local and single-label names. */
export function registeredDomain(host: string): string | undefined {
  let name = host.toLowerCase();
  const colon = name.indexOf(":");
  if (colon >= 0) {
    if (name.lastIndexOf(":") !== colon) return undefined;
    name = name.slice(0, colon);
  }
  if (name.endsWith(".")) name = name.slice(0, -1);
  if (!/^[a-z0-9_.-]+$/.test(name) || /^[\d.]+$/.test(name) || name.endsWith(".local") || name.endsWith(".arpa")) return undefined;
  const labels = name.split(".");
  if (labels.length < 2 || labels.some((l) => l === "")) return undefined;
  const lastTwo = labels.slice(-2).join(".");
  if (TWO_LABEL_SUFFIXES.has(lastTwo)) return labels.length >= 3 ? labels.slice(-3).join(".") : undefined;
  return lastTwo;
}

const DOMAIN = /^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,62}$/;

export interface CloudMakers {
  /** Registered domains of shared infrastructure. */
  shared: ReadonlySet<string>;
  rules: CompiledRule[];
}

/** Checks the table and makes one rule per maker; errors name the entry. */
export function compileCloudMakers(data: unknown, where: string): CloudMakers {
  const d = data as { shared?: unknown; makers?: unknown } | null;
  if (!d || !Array.isArray(d.shared) || !Array.isArray(d.makers)) throw new CloudMakerError(`${where}: expected { "shared": [...], "makers": [...] }`);
  const shared = new Set<string>();
  d.shared.forEach((s: unknown, i) => {
    if (typeof s !== "string" || !DOMAIN.test(s) || registeredDomain(s) !== s) throw new CloudMakerError(`${where}: shared[${i}]: ${JSON.stringify(s)} is not a registered domain`);
    shared.add(s);
  });
  const owner = new Map<string, string>();
  const rules = d.makers.map((m: unknown, i): CompiledRule => {
    const at = `${where}: makers[${i}]`;
    const { maker, domains, category, evidence } = (m ?? {}) as { maker?: unknown; domains?: unknown; category?: unknown; evidence?: unknown };
    if (typeof maker !== "string" || maker.trim() === "" || maker.length > 64) throw new CloudMakerError(`${at}.maker: a name of up to 64 characters`);
    if (typeof evidence !== "string" || evidence.length < 10) throw new CloudMakerError(`${at}.evidence: say where the domains are documented`);
    if (category !== undefined && !CATEGORIES.includes(category as Category)) throw new CloudMakerError(`${at}.category: unknown category ${JSON.stringify(category)}`);
    if (!Array.isArray(domains) || domains.length === 0) throw new CloudMakerError(`${at}.domains: a non-empty list`);
    for (const x of domains) {
      if (typeof x !== "string" || !DOMAIN.test(x) || registeredDomain(x) !== x) throw new CloudMakerError(`${at}: ${JSON.stringify(x)} is not a registered domain`);
      if (shared.has(x)) throw new CloudMakerError(`${at}: ${x} is shared infrastructure, so it names no maker`);
      const other = owner.get(x);
      if (other !== undefined) throw new CloudMakerError(`${at}: ${x} is already ${other}'s`);
      owner.set(x, maker);
    }
    const pattern = `^(${(domains as string[]).map((x) => x.replace(/[.]/g, "\\.")).join("|")})$`;
    return {
      id: `cloud:${maker}`, file: where, when: { cloud_domain: pattern }, vendor: maker, weight: 0.75,
      ...(category !== undefined ? { category: category as Category } : {}),
      conditions: [["cloud_domain", new RegExp(pattern)]],
    };
  });
  return { shared, rules };
}

let shipped: CloudMakers | undefined;

/** The table shipped in data/makers/cloud-domains.json, read once. */
export function cloudMakers(): CloudMakers {
  shipped ??= compileCloudMakers(readShippedJson("makers/cloud-domains.json", (m) => new CloudMakerError(m)), "cloud-domains.json");
  return shipped;
}

/** The registered domains a device's host names reach, shared infrastructure left out, without duplicates. */
export function cloudDomains(hosts: Iterable<string>, shared: ReadonlySet<string>): string[] {
  const out = new Set<string>();
  for (const h of hosts) {
    const d = registeredDomain(h);
    if (d !== undefined && !shared.has(d)) out.add(d);
  }
  return [...out];
}
