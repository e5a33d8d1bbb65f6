import { userInfo } from "node:os";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import type { FlowRecord } from "../src/model/flow-record.js";
import { diffPolicies, renderDiff } from "../src/policy/diff.js";
import { type LearnDevice, GroupSpecError, learnPolicy, validateGroupSpecs } from "../src/policy/learn.js";
import { checkTransition } from "../src/policy/lifecycle.js";
import { PolicyError, type ResolvedPolicy } from "../src/policy/model.js";
import { simulate } from "../src/policy/simulate.js";
import { DEFAULT_LAB, generateLab } from "../src/lab/generate.js";
import { runCli, tmpDir, unreviewedDrops } from "./helpers.js";

let t = 1_700_000_000_000_000;
function flow(src: string, dst: string, proto: number, dstPort: number, srcMac?: string): FlowRecord {
  t += 1_000_000;
  return {
    site: "default", source: "test", vlan: 0, proto, srcMac, srcIp: src, srcPort: 40000, dstIp: dst, dstPort, initiatorKnown: true,
    packetsSrcToDst: 3, bytesSrcToDst: 300, packetsDstToSrc: 3, bytesDstToSrc: 300, firstUs: t, lastUs: t + 1000, tcpFlagsSrc: 0, tcpFlagsDst: 0, endReason: "idle",
  };
}
const dev = (key: string, ip: string, category: string, criticality: string, extra: Partial<LearnDevice> = {}): LearnDevice =>
  ({ key, mac: key, ips: [ip], category, criticality, router: false, dnsAnswers: [], site: "default", vlan: 0, ...extra });

describe("criticality sets how far learned internet rules reach", () => {
  const devices = [
    dev("00:00:00:00:00:01", "10.0.0.1", "plc", "life-safety/physical-process"),
    dev("00:00:00:00:00:02", "10.0.0.2", "camera", "sensitive-data", { dnsAnswers: [{ name: "cloud.example.com", type: "A", data: "52.1.2.3" }] }),
    dev("00:00:00:00:00:03", "10.0.0.3", "voip-phone", "standard"),
    dev("00:00:00:00:00:04", "10.0.0.4", "smart-plug", "low"),
  ];
  const flows = [
    flow("10.0.0.1", "93.184.216.34", 6, 443, "00:00:00:00:00:01"),
    flow("10.0.0.2", "52.1.2.3", 6, 443, "00:00:00:00:00:02"),
    flow("10.0.0.2", "198.51.100.7", 6, 8443, "00:00:00:00:00:02"),
    flow("10.0.0.3", "198.51.100.7", 17, 5060, "00:00:00:00:00:03"),
    flow("10.0.0.4", "203.0.113.77", 6, 443, "00:00:00:00:00:04"),
    flow("10.0.0.1", "10.0.0.2", 6, 502, "00:00:00:00:00:01"),
  ];
  const p = learnPolicy(devices, flows, { name: "t", site: "default" });
  const targets = (group: string): string[] => p.rules.filter((r) => JSON.stringify(r.from) === JSON.stringify({ group })).map((r) => JSON.stringify(r.to));

  it("life-safety: internal rules only, the internet flow goes to review", () => {
    assert.deepEqual(targets("category:plc"), ['{"group":"category:camera"}']);
    assert.ok(p.review.some((x) => x.includes("00:00:00:00:00:01") && x.includes("93.184.216.34")));
  });
  it("sensitive-data: the DNS-named endpoint only; the bare address goes to review", () => {
    assert.deepEqual(targets("category:camera"), ['{"dns":"cloud.example.com"}']);
    assert.ok(p.review.some((x) => x.includes("198.51.100.7") && x.includes("sensitive-data")));
  });
  it("standard: the exact address; low: its /24", () => {
    assert.deepEqual(targets("category:voip-phone"), ['{"cidr":"198.51.100.7/32"}']);
    assert.deepEqual(targets("category:smart-plug"), ['{"cidr":"203.0.113.0/24"}']);
  });
});

