import { before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync, writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { Store } from "../src/store/store.js";
import { importAdvisories } from "../src/app/vulnerabilities.js";
import { NO_CORPUS, corpus, runCli, tmpDir } from "./helpers.js";

const CSAF_DIR = "cisagov-CSAF/csaf_files/OT/white/2024";

interface MatchOut {
  id: string;
  vendor: string;
  product: string;
  firmware: string | null;
  cves: { cve: string; kev: boolean; cvss: number | null; advisories: string[]; reason: string; confidence: string }[];
  possible: { cve: string; reason: string }[];
}

/**
 * Devices taken from the corpus advisories, each with the CVE set read by hand from the
 * advisory files (product tree, range, product_status): boundary versions (equal to the fixed
 * version, one below), `vers:all`, per-line fixes, non-semver firmware, vendor aliases.
 */
const HAND_CHECKED: { device: [string, string, string, string, string]; affected: string[]; possible?: string[]; kev?: string[] }[] = [
  // icsa-24-284-01 and -10: 6ES7518-4AP00-0AB0 vers:all/<V3.1.4.
  { device: ["s7-1518-below", "SIEMENS AG", "SIMATIC S7-1500 CPU 1518-4 PN/DP", "V3.1.2", "6ES7 518-4AP00-0AB0"], affected: ["CVE-2024-46886", "CVE-2024-46887"] },
  { device: ["s7-1518-fixed", "Siemens", "SIMATIC S7-1500 CPU 1518-4 PN/DP", "V3.1.4", "6ES7518-4AP00-0AB0"], affected: [] },
  // … and CVE-2022-38465 (CVE 5): the S7-1500 CPU family below V2.9.2.
  { device: ["s7-1518-old", "Siemens", "SIMATIC S7-1500 CPU 1518-4 PN/DP", "V2.9.1", "6ES7518-4AP00-0AB0"], affected: ["CVE-2022-38465", "CVE-2024-46886", "CVE-2024-46887"] },
  // icsa-24-284-01: 6ES7214-1AG40-0XB0 vers:all/*; CVE-2022-38465: the S7-1200 CPU family below V4.5.0.
  { device: ["s7-1214", "Siemens", "SIMATIC S7-1200 CPU 1214C DC/DC/DC", "V4.4.0", "6ES7214-1AG40-0XB0"], affected: ["CVE-2022-38465", "CVE-2024-46886"] },
  { device: ["s7-1214-fixed", "Siemens", "SIMATIC S7-1200 CPU 1214C DC/DC/DC", "V4.5.0", "6ES7214-1AG40-0XB0"], affected: ["CVE-2024-46886"] },
  // icsa-24-261-03: >=R1.01.00|<R2.03.00.
  { device: ["yokogawa-below", "Yokogawa Electric Corporation", "Dual-redundant Platform for Computer (PC2CKM)", "R2.02.00", ""], affected: ["CVE-2024-8110"] },
  { device: ["yokogawa-fixed", "Yokogawa", "Dual-redundant Platform for Computer (PC2CKM)", "R2.03.00", ""], affected: [] },
  { device: ["yokogawa-unknown", "Yokogawa", "Dual-redundant Platform for Computer (PC2CKM)", "", ""], affected: [], possible: ["CVE-2024-8110"] },
  // icsa-24-109-01: vers:all/*, so affected whatever the firmware.
  { device: ["unitronics", "Unitronics", "Vision 230", "", ""], affected: ["CVE-2024-1480"] },
  // Rockwell under its other name. -226-09/-10: <v36.011_v35.013_v34.014 (v33 is older than every fix);
  // -284-20: <V33.017_…; -284-18: >v33.011|<v33.015 (excludes 33.011); -256-18 "5580 Process" v.33.011 is a variant.
  { device: ["controllogix-33.011", "Allen-Bradley", "ControlLogix 5580", "33.011", ""], affected: ["CVE-2024-6207", "CVE-2024-7507", "CVE-2024-7515"], possible: ["CVE-2024-6077"] },
  { device: ["controllogix-33.012", "Allen-Bradley", "ControlLogix 5580", "33.012", ""], affected: ["CVE-2024-6207", "CVE-2024-7507", "CVE-2024-7515", "CVE-2024-8626"] },
  // icsa-24-116-04: four release lines, each with its fix (<R510.2_HF14 … <R520.2_TCU4_HF2), 16 CVEs.
  { device: ["experion-hf13", "Honeywell", "Experion PKS", "R510.2 HF13", ""], affected: ["CVE-2023-5389", "CVE-2023-5390", "CVE-2023-5392", "CVE-2023-5393", "CVE-2023-5394", "CVE-2023-5395", "CVE-2023-5396", "CVE-2023-5397", "CVE-2023-5398", "CVE-2023-5400", "CVE-2023-5401", "CVE-2023-5403", "CVE-2023-5404", "CVE-2023-5405", "CVE-2023-5406", "CVE-2023-5407"] },
  { device: ["experion-fixed", "Honeywell", "Experion PKS", "R520.2 TCU4 HF2", ""], affected: [] },
  // icsa-24-011-05: <v9.3.5, under "Schneider".
  { device: ["easergy-below", "Schneider", "Easergy Studio", "9.3.4", ""], affected: ["CVE-2023-7032"] },
  { device: ["easergy-fixed", "Schneider", "Easergy Studio", "v9.3.5", ""], affected: [] },
  // icsa-24-179-04…07: <=Illustra.Ess4.01.02.10.5982, twice spelled "Essential".
  { device: ["illustra", "JCI", "Illustra Essentials Gen 4", "Illustra.Ess4.01.02.10.5982", ""], affected: ["CVE-2024-32755", "CVE-2024-32756", "CVE-2024-32757", "CVE-2024-32932"] },
  // CVE-2023-1389 (CVE 5, vendor "n/a"): before 1.14 Build 20230219; in KEV.
  { device: ["archer", "TP-Link", "Archer AX21 (AX1800)", "1.1.3 Build 20220101", ""], affected: ["CVE-2023-1389"], kev: ["CVE-2023-1389"] },
  // icsa-24-004-02: >=1.275M|<1.290C; -135-04 names "GT SoftGOT2000 Version1", which this name does not tell apart.
  { device: ["softgot", "Mitsubishi Electric Corporation", "GT SoftGOT2000", "1.280Q", ""], affected: ["CVE-2023-0286"], possible: ["CVE-2023-51776"] },
  { device: ["softgot-fixed", "Mitsubishi", "GT SoftGOT2000", "1.290C", ""], affected: [], possible: ["CVE-2023-51776"] },
  // icsa-24-235-03: firmware installed on the camera; MX-V4.1.4.11 affected, MX-V4.0.1.15 known not affected.
  { device: ["mobotix-affected", "MOBOTIX AG", "P3 D24M", "MX-V4.1.4.11", ""], affected: ["CVE-2023-34873"] },
  { device: ["mobotix-not", "Mobotix", "Mobotix P3 D24M", "MX-V4.0.1.15", ""], affected: [] },
  // icsma-24-151-02: <=1.52.
  { device: ["connex", "Baxter International", "Welch Allyn Connex Spot Monitor (CSM)", "1.52", ""], affected: ["CVE-2024-1275"] },
  { device: ["connex-fixed", "Baxter", "Welch Allyn Connex Spot Monitor (CSM)", "1.53", ""], affected: [] },
];

describe("vulnerabilities from the corpus advisories", { skip: NO_CORPUS }, () => {
  let dir = "";
  let db = "";
  before(() => {
    dir = tmpDir("cordon-vulns-");
    db = join(dir, "v.db");
  });

  it("imports all 344 CSAF 2024 advisories, the KEV catalogue and the CVE 5 records, and explains schema failures", () => {
    const r = runCli(["vulns", "import", "--db", db, "--format", "json", corpus("cisagov-CSAF"), corpus("cisagov-kev-data"), corpus("CVEProject-cvelistV5")]);
    assert.equal(r.status, 0, r.stderr);
    const report = JSON.parse(r.stdout) as { read: { csaf: number; cve5: number }; kev_entries: number; schema_failures: unknown[]; failed: unknown[]; skipped: { file: string }[] };
    const csafFiles = readdirSync(corpus(CSAF_DIR)).filter((f) => f.endsWith(".json")).length;
    assert.equal(csafFiles, 344);
    assert.equal(report.read.csaf, 344);
    assert.equal(report.read.cve5, 4);
    const kev = JSON.parse(readFileSync(corpus("cisagov-kev-data/known_exploited_vulnerabilities.json"), "utf8")) as { count: number };
    assert.equal(report.kev_entries, kev.count);
    assert.equal(report.failed.length, 0);
    // All 344 pass the official CSAF 2.0 schema: the count printed is the one the schema gives.
    assert.equal(report.schema_failures.length, 0);
    const text = runCli(["vulns", "import", "--db", join(dir, "again.db"), corpus(CSAF_DIR)]);
    assert.match(text.stdout, /344 CSAF, 0 CVE 5 and 0 NVD advisories read, 344 stored/);
    assert.match(text.stdout, /0 CSAF documents fail the CSAF 2\.0 schema/);
    // The feed index and the KEV schema are skipped with a reason, not read as advisories.
    assert.ok(report.skipped.some((s) => s.file.endsWith("cisa-csaf-ot-feed-tlp-white.json")));
  });

  it("imports a CSAF document that breaks the schema, and says where it breaks", async () => {
    const bad = join(dir, "bad");
    mkdirSync(bad, { recursive: true });
    const doc = JSON.parse(readFileSync(corpus(`${CSAF_DIR}/icsa-24-261-03.json`), "utf8")) as Record<string, Record<string, unknown>>;
    doc.document!.category = 42;
    delete doc.document!.publisher;
    writeFileSync(join(bad, "broken.json"), JSON.stringify(doc));
    writeFileSync(join(bad, "truncated.json"), "{\"document\": {");
    const store = new Store(join(dir, "bad.db"));
    try {
      const report = await importAdvisories(store, [bad], new Date().toISOString());
      assert.equal(report.read.csaf, 1, "the broken document is imported all the same");
      assert.equal(report.schemaFailures.length, 1);
      const errors = report.schemaFailures[0]!.errors.join("\n");
      assert.match(errors, /\/document\/category: must be string/);
      assert.match(errors, /must have required property 'publisher'/);
      assert.equal(report.failed.length, 1);
      assert.match(report.failed[0]!.note, /not JSON/);
      assert.deepEqual(store.advisories().map((a) => a.id), ["icsa-24-261-03"]);
    } finally {
      store.close();
    }
  });

  it("reads CVE 5 ranges and KEV flags", () => {
    const store = new Store(db, { readOnly: true });
    try {
      const cve = store.advisories().find((a) => a.id === "CVE-2022-38465")!;
      const s71200 = cve.vulnerabilities[0]!.products.find((p) => p.product.startsWith("SIMATIC S7-1200 CPU family"))!;
      assert.deepEqual(s71200.range, { kind: "constraints", constraints: [{ op: "<", version: "V4.5.0" }] });
      assert.equal(cve.vulnerabilities[0]!.cvss?.score, 9.3);
      const kev = store.kevEntries();
      assert.ok(kev.some((k) => k.cve === "CVE-2021-36260" && k.vendor === "Hikvision"));
    } finally {
      store.close();
    }
  });

  it("matches a dozen hand-checked devices to the CVE sets their advisories give", () => {
    const csv = ["id,vendor,product,firmware,model", ...HAND_CHECKED.map((h) => h.device.map((f) => (/[",]/.test(f) ? `"${f.replace(/"/g, '""')}"` : f)).join(","))].join("\n");
    const file = join(dir, "devices.csv");
    writeFileSync(file, `${csv}\n`);
    const r = runCli(["vulns", "match", "--db", db, file]);
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout) as MatchOut[];
    assert.equal(out.length, HAND_CHECKED.length);
    for (const [i, h] of HAND_CHECKED.entries()) {
      const got = out[i]!;
      assert.equal(got.id, h.device[0]);
      assert.deepEqual(got.cves.map((c) => c.cve).sort(), h.affected, `${got.id}: ${JSON.stringify(got.cves.map((c) => c.reason))}`);
      for (const p of h.possible ?? []) assert.ok(got.possible.some((c) => c.cve === p), `${got.id} possibly affected by ${p}`);
      for (const c of got.cves) {
        assert.equal(c.kev, (h.kev ?? []).includes(c.cve), `${got.id} ${c.cve} KEV flag`);
        assert.ok(c.advisories.length > 0 && c.reason.length > 0);
      }
    }
    const s7 = out.find((o) => o.id === "s7-1518-below")!;
    assert.deepEqual([s7.vendor, (s7 as MatchOut & { maker: string }).maker, s7.product, s7.firmware], ["SIEMENS AG", "Siemens", "SIMATIC S7-1500 CPU 1518-4 PN/DP", "V3.1.2"], "the device as given, and the maker as Cordon names it");
    const c = s7.cves.find((x) => x.cve === "CVE-2024-46886")!;
    assert.deepEqual(c.advisories, ["icsa-24-284-01:CSAFPID-0084"]);
    assert.match(c.reason, /model number 6ES7518-4AP00-0AB0; V3\.1\.2 <V3\.1\.4/);
    assert.equal(c.confidence, "high");
    assert.equal(c.cvss, 4.7);
  });

  it("takes the same devices as a JSON array, and prints a table when asked", () => {
    const file = join(dir, "devices.json");
    writeFileSync(file, JSON.stringify(HAND_CHECKED.slice(0, 3).map((h) => ({ id: h.device[0], vendor: h.device[1], product: h.device[2], firmware: h.device[3], model: h.device[4] }))));
    const json = JSON.parse(runCli(["vulns", "match", "--db", db, file]).stdout) as MatchOut[];
    assert.deepEqual(json.map((d) => d.cves.length), [2, 0, 3]);
    const table = runCli(["vulns", "match", "--db", db, "--format", "table", file]);
    assert.equal(table.status, 0);
    assert.match(table.stdout, /s7-1518-below .*CVE-2024-46886 +affected/);
  });
});

describe("vulns match refuses bad device lists", () => {
  it("names the file and the place of the first bad row", () => {
    const dir = tmpDir("cordon-vulns-bad-");
    const db = join(dir, "v.db");
    const cases: [string, string, RegExp][] = [
      ["no-header.csv", "a,b,c\n1,2,3\n", /header needs the columns id,vendor,product,firmware/],
      ["no-id.csv", "id,vendor,product,firmware\n,Siemens,S7,1\n", /line 2: a device needs an id/],
      ["long.json", JSON.stringify([{ id: "x", vendor: "v".repeat(300), product: "p", firmware: "1" }]), /item 1: vendor is longer than 256/],
      ["object.json", JSON.stringify([{ id: "x", vendor: { $ne: 1 }, product: "p" }]), /item 1: vendor must be text/],
      ["broken.json", "[{\"id\": ", /not JSON/],
      ["ragged.csv", "id,vendor,product,firmware\n1,2\n", /not CSV/],
    ];
    runCli(["vulns", "import", "--db", db, dir]);
    for (const [name, text, error] of cases) {
      writeFileSync(join(dir, name), text);
      const r = runCli(["vulns", "match", "--db", db, join(dir, name)]);
      assert.equal(r.status, 2, `${name}: ${r.stderr}`);
      assert.match(r.stderr, error, name);
    }
  });
});

describe("serve's advisory feeds", { skip: NO_CORPUS }, () => {
  it("fetches each feed on its period and imports it; a feed that fails is logged with its reason, and serve goes on", async () => {
    const { createServer } = await import("node:http");
    const { serve } = await import("./serve-process.js");
    const dir = tmpDir("cordon-feeds-");
    const doc = readFileSync(corpus(`${CSAF_DIR}/icsa-24-284-01.json`));
    const server = createServer((req, res) => {
      if (req.url === "/csaf/icsa-24-284-01.json") res.writeHead(200, { "content-type": "application/json" }).end(doc);
      else if (req.url === "/broken.json") res.writeHead(200).end("{ not json");
      else res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as { port: number }).port;
    // A port nothing listens on: one a server had, closed again.
    const gone = createServer();
    await new Promise<void>((r) => gone.listen(0, "127.0.0.1", r));
    const closed = (gone.address() as { port: number }).port;
    await new Promise((r) => gone.close(r));
    const db = join(dir, "f.db");
    const config = join(dir, "serve.yaml");
    writeFileSync(config, [`db: ${db}`, "advisories:", "  feeds:", `    - http://127.0.0.1:${port}/csaf/icsa-24-284-01.json`, `    - http://127.0.0.1:${port}/broken.json`,
      `    - http://127.0.0.1:${port}/gone.json`, `    - http://127.0.0.1:${closed}/refused.json`, "  timeout_ms: 2000"].join("\n"));
    const s = await serve(["--config", config]);
    try {
      const { waitFor } = await import("./serve-process.js");
      await waitFor(async () => s.logs.filter((l) => l.msg === "advisory feed imported" || l.msg === "advisory feed failed").length === 4, "four feeds tried", 20);
      const imported = s.logs.find((l) => l.msg === "advisory feed imported")!;
      assert.deepEqual([imported.advisories, imported.stored, imported.schemaFailures], [1, 1, 0]);
      const failed = s.logs.filter((l) => l.msg === "advisory feed failed").map((l) => [String(l.feed).replace(`:${port}/`, ":P/").replace(`:${closed}/`, ":C/"), String(l.reason)]);
      assert.deepEqual(failed.map(([f]) => f), ["http://127.0.0.1:P/broken.json", "http://127.0.0.1:P/gone.json", "http://127.0.0.1:C/refused.json"]);
      assert.match(failed[0]![1]!, /^not JSON: /);
      assert.deepEqual(failed.slice(1).map(([, r]) => r), ["HTTP 404", "cannot fetch: ECONNREFUSED"]);
      assert.equal(s.child.exitCode, null, "serve goes on");
    } finally {
      s.child.kill("SIGTERM");
      await s.exit;
      server.close();
    }
    const store = new Store(db, { readOnly: true });
    try {
      assert.deepEqual(store.advisories().map((a) => a.id), ["icsa-24-284-01"]);
    } finally {
      store.close();
    }
  });

  it("refuses a feed that is not https (plain http only from a loopback mirror), before fetching anything", async () => {
    const { importAdvisoryFeed } = await import("../src/app/vulnerabilities.js");
    const store = new Store(":memory:");
    try {
      const r = await importAdvisoryFeed(store, "http://198.51.100.7/feed.json", new Date().toISOString());
      assert.deepEqual(r.failed, [{ file: "http://198.51.100.7/feed.json", note: "feeds are fetched over https (http only from a loopback mirror)" }]);
      const { loadConfig } = await import("../src/serve/config.js");
      const dir = tmpDir("cordon-feeds-config-");
      writeFileSync(join(dir, "c.yaml"), "advisories:\n  feeds: [ftp://example.org/x.json]\n");
      assert.throws(() => loadConfig(join(dir, "c.yaml"), {}, {}), /advisories\.feeds\[0\]: an https URL/);
    } finally {
      store.close();
    }
  });
});
