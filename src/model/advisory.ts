/**
 * Security advisories in one canonical form, whatever format published them (CSAF 2.0, CVE JSON
 * 5, NVD 2.0): which products, which versions, which CVEs. The readers in sources/advisories/
 * parse into these; vulns/ matches devices against them.
 */

/** One comparison in a version range: `<V3.1.4`, `>=R1.01.00`, `=2.0.0.13`. */
export interface VersionConstraint {
  op: "<" | "<=" | ">" | ">=" | "=" | "!=";
  version: string;
}

/**
 * The versions an advisory's product entry covers.
 * - `all`: every version (`vers:all/*`, CVE 5 "All versions").
 * - `constraints`: a vers-style list (`>=R1.01.00|<R2.03.00`, `12.0|13.0|14.0`), read as the
 *   vers specification reads it: `=` are points, a lower bound pairs with the upper bound after it.
 * - `branches`: fixed versions per release line (`<v36.011_v35.013_v34.014`): a version is
 *   affected below the fix of its own line.
 * - `unparsed`: text that names no version Cordon can compare (a serial number prefix, a
 *   sentence); a device of the product is "possibly affected", with the text as the reason.
 */
export type VersionRange =
  | { kind: "all" }
  | { kind: "constraints"; constraints: VersionConstraint[] }
  | { kind: "branches"; fixed: string[] }
  | { kind: "unparsed"; text: string };

export type ProductStatus = "affected" | "fixed" | "not_affected";

/** One product entry of an advisory, for one CVE. */
export interface AffectedProduct {
  /** Where it came from: `icsa-24-261-03:CSAFPID-0001`, `CVE-2022-38465:affected/4`, a CPE. */
  ref: string;
  vendor: string;
  /** The product's name as the advisory gives it (`SIMATIC S7-1500 CPU 1518-4 PN/DP (6ES7518-4AP00-0AB0)`). */
  product: string;
  /** Order or model numbers the advisory names (CSAF `model_numbers`, names in parentheses). */
  models: string[];
  range: VersionRange;
  status: ProductStatus;
}

export interface CvssScore {
  version: string;
  score: number;
  vector?: string;
}

/** How far exploitation has gone, when the advisory says (CISA's SSVC "Exploitation"). */
export type Exploitation = "active" | "poc" | "none";

export interface AdvisoryVulnerability {
  /** `CVE-2024-8110`; a vulnerability without a CVE keeps the advisory's own id. */
  cve: string;
  title?: string;
  cvss?: CvssScore;
  exploitation?: Exploitation;
  /** TCP or UDP ports the advisory names for the vulnerable service (`tcp/102`). */
  services: string[];
  products: AffectedProduct[];
  /** Vendor fixes and mitigations, as text (CSAF remediations). */
  remediations: string[];
}

export type AdvisoryFormat = "csaf" | "cve5" | "nvd";

export interface Advisory {
  /** `icsa-24-261-03` (CSAF tracking id, lower case), `CVE-2022-38465`, `nvd:CVE-…`. */
  id: string;
  format: AdvisoryFormat;
  title: string;
  /** ISO date-time of the version read (CSAF current_release_date, CVE dateUpdated). */
  released: string;
  vulnerabilities: AdvisoryVulnerability[];
}

/** One entry of CISA's Known Exploited Vulnerabilities catalogue. */
export interface KevEntry {
  cve: string;
  vendor: string;
  product: string;
  name: string;
  dateAdded: string;
  dueDate?: string;
  ransomware: boolean;
}