describe("groups a person defines", () => {
  it("join devices by criticality, VLAN or explicit list before categories", () => {
    const devices = [
      dev("00:00:00:00:00:01", "10.0.0.1", "plc", "life-safety/physical-process", { vlan: 20 }),
      dev("00:00:00:00:00:02", "10.0.0.2", "hmi", "life-safety/physical-process", { vlan: 20 }),
      dev("00:00:00:00:00:03", "10.0.0.3", "camera", "sensitive-data", { vlan: 30 }),
      dev("00:00:00:00:00:04", "10.0.0.4", "camera", "sensitive-data", { vlan: 31 }),
    ];
    const groups = validateGroupSpecs([{ name: "cell-1", vlan: 20 }, { name: "lobby-cam", devices: ["00:00:00:00:00:04"] }]);
    const p = learnPolicy(devices, [flow("10.0.0.2", "10.0.0.1", 6, 502, "00:00:00:00:00:02"), flow("10.0.0.4", "10.0.0.3", 6, 554, "00:00:00:00:00:04")], { name: "t", site: "default", groups });
    assert.deepEqual(p.groups["cell-1"], ["00:00:00:00:00:01", "00:00:00:00:00:02"]);
    assert.deepEqual(p.groups["lobby-cam"], ["00:00:00:00:00:04"]);
    assert.deepEqual(p.groups["category:camera"], ["00:00:00:00:00:03"]);
    assert.ok(p.rules.some((r) => JSON.stringify(r.from) === '{"group":"cell-1"}' && JSON.stringify(r.to) === '{"group":"cell-1"}'));
  });
  it("bad definitions are refused with the place named", () => {
    const bad: [unknown, RegExp][] = [
      [{ name: "x" }, /^groups: expected a list/],
      [[{ name: "x" }], /groups\[0\]: a group needs at least one selector/],
      [[{ name: "x", vlan: 5000 }], /groups\[0\]\.vlan/],
      [[{ name: "x", vlan: 1 }, { name: "x", site: "a" }], /groups\[1\]\.name/],
      [[{ name: "x", colour: "red" }], /groups\[0\]\.colour: unknown key/],
      [[{ name: "category:plc", vlan: 1 }], /reserved/],
    ];
    for (const [doc, re] of bad) assert.throws(() => validateGroupSpecs(doc), (e: Error) => e instanceof GroupSpecError && re.test(e.message), JSON.stringify(doc));
  });
});

