import type { Advisory, AdvisoryVulnerability, AffectedProduct, Exploitation, KevEntry } from "../model/advisory.js";
import { canonicalVendor, makerKey, vendorInProductName } from "../inventory/vendor-names.js";
import { compareNames, modelKey, productName, type NameMatch, type ProductName } from "./product-name.js";
import { parseVersion, showRange, versionInRange } from "./version.js";

/**
 * Which CVEs affect a device, from the advisories imported: the maker must agree (through the
 * alias table), then the product (an order or model number the advisory names, else the
 * product's name), then the firmware version against the advisory's range. Every match keeps
 * its reason and a confidence; a device whose version is unknown, or whose product the
 * advisory names only in part, gets "possibly affected" matches, kept apart.
 */

/** A device as the matcher sees it: maker, product and firmware as found, and order numbers. */
export interface DeviceIdentity {
  vendor: string;
  product: string;
  /** Order, model or part numbers (an S7's 6ES7…, a CMDB's model number). */
  models?: readonly string[];
  firmware?: string;
}

export type Confidence = "high" | "medium" | "low";

export interface CveMatch {
  cve: string;
  kev: boolean;
  /** The highest CVSS base score the advisories give, and its CVSS version. */
  cvss: number | null;
  cvssVersion: string | null;
  exploitation: Exploitation | null;
  /** `icsa-24-261-03:CSAFPID-0001`: every advisory entry that matched. */
  advisories: string[];
  reason: string;
  confidence: Confidence;
  /** Ports the advisory names for the vulnerable service (`tcp/102`). */
  services: string[];
  remediations: string[];
}

export interface DeviceVulnerabilities {
  affected: CveMatch[];
  possible: CveMatch[];
}

interface Entry {
  advisory: string;
  /** The maker, as the alias table names it. */
  maker: string;
  vuln: AdvisoryVulnerability;
  product: AffectedProduct;
  models: string[];
}

/** One product name of one maker, with every advisory entry that uses it: names are compared once per name. */
interface NameGroup {
  name: ProductName;
  entries: Entry[];
}

/** What CVE records write when the CNA named no vendor. */
const NO_VENDOR = /^(n\/?a|unknown|)$/i;

const RANK: Record<Confidence, number> = { high: 3, medium: 2, low: 1 };

/** The imported advisories and KEV catalogue, indexed for matching many devices. */
export class AdvisoryIndex {
  private readonly byMaker = new Map<string, { byName: Map<string, NameGroup>; byToken: Map<string, NameGroup[]>; plain: NameGroup[] }>();
  private readonly byModel = new Map<string, Entry[]>();
  private readonly kev: Map<string, KevEntry>;
  readonly entries: number;

  constructor(advisories: Iterable<Advisory>, kev: Iterable<KevEntry>) {
    this.kev = new Map([...kev].map((k) => [k.cve, k]));
    let n = 0;
    for (const a of advisories) {
      for (const vuln of a.vulnerabilities) {
        for (const product of vuln.products) {
          const vendor = NO_VENDOR.test(product.vendor) ? vendorInProductName(product.product) ?? "" : product.vendor;
          const entry: Entry = { advisory: a.id, maker: canonicalVendor(vendor) || "an unnamed maker", vuln, product, models: product.models.map(modelKey).filter((m) => m.length >= 4) };
          n++;
          for (const m of entry.models) push(this.byModel, m, entry);
          const maker = makerKey(vendor);
          if (!maker) continue;
          let slot = this.byMaker.get(maker);
          if (!slot) this.byMaker.set(maker, (slot = { byName: new Map(), byToken: new Map(), plain: [] }));
          let group = slot.byName.get(product.product);
          if (!group) {
            group = { name: productName(product.product, vendor), entries: [] };
            slot.byName.set(product.product, group);
            if (group.name.tokens.size === 0) continue;
            for (const t of group.name.tokens) push(slot.byToken, t, group);
            if (group.name.distinctive.size === 0) slot.plain.push(group);
          }
          group.entries.push(entry);
        }
      }
    }
    this.entries = n;
  }

  kevEntry(cve: string): KevEntry | undefined {
    return this.kev.get(cve);
  }

