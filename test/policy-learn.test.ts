import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { DEFAULT_LAB, generateLab } from "../src/lab/generate.js";
import { haveTool, runCli, tmpDir } from "./helpers.js";

interface Simulation { flows: number; dropped: number; drops: { src_ip: string; dst_ip: string; dst_port: number; reason: string }[] }

describe("policy learned from a site, simulated and compiled", () => {
  const dir = tmpDir("cordon-learn-");
  for (const d of ["clean", "attacked"]) mkdirSync(join(dir, d));
  const clean = generateLab(join(dir, "clean"), { ...DEFAULT_LAB, devices: 80, durationS: 1800, seed: 5 });
  const attacked = generateLab(join(dir, "attacked"), { ...DEFAULT_LAB, devices: 80, durationS: 1800, seed: 5, scenarios: ["all"] });
  const db = join(dir, "c.db");
  const policyFile = join(dir, "policy.json");

  it("learns groups by category and DNS-named cloud endpoints, and drops none of its own flows", () => {
    assert.equal(runCli(["analyze", "--db", db, clean.pcap]).status, 0);
    const r = runCli(["policy", "learn", "--db", db, "--out", policyFile]);
    assert.equal(r.status, 0, r.stderr);
    const f = JSON.parse(runCli(["policy", "learn", "--db", db, "--format", "json"]).stdout) as { policy: { groups: Record<string, string[]>; rules: { from: unknown; to: unknown; proto: string; ports: number[][] }[]; managed: string[] } };
    assert.ok(f.policy.groups["category:camera"].length > 1, "cameras form one group");
    assert.ok(f.policy.rules.some((x) => JSON.stringify(x.from) === '{"group":"category:nvr"}' && JSON.stringify(x.to) === '{"group":"category:camera"}' && x.proto === "tcp" && JSON.stringify(x.ports) === "[[554,554]]"),
      "one rule: NVR -> cameras rtsp");
    assert.ok(f.policy.rules.some((x) => typeof x.to === "object" && x.to !== null && "dns" in x.to), "cloud endpoints by DNS name");
    assert.ok(!f.policy.managed.some((k) => f.policy.groups["category:workstation"]?.includes(k)), "workstations are not managed by default");
    const sim = JSON.parse(runCli(["policy", "simulate", "--policy", policyFile, "--format", "json", clean.pcap]).stdout) as Simulation;
    assert.ok(sim.flows > 1000);
    assert.equal(sim.dropped, 0, JSON.stringify(sim.drops.slice(0, 5)));
  });

  it("drops the injected attacks of the same site (DGA lookups to the site's resolver stay allowed: detection's job)", () => {
    const sim = JSON.parse(runCli(["policy", "simulate", "--policy", policyFile, "--format", "json", attacked.pcap]).stdout) as Simulation;
    for (const s of attacked.scenarios) {
      const dropped = sim.drops.filter((d) => d.src_ip === s.source);
      if (s.name === "dga-dns") assert.equal(dropped.length, 0, "DNS to the resolver is allowed");
      else assert.ok(dropped.length > 0, `${s.name} from ${s.source} is dropped`);
    }
    const actors = new Set(attacked.scenarios.map((s) => s.source));
    const other = sim.drops.filter((d) => !actors.has(d.src_ip));
    assert.ok(other.length <= sim.flows * 0.01, `few drops besides the attacks: ${other.length} of ${sim.flows}`);
  });

  it("compiles the learned policy for every target; nft accepts it", () => {
    for (const target of ["nftables", "iptables", "ip6tables"]) {
      const r = runCli(["policy", "compile", "--policy", policyFile, "--target", target]);
      assert.equal(r.status, 0, `${target}: ${r.stderr}`);
    }
    for (const target of ["cisco-acl", "per-user-acl", "dacl", "nas-filter-rule"]) {
      const r = runCli(["policy", "compile", "--policy", policyFile, "--target", target, "--device", "category:camera"]);
      assert.equal(r.status, 0, `${target}: ${r.stderr}`);
      assert.ok(r.stdout.length > 0);
    }
    const missing = runCli(["policy", "compile", "--policy", policyFile, "--target", "dacl"]);
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /--device/);
    if (process.getuid?.() === 0 && haveTool("nft")) {
      const file = join(dir, "p.nft");
      writeFileSync(file, runCli(["policy", "compile", "--policy", policyFile, "--target", "nftables", "--mode", "enforce"]).stdout);
      const r = spawnSync("nft", ["-c", "-f", file], { encoding: "utf8" });
      assert.equal(r.status, 0, r.stderr);
    }
  });
});
