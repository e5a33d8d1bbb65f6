import { readdirSync, statSync } from "node:fs";
import { readTextBounded } from "../bounded-file.js";
import { join } from "node:path";
import type { Advisory, KevEntry } from "../../model/advisory.js";
import { obj, str, type Json } from "./json-fields.js";
import { readCsaf } from "./csaf.js";
import { readCve5 } from "./cve5.js";
import { readKev } from "./kev.js";
import { readNvd } from "./nvd.js";

/**
 * Advisory files from disk: each path a file or a folder read recursively (symbolic links
 * inside folders are not followed). Each JSON file is recognised by its content as CSAF 2.0,
 * CVE JSON 5, NVD 2.0 or the KEV catalogue; CSAF is checked against the official CSAF 2.0
 * schema, and a document that fails it is still read, with its failures reported.
 */

export type AdvisoryFileKind = "csaf" | "cve5" | "nvd" | "kev";

export interface AdvisoryFile {
  file: string;
  /** What the file is; `skipped` for files that are no advisory (an index, a schema). */
  kind: AdvisoryFileKind | "skipped" | "failed";
  advisories: Advisory[];
  kev: KevEntry[];
  /** Where a CSAF document breaks the CSAF 2.0 schema: JSON pointer and message. */
  schemaErrors: string[];
  /** Why the file was skipped or could not be read. */
  note?: string;
}

/** Larger than any advisory file or NVD page Cordon is given; larger files are refused unread. */
export const MAX_ADVISORY_FILE = 64 * 1024 * 1024;
const MAX_SCHEMA_ERRORS = 20;


type SchemaTest = (doc: unknown) => { isValid: boolean; errors: { message: string; instancePath: string }[] };
let schemaTest: Promise<SchemaTest> | undefined;

/**
 * The official CSAF 2.0 schema check, compiled on first use (about 0.2 s): only this schema,
 * not the library's index, which compiles every schema it ships (4 s).
 */
function csafSchema(): Promise<SchemaTest> {
  schemaTest ??= import("@secvisogram/csaf-validator-lib/lib/schemaTests/csaf_2_0.js").then((m) => m.default);
  return schemaTest;
}

/** Every file under the given paths, folders walked in name order. */
export function advisoryPaths(paths: readonly string[]): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) out.push(p);
    }
  };
  for (const p of paths) {
    if (statSync(p).isDirectory()) walk(p);
    else out.push(p);
  }
  return out;
}

/** The format a parsed JSON document is in, by the keys each format requires. */
export function advisoryFormat(doc: Json): AdvisoryFileKind | undefined {
  if (obj(doc.document) && str(obj(doc.document)?.csaf_version, 16)) return "csaf";
  if (doc.dataType === "CVE_RECORD" && obj(doc.cveMetadata)) return "cve5";
  if (doc.format === "NVD_CVE" && Array.isArray(doc.vulnerabilities)) return "nvd";
  if (Array.isArray(doc.vulnerabilities) && obj((doc.vulnerabilities as unknown[])[0])?.cveID !== undefined) return "kev";
  return undefined;
}

/** Reads one advisory document already parsed from JSON. */
export async function readAdvisoryDocument(file: string, doc: unknown): Promise<AdvisoryFile> {
  const base: AdvisoryFile = { file, kind: "skipped", advisories: [], kev: [], schemaErrors: [] };
  const o = obj(doc);
  const kind = o ? advisoryFormat(o) : undefined;
  if (!o || !kind) return { ...base, note: "not an advisory format Cordon reads (CSAF 2.0, CVE JSON 5, NVD 2.0, KEV)" };
  switch (kind) {
    case "csaf": {
      const result = (await csafSchema())(o);
      const errors = result.isValid ? [] : result.errors;
      const schemaErrors = errors.slice(0, MAX_SCHEMA_ERRORS).map((e) => `${e.instancePath || "/"}: ${e.message}`);
      if (errors.length > MAX_SCHEMA_ERRORS) schemaErrors.push(`and ${errors.length - MAX_SCHEMA_ERRORS} more`);
      const advisory = readCsaf(o);
      if (!advisory) return { ...base, kind: "failed", schemaErrors, note: "CSAF document without /document/tracking/id" };
      return { ...base, kind, advisories: [advisory], schemaErrors };
    }
    case "cve5": {
      const advisory = readCve5(o);
      return advisory ? { ...base, kind, advisories: [advisory] } : { ...base, kind: "failed", note: "CVE record without a valid /cveMetadata/cveId" };
    }
    case "nvd":
      return { ...base, kind, advisories: readNvd(o) };
    case "kev":
      return { ...base, kind, kev: readKev(o) };
  }
}

/** Reads one file: a JSON advisory, or a note saying why it was skipped or failed. */
export async function readAdvisoryFile(file: string): Promise<AdvisoryFile> {
  const base: AdvisoryFile = { file, kind: "skipped", advisories: [], kev: [], schemaErrors: [] };
  if (!/\.json$/i.test(file)) return { ...base, note: "not a .json file" };
  let text: string;
  try {
    text = readTextBounded(file, MAX_ADVISORY_FILE);
  } catch (e) {
    return { ...base, kind: "failed", note: `cannot read: ${(e as Error).message}` };
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    return { ...base, kind: "failed", note: `not JSON: ${(e as Error).message.slice(0, 200)}` };
  }
  return readAdvisoryDocument(file, doc);
}
