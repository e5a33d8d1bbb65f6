import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { rng } from "../src/lab/generate.js";
import { readAdvisoryDocument } from "../src/sources/advisories/read.js";
import { parseCpe } from "../src/sources/advisories/nvd.js";
import { parseCveVersion, parseRangeText } from "../src/sources/advisories/version-range-text.js";
import { parseVersion, versionInRange } from "../src/vulns/version.js";
import { AdvisoryIndex } from "../src/vulns/match.js";
import { HAVE_CORPUS, corpus, runCli, tmpDir } from "./helpers.js";

/**
 * An NVD CVE API 2.0 page in the shape the API returns (format NVD_CVE, version 2.0): one CVE
 * whose configuration is firmware (o:) AND the hardware it runs on (h:), one with an
 * application range. Written here from the API's documented schema; the corpus has no NVD page.
 */
const NVD_PAGE = {
  resultsPerPage: 2, startIndex: 0, totalResults: 2, format: "NVD_CVE", version: "2.0", timestamp: "2024-11-21T06:13:16.690",
  vulnerabilities: [
    {
      cve: {
        id: "CVE-2021-36260", published: "2021-09-22T13:15:07.000", lastModified: "2024-11-21T06:13:16.690", vulnStatus: "Modified",
        descriptions: [{ lang: "en", value: "A command injection vulnerability in the web server of some Hikvision product." }],
        metrics: { cvssMetricV31: [{ source: "nvd@nist.gov", type: "Primary", cvssData: { version: "3.1", vectorString: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", baseScore: 9.8, baseSeverity: "CRITICAL" } }] },
        configurations: [{
          operator: "AND",
          nodes: [
            { operator: "OR", negate: false, cpeMatch: [{ vulnerable: true, criteria: "cpe:2.3:o:hikvision:ds-2cd2026g2-iu\\/sl_firmware:*:*:*:*:*:*:*:*", versionEndExcluding: "5.5.800", matchCriteriaId: "A" }] },
            { operator: "OR", negate: false, cpeMatch: [{ vulnerable: false, criteria: "cpe:2.3:h:hikvision:ds-2cd2026g2-iu\\/sl:-:*:*:*:*:*:*:*", matchCriteriaId: "B" }] },
          ],
        }],
      },
    },
    {
      cve: {
        id: "CVE-2021-35394", published: "2021-08-16T12:15:07.000", lastModified: "2024-11-21T06:12:15.000",
        descriptions: [{ lang: "en", value: "Realtek Jungle SDK version v2.x up to v3.4.14B provides a diagnostic tool called 'MP Daemon' on UDP port 9034." }],
        metrics: { cvssMetricV31: [{ source: "nvd@nist.gov", type: "Primary", cvssData: { version: "3.1", baseScore: 9.8 } }] },
        configurations: [{ nodes: [{ operator: "OR", negate: false, cpeMatch: [{ vulnerable: true, criteria: "cpe:2.3:a:realtek:jungle_software_development_kit:*:*:*:*:*:*:*:*", versionStartIncluding: "2.0", versionEndIncluding: "3.4.14b" }] }] }],
      },
    },
  ],
};

describe("NVD 2.0 configurations", () => {
  it("reads CPEs with their escapes, and ranges from the match", () => {
    assert.deepEqual(parseCpe("cpe:2.3:o:hikvision:ds-2cd2026g2-iu\\/sl_firmware:*:*:*:*:*:*:*:*"), { part: "o", vendor: "hikvision", product: "ds-2cd2026g2-iu/sl firmware", version: "*" });
    assert.equal(parseCpe("cpe:/o:old:uri"), undefined);
  });

  it("matches firmware on hardware (AND) by the hardware, and application ranges", async () => {
    const file = await readAdvisoryDocument("page.json", NVD_PAGE);
    assert.equal(file.kind, "nvd");
    assert.deepEqual(file.advisories.map((a) => a.id), ["nvd:CVE-2021-36260", "nvd:CVE-2021-35394"]);
    const index = new AdvisoryIndex(file.advisories, [{ cve: "CVE-2021-36260", vendor: "Hikvision", product: "Cameras", name: "x", dateAdded: "2022-01-10", ransomware: false }]);
    const cam = index.match({ vendor: "Hangzhou Hikvision Digital Technology Co., Ltd.", product: "DS-2CD2026G2-IU/SL", firmware: "V5.5.0 build 200101" });
    assert.deepEqual(cam.affected.map((c) => [c.cve, c.kev, c.cvss]), [["CVE-2021-36260", true, 9.8]]);
    assert.match(cam.affected[0]!.advisories[0]!, /^nvd:CVE-2021-36260:cpe:2\.3:o:hikvision:.* on ds-2cd2026g2-iu\/sl$/);
    assert.deepEqual(index.match({ vendor: "Hikvision", product: "DS-2CD2026G2-IU/SL", firmware: "V5.5.800" }).affected, [], "the fixed version");
    const sdk = index.match({ vendor: "Realtek", product: "Jungle Software Development Kit", firmware: "v3.4.14B" });
    assert.deepEqual(sdk.affected.map((c) => [c.cve, c.services]), [["CVE-2021-35394", ["udp/9034"]]]);
    assert.deepEqual(index.match({ vendor: "Realtek", product: "Jungle Software Development Kit", firmware: "3.4.15" }).affected, []);
  });

  it("is read from a file by `cordon vulns import`", () => {
    const dir = tmpDir("cordon-nvd-");
    writeFileSync(join(dir, "nvd.json"), JSON.stringify(NVD_PAGE));
    const r = runCli(["vulns", "import", "--db", join(dir, "v.db"), dir]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /0 CSAF, 0 CVE 5 and 2 NVD advisories read, 2 stored/);
  });
});

/** Random damage to a parsed JSON document: keys dropped, values of the wrong type, deep nesting. */
function damage(v: unknown, r: () => number, depth = 0): unknown {
  const pick = r();
  if (pick < 0.02) return null;
  if (pick < 0.04) return 12345;
  if (pick < 0.05) return "x".repeat(10_000);
  if (pick < 0.06) return [[[[[[[[{}]]]]]]]];
  if (pick < 0.07) return { branches: [{ branches: [{ branches: "no" }] }] };
  if (Array.isArray(v)) return v.filter(() => r() > 0.05).map((x) => damage(x, r, depth + 1));
  if (v && typeof v === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (r() > 0.05) out[k] = damage(x, r, depth + 1);
    return out;
  }
  return v;
}

describe("the advisory readers under hostile input", () => {
  it("never throw on damaged CSAF, CVE 5, NVD and KEV documents, and bound what they keep", { skip: HAVE_CORPUS ? false : "corpus absent" }, async () => {
    const dir = corpus("cisagov-CSAF/csaf_files/OT/white/2024");
    const docs: unknown[] = readdirSync(dir).slice(0, 40).map((f) => JSON.parse(readFileSync(join(dir, f), "utf8")));
    docs.push(JSON.parse(readFileSync(corpus("CVEProject-cvelistV5/cves/2022/38xxx/CVE-2022-38465.json"), "utf8")));
    docs.push({ ...JSON.parse(readFileSync(corpus("cisagov-kev-data/known_exploited_vulnerabilities.json"), "utf8")) as object });
    docs.push(NVD_PAGE);
    const r = rng(24);
    let read = 0;
    for (let round = 0; round < 6; round++) {
      for (const doc of docs) {
        const damaged = damage(doc, r);
        const file = await readAdvisoryDocument("fuzz.json", damaged);
        read += file.advisories.length;
        for (const a of file.advisories) {
          assert.ok(a.title.length <= 512 && a.id.length <= 128);
          for (const v of a.vulnerabilities) for (const p of v.products) {
            assert.ok(p.product.length <= 512 && p.vendor.length <= 256 + 256);
            assert.equal(typeof versionInRange("1.0", p.range).why, "string");
          }
        }
      }
    }
    assert.ok(read > 100, "most damaged documents are still read");
  });

  it("range and version text of any shape gives a verdict or 'cannot tell', never an exception", () => {
    const r = rng(7);
    const alphabet = "0123456789.vVrR<>=!|*_- /:abxSPHFvers";
    for (let i = 0; i < 20_000; i++) {
      const n = Math.floor(r() * 24);
      let s = "";
      for (let j = 0; j < n; j++) s += alphabet[Math.floor(r() * alphabet.length)];
      const range = parseRangeText(s);
      const v = versionInRange(s.replace(/[<>=|]/g, ""), range);
      assert.ok(v.inRange === true || v.inRange === false || v.inRange === undefined);
      parseVersion(s);
      parseCveVersion({ version: s, lessThan: r() < 0.3 ? s : undefined });
    }
    assert.equal(parseRangeText(`<${"1.".repeat(1000)}1`).kind, "unparsed");
  });
});

describe("device and asset lists under hostile input", () => {
  it("random bytes, CSV and JSON shapes give a clear input error or rows, never a crash", async () => {
    const { readDeviceList } = await import("../src/app/vulnerabilities.js");
    const { readAssetList } = await import("../src/app/assets.js");
    const { InputError } = await import("../src/app/errors.js");
    const dir = tmpDir("cordon-list-fuzz-");
    const r = rng(99);
    const seeds = [
      "id,vendor,product,firmware\n1,Siemens,S7,V1\n", "mac,ip,vendor,firmware\n00:11:22:33:44:55,,x,1\n",
      JSON.stringify([{ id: "a", vendor: "v", product: "p", firmware: "1", models: ["m"] }]), JSON.stringify([{ mac: "00:11:22:33:44:55", vendor: "v" }]),
    ];
    let rows = 0;
    for (let i = 0; i < 600; i++) {
      const seed = Buffer.from(seeds[i % seeds.length]!);
      const b = Buffer.from(seed);
      for (let k = 0; k < 1 + Math.floor(r() * 6); k++) b[Math.floor(r() * b.length)] = Math.floor(r() * 256);
      const file = join(dir, `f${i}.txt`);
      writeFileSync(file, r() < 0.1 ? b.subarray(0, Math.floor(r() * b.length)) : b);
      for (const read of [readDeviceList, readAssetList]) {
        try {
          rows += (read(file) as unknown[]).length;
        } catch (e) {
          assert.ok(e instanceof InputError, `${file}: ${(e as Error).stack}`);
          assert.ok((e as Error).message.startsWith(file), "the error names the file");
        }
      }
    }
    assert.ok(rows > 50, "many damaged lists still read");
  });
});