describe("policy versions", () => {
  it("the life of a version: proposed -> approved -> enforced -> superseded, nothing skips approval", () => {
    checkTransition(1, "proposed", "approved");
    checkTransition(1, "approved", "enforced");
    checkTransition(1, "enforced", "superseded");
    assert.throws(() => checkTransition(1, "proposed", "enforced"), (e: Error) => e instanceof PolicyError && /policy 1 is proposed: it can only become approved or rejected, not enforced/.test(e.message));
    assert.throws(() => checkTransition(2, "rejected", "approved"), /can no longer change/);
  });

  it("a diff lists rules added, removed and re-ported, and group membership", () => {
    const devices = [dev("00:00:00:00:00:01", "10.0.0.1", "camera", "standard"), dev("00:00:00:00:00:02", "10.0.0.2", "nvr", "standard"), dev("00:00:00:00:00:03", "10.0.0.3", "camera", "standard")];
    const a = learnPolicy(devices.slice(0, 2), [flow("10.0.0.2", "10.0.0.1", 6, 554, "00:00:00:00:00:02"), flow("10.0.0.1", "198.51.100.1", 6, 443, "00:00:00:00:00:01")], { name: "t", site: "default" });
    const b = learnPolicy(devices, [flow("10.0.0.2", "10.0.0.1", 6, 554, "00:00:00:00:00:02"), flow("10.0.0.2", "10.0.0.3", 6, 80, "00:00:00:00:00:02"), flow("10.0.0.1", "10.0.0.2", 17, 123, "00:00:00:00:00:01")], { name: "t", site: "default" });
    const d = diffPolicies(a, b);
    assert.deepEqual(d.rulesChanged.map((c) => [c.portsAdded, c.portsRemoved]), [[[[80, 80]], []]]);
    assert.deepEqual(d.rulesAdded.map((r) => r.comment.split(" (")[0]), ["category:camera -> category:nvr udp/123"]);
    assert.deepEqual(d.rulesRemoved.map((r) => r.comment.split(" (")[0]), ["category:camera -> 198.51.100.1/32 tcp/443"]);
    assert.deepEqual(d.groups, [{ name: "category:camera", added: ["00:00:00:00:00:03"], removed: [] }]);
    assert.deepEqual(d.managedAdded, ["00:00:00:00:00:03"]);
    assert.deepEqual(renderDiff(diffPolicies(b, b)), ["no changes"]);
  });

  it("are stored with who moved them when; compile and simulate take a stored id", () => {
    const dir = tmpDir("cordon-versions-");
    const lab = generateLab(dir, { ...DEFAULT_LAB, devices: 40, durationS: 900, seed: 8 });
    const db = join(dir, "c.db");
    assert.equal(runCli(["analyze", "--db", db, lab.pcap]).status, 0);
    const first = runCli(["policy", "learn", "--db", db]);
    assert.equal(first.status, 0, first.stderr);
    assert.match(first.stdout, /^policy 1: learned-default version 1, proposed: \d+ rules/);
    writeFileSync(join(dir, "groups.yaml"), "groups:\n  - name: ot\n    criticality: life-safety/physical-process\n");
    const second = runCli(["policy", "learn", "--db", db, "--groups", join(dir, "groups.yaml")]);
    assert.match(second.stdout, /^policy 2: learned-default version 2/);
    assert.match(second.stdout, /policy 1 \(learned-default v1\) -> policy 2 \(learned-default v2\)\n(.|\n)*\+ ot: /, "learning shows the diff from the previous version");
    const early = runCli(["policy", "enforce", "2", "--db", db]);
    assert.equal(early.status, 2);
    assert.match(early.stderr, /policy 2 is proposed: it can only become approved or rejected, not enforced/);
    assert.match(runCli(["policy", "approve", "2", "--db", db, "--by", "erin"]).stderr, /--by is not taken: Cordon records the operating-system user/);
    for (const [cmd, id] of [["approve", "1"], ["enforce", "1"], ["approve", "2"], ["enforce", "2"]]) {
      const r = runCli(["policy", cmd, id, "--db", db, "--reason", `${cmd} in test`]);
      assert.equal(r.status, 0, r.stderr);
    }
    const list = JSON.parse(runCli(["policy", "list", "--db", db, "--format", "json"]).stdout) as { id: number; status: string }[];
    assert.deepEqual(list.map((p) => [p.id, p.status]), [[2, "enforced"], [1, "superseded"]]);
    const one = JSON.parse(runCli(["policy", "show", "1", "--db", db, "--format", "json"]).stdout) as { history: { action: string; actor: string; note?: string }[] };
    assert.deepEqual(one.history.map((e) => `${e.action}:${e.actor}`), ["proposed", "approved", "enforced", "superseded"].map((a) => `${a}:${userInfo().username}`));
    assert.equal(one.history[3].note, "by policy 2");
    const diff = JSON.parse(runCli(["policy", "diff", "1", "2", "--db", db, "--format", "json"]).stdout) as { groups: { name: string }[] };
    assert.ok(diff.groups.some((g) => g.name === "ot"));
    const nft = runCli(["policy", "compile", "--policy", "2", "--db", db, "--target", "nftables"]);
    assert.equal(nft.status, 0, nft.stderr);
    assert.match(nft.stdout, /version 2/);
    const sim = JSON.parse(runCli(["policy", "simulate", "--policy", "2", "--db", db, "--format", "json", lab.pcap]).stdout) as { drops: { src_mac: string | null; dst_ip: string }[] };
    const review = (JSON.parse(runCli(["policy", "show", "2", "--db", db, "--format", "json"]).stdout) as { policy: { review: string[] } }).policy.review;
    assert.deepEqual(unreviewedDrops(sim.drops, review), [], "a learned policy drops none of its own flows but those it lists for review");
    assert.match(runCli(["policy", "show", "9", "--db", db]).stderr, /no policy 9/);
  });
});

describe("simulation", () => {
  it("matches exact addresses and IPv4 and IPv6 prefixes, each family apart", () => {
    const p: ResolvedPolicy = {
      name: "t", version: 1, mode: "enforce", managed: "managed",
      sets: [
        { name: "managed", v4: ["10.0.0.1"], v6: ["fd00::1"], members: [] },
        { name: "cloud", v4: ["203.0.113.0/24"], v6: ["2001:db8:5::/48"], members: [] },
        { name: "low", v4: [], v6: ["::/96"], members: [] },
      ],
      rules: [
        { id: "r1", comment: "", from: "managed", to: "cloud", proto: "tcp", ports: [[443, 443]] },
        { id: "r2", comment: "", from: "managed", to: "low", proto: "udp", ports: [[53, 53]] },
      ],
    };
    const verdicts = simulate(p, [
      flow("10.0.0.1", "203.0.113.9", 6, 443), flow("fd00::1", "2001:db8:5:ffff::3", 6, 443), flow("fd00::1", "2001:db8:6::3", 6, 443),
      flow("10.0.0.1", "203.0.114.1", 6, 443), flow("10.0.0.1", "0.0.0.53", 17, 53), flow("10.9.9.9", "10.9.9.8", 6, 22),
    ]);
    assert.deepEqual(verdicts.map((v) => `${v.allowed ? "allow" : "drop"} ${v.allowed ? v.reason : ""}`.trim()), [
      "allow r1", "allow r1", "drop", "drop", "drop", "allow no managed device takes part",
    ]);
  });
});
