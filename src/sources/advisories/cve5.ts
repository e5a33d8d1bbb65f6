import type { Advisory, AffectedProduct, CvssScore, Exploitation, ProductStatus } from "../../model/advisory.js";
import { arr, cveId, num, obj, servicesNamed, str, type Json } from "./json-fields.js";
import { parseCveVersion } from "./version-range-text.js";

/**
 * CVE JSON 5 records (cvelistV5): the CNA's `affected` list (vendor, product, versions with
 * `lessThan` / `lessThanOrEqual`, `defaultStatus`), CVSS from the CNA or CISA's ADP, and
 * CISA's SSVC "Exploitation" where the ADP gives it.
 */

const STATUS: Record<string, ProductStatus | undefined> = { affected: "affected", unaffected: "not_affected" };

function scoreOf(metrics: unknown[]): CvssScore | undefined {
  let best: CvssScore | undefined;
  for (const raw of metrics) {
    const m = obj(raw);
    for (const key of ["cvssV4_0", "cvssV3_1", "cvssV3_0", "cvssV2_0"]) {
      const c = obj(m?.[key]);
      const score = num(c?.baseScore);
      if (score === undefined || score < 0 || score > 10) continue;
      const version = str(c?.version, 8) ?? key.slice(5).replace("_", ".");
      if (!best || version > best.version || (version === best.version && score > best.score)) best = { version, score, vector: str(c?.vectorString, 256) };
      break;
    }
  }
  return best;
}

function exploitationOf(metrics: unknown[]): Exploitation | undefined {
  for (const raw of metrics) {
    const content = obj(obj(obj(raw)?.other)?.content);
    for (const o of arr(content?.options)) {
      const e = str(obj(o)?.Exploitation, 16)?.toLowerCase();
      if (e === "active" || e === "poc" || e === "none") return e;
    }
  }
  return undefined;
}

export function readCve5(doc: Json): Advisory | undefined {
  const meta = obj(doc.cveMetadata);
  const cve = cveId(meta?.cveId);
  if (!cve) return undefined;
  const containers = obj(doc.containers);
  const cna = obj(containers?.cna);
  const adps = arr(containers?.adp).map(obj).filter((a): a is Json => a !== undefined);
  const products: AffectedProduct[] = [];
  const lists = [arr(cna?.affected), ...adps.map((a) => arr(a.affected))];
  let n = 0;
  for (const list of lists) {
    for (const raw of list) {
      const a = obj(raw);
      if (!a) continue;
      n++;
      const vendor = str(a.vendor, 256) ?? "";
      const product = str(a.product, 512) ?? "";
      if (/^n\/?a$/i.test(product) || product === "") continue;
      const ref = `${cve}:affected/${n}`;
      const versions = arr(a.versions).map(obj).filter((v): v is Json => v !== undefined);
      for (const v of versions) {
        const status = STATUS[str(v.status, 16) ?? ""];
        const version = str(v.version, 256);
        if (!status || version === undefined) continue;
        const range = parseCveVersion({ version, lessThan: str(v.lessThan, 256), lessThanOrEqual: str(v.lessThanOrEqual, 256) });
        products.push({ ref, vendor, product, models: [], range, status });
      }
      // No version listed, and every version affected by default.
      if (versions.length === 0 && str(a.defaultStatus, 16) === "affected") products.push({ ref, vendor, product, models: [], range: { kind: "all" }, status: "affected" });
    }
  }
  const metrics = [...arr(cna?.metrics), ...adps.flatMap((a) => arr(a.metrics))];
  const descriptions = arr(cna?.descriptions).map((d) => str(obj(d)?.value, 4096) ?? "").join(" ");
  const title = str(cna?.title, 512);
  return {
    id: cve,
    format: "cve5",
    title: title ?? descriptions.slice(0, 200),
    released: str(meta?.dateUpdated, 64) ?? str(meta?.datePublished, 64) ?? "",
    vulnerabilities: [{
      cve, title, cvss: scoreOf(metrics), exploitation: exploitationOf(metrics),
      services: servicesNamed(descriptions), products, remediations: [],
    }],
  };
}
