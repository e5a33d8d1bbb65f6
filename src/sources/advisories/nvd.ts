import type { Advisory, AffectedProduct, CvssScore, VersionConstraint, VersionRange } from "../../model/advisory.js";
import { arr, cveId, num, obj, servicesNamed, str, type Json } from "./json-fields.js";
import { looksLikeVersion } from "./version-range-text.js";

/**
 * NVD CVE API 2.0 results (`format: NVD_CVE`): each CVE's configurations, whose CPE matches
 * carry the ranges (`versionStartIncluding` … `versionEndExcluding`). In an AND configuration
 * (firmware `o:` running on hardware `h:`), the hardware names the product and the firmware
 * match gives the versions.
 */

interface Cpe {
  part: string;
  vendor: string;
  product: string;
  version: string;
}

/** Splits a CPE 2.3 formatted string on its unescaped colons; names get spaces for underscores. */
export function parseCpe(text: string): Cpe | undefined {
  if (!text.startsWith("cpe:2.3:") || text.length > 1024) return undefined;
  const fields: string[] = [];
  let cur = "";
  for (let i = 8; i < text.length; i++) {
    const c = text[i]!;
    if (c === "\\" && i + 1 < text.length) {
      cur += text[++i];
    } else if (c === ":") {
      fields.push(cur);
      cur = "";
    } else {
      cur += c;
    }
  }
  fields.push(cur);
  if (fields.length < 4 || !/^[aoh]$/.test(fields[0]!)) return undefined;
  const name = (s: string): string => s.replace(/_/g, " ").trim();
  return { part: fields[0]!, vendor: name(fields[1]!), product: name(fields[2]!), version: fields[3]! };
}

function rangeOf(match: Json, cpe: Cpe): VersionRange {
  const constraints: VersionConstraint[] = [];
  const bound = (key: string, op: VersionConstraint["op"]): boolean => {
    const v = str(match[key], 128);
    if (v === undefined) return true;
    if (!looksLikeVersion(v)) return false;
    constraints.push({ op, version: v });
    return true;
  };
  const ok = bound("versionStartIncluding", ">=") && bound("versionStartExcluding", ">")
    && bound("versionEndIncluding", "<=") && bound("versionEndExcluding", "<");
  if (!ok) return { kind: "unparsed", text: str(match.criteria, 512) ?? "" };
  if (constraints.length) return { kind: "constraints", constraints };
  if (cpe.version === "*" || cpe.version === "-" || cpe.version === "") return { kind: "all" };
  return looksLikeVersion(cpe.version) ? { kind: "constraints", constraints: [{ op: "=", version: cpe.version }] } : { kind: "unparsed", text: cpe.version };
}

function scoreOf(metrics: Json | undefined): CvssScore | undefined {
  for (const key of ["cvssMetricV40", "cvssMetricV31", "cvssMetricV30", "cvssMetricV2"]) {
    const list = arr(metrics?.[key]).map(obj);
    const primary = list.find((m) => m?.type === "Primary") ?? list[0];
    const data = obj(primary?.cvssData);
    const score = num(data?.baseScore);
    if (score !== undefined && score >= 0 && score <= 10) return { version: str(data?.version, 8) ?? "", score, vector: str(data?.vectorString, 256) };
  }
  return undefined;
}

function productsOf(cve: string, configurations: unknown[]): AffectedProduct[] {
  const out: AffectedProduct[] = [];
  for (const rawConfig of configurations) {
    const config = obj(rawConfig);
    const nodes = arr(config?.nodes).map(obj).filter((n): n is Json => n !== undefined && n.negate !== true);
    const matches = nodes.flatMap((n) => arr(n.cpeMatch).map(obj).filter((m): m is Json => m !== undefined));
    const platforms = str(config?.operator, 8) === "AND"
      ? matches.filter((m) => m.vulnerable === false).map((m) => parseCpe(str(m.criteria, 1024) ?? "")).filter((c): c is Cpe => c !== undefined)
      : [];
    for (const m of matches) {
      if (m.vulnerable !== true) continue;
      const criteria = str(m.criteria, 1024) ?? "";
      const cpe = parseCpe(criteria);
      if (!cpe) continue;
      const range = rangeOf(m, cpe);
      const on = platforms.length ? platforms : [undefined];
      for (const p of on) {
        out.push({
          ref: p ? `nvd:${cve}:${criteria} on ${str(p.product, 256)}` : `nvd:${cve}:${criteria}`,
          vendor: (p ?? cpe).vendor, product: (p ?? cpe).product, models: [], range, status: "affected",
        });
      }
    }
  }
  return out;
}

/** One advisory per CVE in an NVD 2.0 result page. */
export function readNvd(doc: Json): Advisory[] {
  const out: Advisory[] = [];
  for (const raw of arr(doc.vulnerabilities)) {
    const c = obj(obj(raw)?.cve);
    const cve = cveId(c?.id);
    if (!c || !cve) continue;
    const description = arr(c.descriptions).map(obj).find((d) => d?.lang === "en");
    const text = str(description?.value, 4096) ?? "";
    out.push({
      id: `nvd:${cve}`,
      format: "nvd",
      title: text.slice(0, 200),
      released: str(c.lastModified, 64) ?? str(c.published, 64) ?? "",
      vulnerabilities: [{ cve, cvss: scoreOf(obj(c.metrics)), services: servicesNamed(text), products: productsOf(cve, arr(c.configurations)), remediations: [] }],
    });
  }
  return out;
}
