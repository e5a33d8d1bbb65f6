import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { ROOT, haveTool, tmpDir } from "./helpers.js";

/**
 * What a user installs: the package npm packs from this repository, installed into a prefix of
 * its own as `npm install -g` would, then run from there (no repository beside it). The build
 * in dist/ is the one `npm test` made; `npm pack --ignore-scripts` packs it as it is.
 */
describe("the packed package", { timeout: 600_000 }, () => {
  const version = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string }).version;
  const dir = tmpDir("cordon-pack-");
  let files: string[] = [];
  let tarball = "";
  let installed = "";

  it("holds what runs, the data it reads and the papers, not the sources, tests or benchmarks", () => {
    const out = execFileSync("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", dir], { cwd: ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    const packed = (JSON.parse(out) as { filename: string; files: { path: string }[] }[])[0];
    tarball = join(dir, packed.filename);
    files = packed.files.map((f) => f.path);
    for (const f of ["dist/src/cli/main.js", "dist/src/serve/ingest-worker.js", "dist/src/store/postgres-worker.js", "data/models/behaviour.json", "data/services/services.json", "dist/console/index.html",
      "LICENSE", "NOTICE", "README.md", "CHANGELOG.md", "examples/cordon.yaml", "examples/systemd/cordon.service", "package.json"]) {
      assert.ok(files.includes(f), `${f} is in the package`);
    }
    const strays = files.filter((f) => /^(src|test|bench|dist\/test|dist\/bench)\//.test(f) || f.endsWith(".map") || f.endsWith(".ts"));
    assert.deepEqual(strays, [], "no sources, tests, benchmarks or source maps");
    assert.ok(files.length < 450, `${files.length} files`);
  });

  it("installs into a prefix of its own and runs: --version, lab, analyze", () => {
    assert.ok(tarball, "packed by the test before");
    const prefix = join(dir, "prefix");
    // Dependencies come from npm's cache where `npm ci` left them; better-sqlite3 builds from source.
    const install = spawnSync("npm", ["install", "-g", "--prefix", prefix, tarball, "--no-audit", "--no-fund", "--prefer-offline"], { encoding: "utf8", timeout: 480_000 });
    assert.equal(install.status, 0, install.stderr);
    const cordon = join(prefix, "bin", "cordon");
    const work = tmpDir("cordon-installed-");
    const run = (args: string[]): string => execFileSync(cordon, args, { cwd: work, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    assert.equal(run(["--version"]).trim(), `cordon ${version}`);
    run(["lab", "--out", join(work, "lab"), "--devices", "6", "--duration", "120", "--seed", "2"]);
    const summary = JSON.parse(run(["analyze", "--db", join(work, "c.db"), "--format", "json", join(work, "lab", "lab.pcapng")])) as { stats: { flows: number }; devices: unknown[] };
    assert.ok(summary.devices.length >= 6 && summary.stats.flows > 0, JSON.stringify(summary.stats));
    assert.ok(run(["devices", "--db", join(work, "c.db")]).split("\n").length > 6);
    installed = cordon;
  });

  it("the systemd unit passes systemd-analyze verify, run as the installed cordon", { skip: haveTool("systemd-analyze") ? false : "systemd-analyze not installed" }, () => {
    assert.ok(installed, "installed by the test before");
    const work = tmpDir("cordon-unit-");
    const unit = readFileSync(join(ROOT, "examples", "systemd", "cordon.service"), "utf8");
    assert.match(unit, /^ExecStart=\/usr\/local\/bin\/cordon serve --config \/etc\/cordon\/cordon\.yaml$/m);
    for (const line of ["NoNewPrivileges=yes", "ProtectSystem=strict", "StateDirectory=cordon", "User=cordon", "AmbientCapabilities=CAP_NET_RAW CAP_NET_ADMIN", "CapabilityBoundingSet=CAP_NET_RAW CAP_NET_ADMIN"]) {
      assert.match(unit, new RegExp(`^${line}$`, "m"), line);
    }
    const file = join(work, "cordon.service");
    writeFileSync(file, unit.replace("/usr/local/bin/cordon", installed));
    const verify = spawnSync("systemd-analyze", ["verify", file], { encoding: "utf8" });
    const ours = verify.stderr.split("\n").filter((l) => l.includes("cordon.service"));
    assert.deepEqual(ours, [], verify.stderr);
    assert.equal(verify.status, 0, verify.stderr);
  });
});
