import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { describe, it } from "node:test";
import { ROOT } from "./helpers.js";

/** The organisations of the IEEE registry Cordon ships (oui-data), first line of each entry. */
function registryOrganisations(): Set<string> {
  const registry = JSON.parse(readFileSync(createRequire(import.meta.url).resolve("oui-data"), "utf8")) as Record<string, string>;
  return new Set(Object.values(registry).map((v) => v.split("\n")[0]));
}

describe("makers named by their OUI", () => {
  it("every OUI rule of the maker tables names organisations that are in the IEEE registry", () => {
    const orgs = [...registryOrganisations()];
    for (const file of ["oui-device-makers.json", "oui-industrial-makers.json"]) {
      const rules = (JSON.parse(readFileSync(join(ROOT, "data", "fingerprints", file), "utf8")) as { rules: { id: string; when: Record<string, string> }[] }).rules;
      for (const r of rules) {
        const pattern = r.when.oui_vendor;
        if (pattern === undefined) continue;
        const re = new RegExp(pattern, "i");
        assert.ok(orgs.some((o) => re.test(o)), `${file}: ${r.id} (${pattern}) matches no organisation of the registry`);
      }
    }
  });
});
