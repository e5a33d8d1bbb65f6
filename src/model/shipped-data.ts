import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository's data/ folder (tables shipped with Cordon), from dist/src/model/ or src/model/. */
const DATA = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "data");

/**
 * A JSON table shipped in data/ (`path` below it), parsed; a missing or broken file becomes the
 * caller's error, naming the file.
 */
export function readShippedJson(path: string, fail: (message: string) => Error): unknown {
  try {
    return JSON.parse(readFileSync(join(DATA, path), "utf8"));
  } catch (e) {
    throw fail(`${path}: ${(e as Error).message}`);
  }
}

/** Cordon's version, from the package.json this code was built with (dist/src/model/ or src/model/ lies below it). */
export function cordonVersion(): string {
  const pkg = JSON.parse(readFileSync(resolve(DATA, "..", "package.json"), "utf8")) as { version?: unknown };
  return typeof pkg.version === "string" ? pkg.version : "unknown";
}