  /** The CVEs that affect the device, and those that possibly do, each with its reason. */
  match(device: DeviceIdentity): DeviceVulnerabilities {
    const name = productName(device.product, device.vendor);
    const maker = device.vendor.trim() ? makerKey(device.vendor) : "";
    const modelKeys = new Set([...(device.models ?? []), device.product].map(modelKey).filter((m) => m.length >= 4));
    const found = new Map<Entry, { how: NameMatch | "model"; what: string }>();
    for (const m of modelKeys) {
      for (const e of this.byModel.get(m) ?? []) {
        if (maker && makerKey(e.product.vendor) !== maker) continue;
        found.set(e, { how: "model", what: e.product.models.find((x) => modelKey(x) === m) ?? m });
      }
    }
    const slot = maker ? this.byMaker.get(maker) : undefined;
    if (slot) {
      const candidates = new Set<NameGroup>(slot.plain);
      for (const t of name.distinctive.size ? name.distinctive : name.tokens) for (const g of slot.byToken.get(t) ?? []) candidates.add(g);
      for (const g of candidates) {
        const how = compareNames(name, g.name);
        if (!how) continue;
        for (const e of g.entries) {
          if (found.has(e)) continue;
          // An advisory entry with order numbers is for those modules; a device that reports a different one is another module.
          if (e.models.length && device.models?.length) continue;
          found.set(e, { how, what: e.product.product });
        }
      }
    }
    return this.judge(device, found);
  }

  private judge(device: DeviceIdentity, found: Map<Entry, { how: NameMatch | "model"; what: string }>): DeviceVulnerabilities {
    const affected = new Map<string, CveMatch>();
    const possible = new Map<string, CveMatch>();
    const clearedBy = new Map<string, string>();
    const firmware = device.firmware === undefined ? undefined : parseVersion(device.firmware) ?? device.firmware;
    for (const [e, { how, what }] of found) {
      const verdict = versionInRange(firmware, e.product.range);
      const strong = how !== "possible";
      if (e.product.status !== "affected") {
        // A fixed or not-affected entry for this very product and version clears the CVE.
        if (strong && verdict.inRange === true) clearedBy.set(e.vuln.cve, `${e.advisory}: ${what} ${e.product.status === "fixed" ? "fixed in" : "not affected:"} ${showRange(e.product.range)} (${verdict.why})`);
        continue;
      }
      if (verdict.inRange === false) continue;
      const productWhy = how === "model" ? `model number ${what}` : how === "family" ? `in the product family "${what}"` : how === "name" ? `product "${what}"` : `product named in part by "${what}"`;
      const reason = `${e.maker} ${productWhy}; ${verdict.inRange === true ? verdict.why : `${verdict.why} (affected: ${showRange(e.product.range)})`}`;
      const confidence: Confidence = !strong || verdict.inRange === undefined ? "low"
        : how === "family" || verdict.loose || (e.product.range.kind === "all" && device.firmware === undefined) ? "medium" : "high";
      const into = strong && verdict.inRange === true ? affected : possible;
      this.add(into, e, reason, confidence);
    }
    for (const cve of clearedBy.keys()) {
      affected.delete(cve);
      possible.delete(cve);
    }
    for (const cve of affected.keys()) possible.delete(cve);
    return { affected: sortMatches([...affected.values()]), possible: sortMatches([...possible.values()]) };
  }

  private add(into: Map<string, CveMatch>, e: Entry, reason: string, confidence: Confidence): void {
    const cve = e.vuln.cve;
    const ref = e.product.ref;
    const had = into.get(cve);
    const cvss = e.vuln.cvss;
    if (!had) {
      into.set(cve, {
        cve, kev: this.kev.has(cve), cvss: cvss?.score ?? null, cvssVersion: cvss?.version ?? null, exploitation: e.vuln.exploitation ?? null,
        advisories: [ref], reason, confidence, services: [...e.vuln.services], remediations: [...e.vuln.remediations],
      });
      return;
    }
    if (!had.advisories.includes(ref)) had.advisories.push(ref);
    had.advisories.sort();
    if (RANK[confidence] > RANK[had.confidence]) {
      had.reason = reason;
      had.confidence = confidence;
    }
    if (cvss && (had.cvss === null || cvss.score > had.cvss)) {
      had.cvss = cvss.score;
      had.cvssVersion = cvss.version;
    }
    had.exploitation ??= e.vuln.exploitation ?? null;
    for (const s of e.vuln.services) if (!had.services.includes(s)) had.services.push(s);
    for (const r of e.vuln.remediations) if (!had.remediations.includes(r) && had.remediations.length < 32) had.remediations.push(r);
  }
}

function push<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const list = m.get(k);
  if (list) list.push(v);
  else m.set(k, [v]);
}

/** Known exploited first, then by score, then by CVE id. */
function sortMatches(list: CveMatch[]): CveMatch[] {
  return list.sort((a, b) => Number(b.kev) - Number(a.kev) || (b.cvss ?? -1) - (a.cvss ?? -1) || (a.cve < b.cve ? -1 : a.cve > b.cve ? 1 : 0));
}
