import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import { InputError } from "./errors.js";

/**
 * Reads a YAML or JSON file holding a list (or an object with the list under `key`) and
 * validates it; syntax and validation errors (of class `errorType`) become usage errors that
 * name the file.
 */
export function readListFile<T>(path: string, key: string, validate: (v: unknown) => T[], errorType: new (...args: never[]) => Error): T[] {
  let doc: unknown;
  try {
    doc = parseYaml(readFileSync(path, "utf8"));
  } catch (e) {
    throw new InputError(`${path}: ${(e as Error).message}`);
  }
  try {
    return validate(doc && typeof doc === "object" && !Array.isArray(doc) && key in doc ? (doc as Record<string, unknown>)[key] : doc);
  } catch (e) {
    if (e instanceof errorType) throw new InputError(`${path}: ${e.message}`);
    throw e;
  }
}
