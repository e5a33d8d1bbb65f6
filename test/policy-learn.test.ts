import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { DEFAULT_LAB, generateLab } from "../src/lab/generate.js";
import type { Alert } from "../src/model/alert.js";
import type { FlowRecord } from "../src/model/flow-record.js";
import { leaveOutAttacks } from "../src/policy/clean-flows.js";
import { haveTool, runCli, tmpDir, unreviewedDrops } from "./helpers.js";

interface Simulation { flows: number; dropped: number; drops: { src_ip: string; src_mac: string | null; dst_ip: string; dst_port: number; reason: string }[] }

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
    const review = (JSON.parse(readFileSync(policyFile, "utf8")) as { policy: { review: string[] } }).policy.review;
    const unexpected = unreviewedDrops(sim.drops, review);
    assert.equal(unexpected.length, 0, JSON.stringify(unexpected.slice(0, 5)));
  });

  it("drops the injected attacks of the same site (DGA lookups to the site's resolver stay allowed: detection's job)", () => {
    const sim = JSON.parse(runCli(["policy", "simulate", "--policy", policyFile, "--format", "json", attacked.pcap]).stdout) as Simulation;
    for (const s of attacked.scenarios) {
      const dropped = sim.drops.filter((d) => d.src_ip === s.source);
      if (s.name === "dga-dns") assert.equal(dropped.filter((d) => d.dst_port === 53).length, 0, "DNS to the resolver is allowed");
      else assert.ok(dropped.length > 0, `${s.name} from ${s.source} is dropped`);
    }
    const actors = new Set(attacked.scenarios.map((s) => s.source));
    const other = sim.drops.filter((d) => !actors.has(d.src_ip));
    assert.ok(other.length <= sim.flows * 0.01, `few drops besides the attacks: ${other.length} of ${sim.flows}`);
  });

  it("learns from clean traffic only: an attacked site's scan and brute force become no rule, and review names the alerts", () => {
    const adb = join(dir, "attacked.db");
    assert.equal(runCli(["analyze", "--db", adb, attacked.pcap]).status, 0);
    const alerts = JSON.parse(runCli(["alerts", "--db", adb, "--format", "json", "--all"]).stdout) as { id: string; class: string; source: string }[];
    const r = runCli(["policy", "learn", "--db", adb]);
    assert.equal(r.status, 0, r.stderr);
    const f = JSON.parse(runCli(["policy", "show", "--db", adb, "--format", "json"]).stdout) as { policy: { groups: Record<string, string[]>; rules: { from: { group?: string }; to: { group?: string }; proto: string; ports: number[][] }[]; review: string[] } };
    const scan = alerts.find((a) => a.class === "scan" && a.source === attacked.scenarios.find((s) => s.name === "port-scan")!.source)!;
    assert.ok(scan, "the port scan was alerted");
    assert.ok(f.policy.review.some((x) => x.startsWith(`left out of learning: `) && x.includes(`alert ${scan.id} (scan)`)), f.policy.review.join("\n"));
    assert.match(r.stdout, new RegExp(`left out of learning: \\d+ flows of alert ${scan.id}`));
    // No rule opens a wide port range (the scan probed 1-1024) or telnet (the brute force).
    for (const rule of f.policy.rules) {
      const width = rule.ports.reduce((n, [lo, hi]) => n + hi - lo + 1, 0);
      assert.ok(width < 100, `a rule as wide as a scan: ${JSON.stringify(rule)}`);
      assert.ok(!rule.ports.some(([lo, hi]) => (lo <= 23 && 23 <= hi) || (lo <= 2323 && 2323 <= hi)), `a telnet rule: ${JSON.stringify(rule)}`);
    }
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

describe("clean flows for learning", () => {
  const T = 1_700_000_000_000_000;
  const flow = (src: string, dst: string, port: number, t: number): FlowRecord => ({
    site: "default", source: "t", vlan: 0, proto: 6, srcIp: src, srcPort: 40000, dstIp: dst, dstPort: port, initiatorKnown: true,
    packetsSrcToDst: 3, bytesSrcToDst: 200, packetsDstToSrc: 3, bytesDstToSrc: 200, firstUs: t, lastUs: t + 1000, tcpFlagsSrc: 0x1b, tcpFlagsDst: 0x1b, endReason: "idle",
  });
  const alert = (p: Partial<Alert>): Alert => ({
    id: "a1", detector: "d", class: "brute-force", severity: "high", technique: "", site: "default", source: "10.0.0.66", target: "10.0.0.5",
    title: "t", firstUs: T, lastUs: T + 60_000_000, count: 8, evidence: { packets: [], flows: [], observations: [] }, status: "open", ...p,
  });
  it("leaves out an alert's flows (to its target, in its window), a scan's to any host, and a quarantined device's", () => {
    const flows = [
      flow("10.0.0.66", "10.0.0.5", 23, T + 1_000_000), // the brute force
      flow("10.0.0.66", "10.0.0.7", 443, T + 1_000_000), // the same host's other work, elsewhere
      flow("10.0.0.66", "10.0.0.5", 23, T + 3_600_000_000), // an hour later: outside the episode
      flow("10.0.0.99", "10.0.0.1", 80, T + 1_000_000), // a scanner's probe
      flow("10.0.0.99", "10.0.0.2", 81, T + 2_000_000), // and another host
      flow("10.0.0.50", "10.0.0.1", 53, T + 10_000_000), // a quarantined device
      flow("10.0.0.51", "10.0.0.1", 53, T + 10_000_000), // a clean one
    ];
    const r = leaveOutAttacks(flows, [
      alert({}), alert({ id: "s1", class: "scan", source: "10.0.0.99", target: "10.0.0.1" }),
      alert({ id: "x1", class: "new-peer", source: "10.0.0.51" }), alert({ id: "x2", class: "scan", source: "10.0.0.51", status: "suppressed" }),
    ], [{ mac: "aa:bb:cc:00:00:50", ips: ["10.0.0.50"], fromUs: T }]);
    assert.deepEqual(r.clean.map((f) => `${f.srcIp}>${f.dstIp}:${f.dstPort}`), ["10.0.0.66>10.0.0.7:443", "10.0.0.66>10.0.0.5:23", "10.0.0.51>10.0.0.1:53"]);
    assert.deepEqual(r.leftOut, [{ reason: "alert a1 (brute-force): t", flows: 1 }, { reason: "alert s1 (scan): t", flows: 2 }, { reason: "quarantine of aa:bb:cc:00:00:50", flows: 1 }]);
    // A PLC download is the engineering workstation's work, and an attack from anyone else.
    const download = [flow("10.0.0.40", "10.0.0.30", 102, T + 1_000_000), flow("10.0.0.41", "10.0.0.30", 102, T + 1_000_000)];
    const ot = leaveOutAttacks(download, [alert({ id: "o1", class: "ot-operation", source: "10.0.0.40", target: "10.0.0.30" }), alert({ id: "o2", class: "ot-operation", source: "10.0.0.41", target: "10.0.0.30" })],
      [], new Set(["10.0.0.40"]));
    assert.deepEqual(ot.clean.map((f) => f.srcIp), ["10.0.0.40"]);
  });
});
