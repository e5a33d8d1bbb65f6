import type { Advisory, AdvisoryVulnerability, AffectedProduct, CvssScore, ProductStatus, VersionRange } from "../../model/advisory.js";
import { arr, cveId, num, obj, servicesNamed, str, type Json } from "./json-fields.js";
import { exactVersion, parseRangeText } from "./version-range-text.js";

/**
 * CSAF 2.0 (OASIS) security advisories: the product tree's branches (vendor, product family,
 * product name, product version or version range) and its `installed_on` relationships give
 * the products; each vulnerability's `product_status` says which are affected, fixed or not
 * affected, with its CVSS scores and remediations.
 */

interface TreeProduct {
  vendor: string;
  product: string;
  models: string[];
  range: VersionRange;
}

/** Deeper than any product tree; a document nested deeper is not read further. */
const MAX_DEPTH = 16;
const MAX_PRODUCTS = 100_000;

/** Order numbers in a product name's parentheses: `SCALANCE X302-7 EEC (230V, coated) (6GK5302-7GD00-3GA3)`. */
function modelsInName(name: string): string[] {
  const out: string[] = [];
  for (const m of name.matchAll(/\(([A-Z0-9][A-Z0-9 .\-/]{5,40})\)/g)) {
    const t = m[1]!.trim();
    if (/\d/.test(t) && /[-.]/.test(t) && !/\s{2}/.test(t) && !/^\d+V$/i.test(t)) out.push(t);
  }
  return out;
}

function helperModels(product: Json | undefined): string[] {
  const helper = obj(product?.product_identification_helper);
  const out: string[] = [];
  for (const m of arr(helper?.model_numbers)) {
    const t = str(m, 80);
    if (t) out.push(t);
  }
  for (const s of arr(helper?.skus)) {
    const t = str(s, 80);
    if (t) out.push(t);
  }
  return out;
}

function walk(branches: unknown[], path: { vendor?: string; family?: string; name?: string }, depth: number, into: Map<string, TreeProduct>): void {
  if (depth > MAX_DEPTH) return;
  for (const raw of branches) {
    if (into.size >= MAX_PRODUCTS) return;
    const b = obj(raw);
    if (!b) continue;
    const category = str(b.category, 64);
    const name = str(b.name, 512);
    const here = { ...path };
    if (category === "vendor") here.vendor = name;
    else if (category === "product_family") here.family = name;
    else if (category === "product_name") here.name = name;
    const product = obj(b.product);
    const id = str(product?.product_id, 128);
    if (id) {
      const fullName = str(product?.name, 512) ?? name ?? "";
      // A product's full name ("Mobotix P3 D24M") names it best; a version's full name carries
      // the version too ("… Firmware MX-V4.0.1.15"), so a version is named by its family and product.
      const isVersion = category === "product_version" || category === "product_version_range";
      const productName = (isVersion ? [here.family, here.name].filter(Boolean).join(" ") : str(product?.name, 512) ?? [here.family, here.name].filter(Boolean).join(" ")) || fullName;
      const range: VersionRange = category === "product_version_range" && name ? parseRangeText(name)
        : category === "product_version" && name ? exactVersion(name)
          : { kind: "all" };
      into.set(id, {
        vendor: here.vendor ?? "",
        product: productName,
        models: [...new Set([...helperModels(product), ...modelsInName(productName), ...modelsInName(fullName)])],
        range,
      });
    }
    walk(arr(b.branches), here, depth + 1, into);
  }
}

/** Products from the tree: branches, full product names, and installed-on relationships. */
function products(tree: Json | undefined): Map<string, TreeProduct> {
  const out = new Map<string, TreeProduct>();
  walk(arr(tree?.branches), {}, 0, out);
  for (const raw of arr(tree?.full_product_names)) {
    const p = obj(raw);
    const id = str(p?.product_id, 128);
    const name = str(p?.name, 512);
    if (id && name && !out.has(id)) out.set(id, { vendor: "", product: name, models: [...new Set([...helperModels(p), ...modelsInName(name)])], range: { kind: "all" } });
  }
  for (const raw of arr(tree?.relationships)) {
    const r = obj(raw);
    const full = obj(r?.full_product_name);
    const id = str(full?.product_id, 128);
    const component = out.get(str(r?.product_reference, 128) ?? "");
    const platform = out.get(str(r?.relates_to_product_reference, 128) ?? "");
    if (!id || !component || !platform || out.has(id)) continue;
    // Firmware installed on a device: the device is the product, the firmware's versions the range.
    const onDevice = str(r?.category, 64) === "installed_on";
    const device = onDevice ? platform : component;
    out.set(id, {
      vendor: device.vendor || component.vendor,
      product: device.product,
      models: [...new Set([...device.models, ...(onDevice ? [] : platform.models)])],
      range: onDevice ? component.range : platform.range,
    });
  }
  return out;
}

const STATUS: Record<string, ProductStatus> = {
  known_affected: "affected", first_affected: "affected", last_affected: "affected",
  fixed: "fixed", first_fixed: "fixed",
  known_not_affected: "not_affected",
};

function bestScore(v: Json): CvssScore | undefined {
  let best: CvssScore | undefined;
  for (const raw of arr(v.scores)) {
    const s = obj(raw);
    for (const key of ["cvss_v4", "cvss_v3", "cvss_v2"]) {
      const c = obj(s?.[key]);
      const score = num(c?.baseScore);
      if (score === undefined || score < 0 || score > 10) continue;
      const version = str(c?.version, 8) ?? key.slice(6);
      // The newest CVSS version wins; within one version, the highest score.
      if (!best || version > best.version || (version === best.version && score > best.score)) {
        best = { version, score, vector: str(c?.vectorString, 256) };
      }
      break;
    }
  }
  return best;
}

/** Reads one CSAF document; `undefined` when it has no tracking id (not a CSAF advisory Cordon can key). */
export function readCsaf(doc: Json): Advisory | undefined {
  const document = obj(doc.document);
  const tracking = obj(document?.tracking);
  const id = str(tracking?.id, 128)?.toLowerCase();
  if (!id) return undefined;
  const tree = products(obj(doc.product_tree));
  const vulnerabilities: AdvisoryVulnerability[] = [];
  for (const [i, raw] of arr(doc.vulnerabilities).entries()) {
    const v = obj(raw);
    if (!v) continue;
    const cve = cveId(v.cve) ?? `${id}#${i + 1}`;
    const status = obj(v.product_status);
    const affected: AffectedProduct[] = [];
    for (const [key, as] of Object.entries(STATUS)) {
      for (const pid of arr(status?.[key])) {
        const ref = str(pid, 128);
        const p = ref ? tree.get(ref) : undefined;
        if (!ref || !p) continue;
        affected.push({ ref: `${id}:${ref}`, vendor: p.vendor, product: p.product, models: p.models, range: p.range, status: as });
      }
    }
    const notes = arr(v.notes).map((n) => str(obj(n)?.text, 4096) ?? "").join(" ");
    const title = str(v.title, 512);
    const remediations = [...new Set(arr(v.remediations).map((r) => str(obj(r)?.details, 1024)).filter((t): t is string => t !== undefined))].slice(0, 32);
    vulnerabilities.push({ cve, title, cvss: bestScore(v), services: servicesNamed(`${title ?? ""} ${notes}`), products: affected, remediations });
  }
  return {
    id,
    format: "csaf",
    title: str(document?.title, 512) ?? id,
    released: str(tracking?.current_release_date, 64) ?? str(tracking?.initial_release_date, 64) ?? "",
    vulnerabilities,
  };
}
