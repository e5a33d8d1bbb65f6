import assert from "node:assert/strict";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { describe, it } from "node:test";
import { createPipeline } from "../src/pipeline.js";
import { readCapture } from "../src/sources/capture.js";
import { HAVE_CORPUS, NO_CORPUS, corpus } from "./helpers.js";

const DIR = "ntop-nDPI-tests/tests/cfgs/default";

/**
 * nDPI writes a flag 'd' for every ClientHello, even one without the SNI extension (the
 * emotet capture's TLS to bare IPs, for one); the JA4 specification says 'i' then, and Cordon
 * follows the specification. The flag (4th character) is therefore compared separately.
 */
function withoutSniFlag(ja4: string): string {
  return `${ja4.slice(0, 3)}_${ja4.slice(4)}`;
}

describe("JA4 client fingerprints equal nDPI's", { skip: NO_CORPUS }, () => {
  const results = HAVE_CORPUS ? readdirSync(corpus(`${DIR}/result`)).filter((f) => f.endsWith(".out")) : [];
  const cases = results.map((out) => ({
    out,
    pcap: corpus(`${DIR}/pcap/${out.replace(/\.out$/, "")}`),
    expected: new Set([...readFileSync(corpus(`${DIR}/result/${out}`), "utf8").matchAll(/\[JA4: (t[^\]]+)\]/g)].map((m) => m[1])),
  })).filter((c) => c.expected.size > 0 && existsSync(c.pcap));

  it("finds captures with JA4 results", () => {
    assert.ok(cases.length >= 3, `${cases.length} nDPI results carry TCP JA4 values`);
  });

  for (const c of cases) {
    it(c.out, async () => {
      const p = createPipeline({ flows: () => undefined });
      p.beginSource(c.pcap, "default");
      await readCapture(c.pcap, p.push);
      p.flush();
      const got = new Set<string>();
      for (const d of p.inventory.devices.values()) for (const v of d.factValues("tls.ja4")) got.add(v);
      assert.deepEqual([...got].map(withoutSniFlag).sort(), [...c.expected].map(withoutSniFlag).sort());
    });
  }
});
