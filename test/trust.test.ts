import { before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Store } from "../src/store/store.js";
import { movePolicy, proposePolicy } from "../src/app/policies.js";
import { learnDevices } from "../src/app/site-devices.js";
import { addAssumption, assumptionRegister, raiseTrustAlerts, reviewAssumption, trustAnalysis, trustGraph, trustPaths, trustWhatIf } from "../src/app/trust.js";
import { analyzeCaptures } from "../src/app/analyze-captures.js";
import type { Actor } from "../src/app/actor.js";
import { resolvePolicy } from "../src/policy/resolve.js";
import type { Policy, PolicyRule } from "../src/policy/model.js";
import type { TrustStructure } from "../src/lab/trust-site.js";
import { weightOf } from "../src/trust/model.js";
import { buildTrustGraph } from "../src/trust/derive.js";
import { TrustAnalysis } from "../src/trust/analyze.js";
import { flatReach } from "../src/trust/reach.js";
import { graphDot, graphJson, graphMl, selectGraph } from "../src/trust/export.js";
import { reportHtml, reportMarkdown } from "../src/trust/report.js";
import { execFileSync, spawnSync } from "node:child_process";
import { S7_FUNCTIONS } from "../src/dissect/s7comm.js";
import { MODBUS_WRITES } from "../src/dissect/modbus.js";
import { CIP_OPERATIONS, CIP_TAG_OPERATIONS } from "../src/dissect/enip.js";
import { serve } from "./serve-process.js";
import { HAVE_CORPUS, NO_CORPUS, NO_TSHARK, captureRows, corpus, haveTool, runCli, tmpDir, tsharkFields } from "./helpers.js";

const proposer: Actor = { principal: "os:net-eng", name: "net-eng", via: "cli", role: "network" };
const approver: Actor = { principal: "os:ot-lead", name: "ot-lead", via: "cli", role: "ot-engineer" };

/** CVE-2017-17562 as a CVE JSON 5 record: the GoAhead web server's CGI flaw, on CISA's KEV list. */
const GOAHEAD_CVE = {
  dataType: "CVE_RECORD", dataVersion: "5.1",
  cveMetadata: { cveId: "CVE-2017-17562", assignerOrgId: "8254265b-2729-46b6-b9e3-3dfca2d5bfca", state: "PUBLISHED", datePublished: "2017-12-12T00:00:00Z" },
  containers: {
    cna: {
      providerMetadata: { orgId: "8254265b-2729-46b6-b9e3-3dfca2d5bfca" },
      descriptions: [{ lang: "en", value: "Embedthis GoAhead before 3.6.5 allows remote code execution if CGI is enabled and a CGI program is dynamically linked." }],
      affected: [{ vendor: "Embedthis", product: "GoAhead", versions: [{ version: "0", lessThan: "3.6.5", status: "affected", versionType: "custom" }] }],
      problemTypes: [{ descriptions: [{ lang: "en", description: "CWE-20", type: "CWE", cweId: "CWE-20" }] }],
      references: [{ url: "https://www.elttam.com.au/blog/goahead/" }],
    },
  },
};

const dev = (mac: string): string => `device:${mac}`;
/** A date this many days from now, YYYY-MM-DD. */
const day = (n: number): string => new Date(Date.now() + n * 86_400_000).toISOString().slice(0, 10);
const pairSet = (pairs: readonly [string, string][]): Set<string> => new Set(pairs.map(([a, b]) => `${dev(a)} > ${dev(b)}`));

/**
 * What the generator built, closed as an attacker would use it on a flat network: control along
 * operates, manages and updates; the community from any device that accepts it to every other
 * that does; and every camera that runs the known exploited web server, from anywhere.
 */
function expectedControl(start: string, s: TrustStructure, kev: boolean): Set<string> {
  const next = new Map<string, string[]>();
  for (const [a, b] of [...s.operates, ...s.manages, ...s.updates]) next.set(dev(a), [...(next.get(dev(a)) ?? []), dev(b)]);
  const nms = s.community[0];
  const acceptors = s.community.slice(1).map(dev);
  const seen = new Set([start]);
  const queue = [start];
  for (let i = 0; i < queue.length; i++) {
    const u = queue[i];
    const add = [...(next.get(u) ?? []), ...(u === dev(nms) || acceptors.includes(u) ? acceptors : []), ...(kev ? s.sdk.map(dev) : [])];
    for (const v of add) if (!seen.has(v)) {
      seen.add(v);
      queue.push(v);
    }
  }
  seen.delete(start);
  return seen;
}

describe("the trust graph of a lab plant with a known structure", () => {
  const dir = tmpDir("cordon-trust-");
  const db = join(dir, "trust.db");
  let s: TrustStructure;
  before(() => {
    const lab = runCli(["lab", "--site", "ot-trust", "--out", dir, "--duration", "1800"]);
    assert.equal(lab.status, 0, lab.stderr);
    s = (JSON.parse(readFileSync(join(dir, "labels.json"), "utf8")) as { trust: TrustStructure }).trust;
    const analyze = runCli(["analyze", "--db", db, join(dir, "lab.pcapng")]);
    assert.equal(analyze.status, 0, analyze.stderr);
  });

  it("derives exactly the control, credential and component links the generator built, each with evidence", () => {
    const r = runCli(["trust", "graph", "--db", db, "--format", "json"]);
    assert.equal(r.status, 0, r.stderr);
    const g = JSON.parse(r.stdout) as { nodes: { id: string; kind: string; label: string; plane?: string }[]; edges: { kind: string; from: string; to: string; detail?: string; evidence: unknown[]; first_seen?: string }[] };
    const of = (kind: string): Set<string> => new Set(g.edges.filter((e) => e.kind === kind).map((e) => `${e.from} > ${e.to}`));
    assert.deepEqual(of("operates"), pairSet(s.operates), "operates");
    assert.deepEqual(of("manages"), pairSet(s.manages), "manages");
    assert.deepEqual(of("updates"), pairSet(s.updates), "updates");
    const creds = g.nodes.filter((n) => n.kind === "credential");
    assert.equal(creds.length, 1, "one community, one credential node");
    assert.ok(!r.stdout.includes("plant-ops-rw"), "the community is not in the graph");
    assert.deepEqual(new Set(g.edges.filter((e) => e.kind === "holds-credential").map((e) => `${e.from} ${e.detail}`)),
      new Set(s.community.map((m, i) => `${dev(m)} ${i === 0 ? "uses" : "accepts"}`)));
    const sdk = g.nodes.find((n) => n.kind === "sdk");
    assert.equal(sdk?.label, "Embedthis GoAhead 2.5.0");
    assert.deepEqual(new Set(g.edges.filter((e) => e.kind === "runs" && e.to === sdk!.id).map((e) => e.from)), new Set(s.sdk.map(dev)));
    for (const e of g.edges.filter((x) => x.kind !== "member-of")) assert.ok(e.evidence.length > 0 && e.first_seen, `${e.kind} ${e.from} > ${e.to} carries evidence and when it was seen`);
    const services = new Set(g.edges.filter((e) => e.kind === "serves").map((e) => e.to));
    for (const [, plc] of s.operates.slice(0, 4)) assert.ok(services.has(`service:${plc}|tcp/102`), `the S7 service of ${plc}`);
    const planes = new Map(g.nodes.filter((n) => n.plane).map((n) => [n.id, n.plane]));
    assert.equal(planes.get(dev(s.operates[0][0])), "EWS");
    assert.equal(planes.get(dev(s.manages[0][0])), "vendor access");
    assert.equal(planes.get(dev(s.community[0])), "NMS");
    assert.equal(planes.get(dev(s.operates.at(-1)![0])), "BMS");
  });

  it("exports GraphML and DOT that their readers' syntax accepts, with the families asked for", () => {
    const ml = runCli(["trust", "graph", "--db", db, "--format", "graphml", "--families", "control"]);
    assert.equal(ml.status, 0, ml.stderr);
    assert.match(ml.stdout, /^<\?xml version="1.0" encoding="UTF-8"\?>\n<graphml /);
    assert.equal((ml.stdout.match(/<edge /g) ?? []).length, s.operates.length + s.manages.length + s.updates.length);
    const dot = runCli(["trust", "graph", "--db", db, "--format", "dot", "--families", "control,inheritance"]);
    assert.equal(dot.status, 0, dot.stderr);
    assert.match(dot.stdout, /^digraph "trust default" \{/);
    assert.match(dot.stdout, /-> "sdk:goahead\|2\.5\.0" \[label="runs component"/);
    assert.match(runCli(["trust", "graph", "--db", db, "--families", "friends"]).stderr, /--families: "friends" is not one of adjacency, control, inheritance, trust, structure/);
  });

  it("gives each management plane the blast radius the structure gives it, then adds the cameras once their web server's CVE is known exploited", () => {
    const starts = [s.operates[0][0], s.operates.at(-1)![0], s.manages[0][0], s.community[0], s.community[1], s.updates[0][0], s.internet.at(-1)!];
    for (const kev of [false, true]) {
      if (kev) {
        if (!HAVE_CORPUS) return;
        writeFileSync(join(dir, "CVE-2017-17562.json"), JSON.stringify(GOAHEAD_CVE));
        const imp = runCli(["vulns", "import", "--db", db, join(dir, "CVE-2017-17562.json"), corpus("cisagov-kev-data/known_exploited_vulnerabilities.json")]);
        assert.equal(imp.status, 0, imp.stderr);
      }
      for (const start of starts) {
        const r = runCli(["trust", "blast", start, "--db", db, "--format", "json", "--all"]);
        assert.equal(r.status, 0, r.stderr);
        const b = JSON.parse(r.stdout) as { controlled: { id: string; path: { how: string }[] }[]; reach_from: string; devices: number };
        assert.equal(b.reach_from, "no policy in force: the network is flat");
        assert.deepEqual(new Set(b.controlled.map((c) => c.id)), expectedControl(dev(start), s, kev), `blast radius of ${start}${kev ? " with the KEV" : ""}`);
        if (kev && !expectedControl(dev(start), s, false).has(dev(s.sdk[0]))) {
          assert.ok(b.controlled.some((c) => c.path.at(-1)!.how === "exploits CVE-2017-17562 (known exploited) in Embedthis GoAhead 2.5.0"), start);
        }
      }
    }
  });

  it("ranks the amplifiers by the criticality they bring under control, the vendor's cloud and box first", () => {
    const store = new Store(db, { readOnly: true });
    const g = trustGraph(store, undefined);
    store.close();
    const r = runCli(["trust", "amplifiers", "--db", db, "--format", "json", "--top", "100"]);
    assert.equal(r.status, 0, r.stderr);
    const list = (JSON.parse(r.stdout) as { amplifiers: { node: string; weight: number; controls: number }[] }).amplifiers;
    const kev = HAVE_CORPUS;
    for (const a of list.filter((x) => x.node.startsWith("device:"))) {
      const expected = expectedControl(a.node, s, kev);
      assert.equal(a.controls, expected.size, a.node);
      assert.equal(a.weight, [...expected].reduce((sum, id) => sum + weightOf(g.nodes.get(id)!.criticality), 0), a.node);
    }
    assert.equal(list[0].node, "external:vpn.talk2m.com", "the vendor's cloud commands the box that reaches the BMS");
    assert.equal(list[1].node, dev(s.manages[0][0]));
    for (let i = 1; i < list.length; i++) assert.ok(list[i - 1].weight >= list[i].weight, "highest weight first");
  });

  it("finds the paths from the internet to the PLCs through the engineering workstation, and none once a version cuts its internet access", () => {
    const store = new Store(db);
    try {
      const devices = learnDevices(store, "default");
      const by = (macs: string[]): string[] => macs;
      const groups: Record<string, string[]> = {
        ews: by([s.operates[0][0]]), hmi: by([s.operates[4][0]]), bms: by([s.operates.at(-1)![0]]), vendor: by([s.manages[0][0]]),
        s7: [...new Set(s.operates.slice(0, 4).map(([, b]) => b))], modbus: [...new Set(s.operates.slice(4, 7).map(([, b]) => b))],
        controllers: [...new Set(s.operates.slice(7).map(([, b]) => b))], workstations: s.internet.slice(2),
      };
      const rule = (id: string, from: string, to: string | { dns: string }, proto: "tcp" | "udp", port: number): PolicyRule =>
        ({ id, comment: `${from} -> ${typeof to === "string" ? to : to.dns} ${proto}/${port}`, from: { group: from }, to: typeof to === "string" ? { group: to } : to, proto, ports: [[port, port]], seen: 1 });
      const rules = [rule("ews-s7", "ews", "s7", "tcp", 102), rule("hmi-modbus", "hmi", "modbus", "tcp", 502), rule("bms-bacnet", "bms", "controllers", "udp", 47808),
        rule("vendor-vnc", "vendor", "bms", "tcp", 5900), rule("vendor-cloud", "vendor", { dns: "vpn.talk2m.com" }, "tcp", 443), rule("ws-web", "workstations", { dns: "login.microsoftonline.com" }, "tcp", 443)];
      const policy = (version: number, list: PolicyRule[]): Policy => ({ name: "plant", version, site: "default", mode: "enforce", groups, managed: devices.map((d) => d.key), rules: list, review: [] });
      const file = (p: Policy) => ({ policy: p, resolved: resolvePolicy(p, devices) });
      const withInternet = proposePolicy(store, file(policy(1, [...rules, rule("ews-support", "ews", { dns: "support.industry.siemens.com" }, "tcp", 443)])), proposer);
      movePolicy(store, String(withInternet.id), "approved", approver);
      const cut = proposePolicy(store, file(policy(2, rules)), proposer);

      const before = trustPaths(trustAnalysis(store, "default"), "internet", "plc");
      assert.equal(before.targets, 4, "the four S7 PLCs, through the EWS");
      for (const p of before.paths) {
        assert.deepEqual(p.path.map((h) => h.allowedBy), ["ews-support", "ews-s7"], "each hop names the rule that allows it");
        assert.equal(p.path[0].from, "zone:internet");
        assert.equal(p.path[1].from, dev(s.operates[0][0]));
      }
      const after = trustPaths(trustAnalysis(store, "default", { policy: String(cut.id) }), "internet", "plc");
      assert.equal(after.targets, 0, "no path once the EWS cannot reach the internet");
      const strict = trustPaths(trustAnalysis(store, "default", { policy: String(cut.id) }), "internet", "strict");
      assert.ok(strict.paths.some((p) => p.path.some((h) => h.allowedBy === "vendor-vnc")), "the vendor's box still reaches the BMS and its controllers");

      const lines = trustWhatIf(store, cut);
      assert.match(lines.join("\n"), /paths from the internet to life-safety\/physical-process devices: (\d+) -> (\d+)/);
      const [, b, a] = /: (\d+) -> (\d+)/.exec(lines[1])!;
      assert.ok(Number(a) < Number(b), lines.join("\n"));
      const diff = runCli(["policy", "diff", String(withInternet.id), String(cut.id), "--db", db]);
      assert.equal(diff.status, 0, diff.stderr);
      assert.match(diff.stdout, /trust, policy plant v1 \(approved\) -> policy plant v2 \(proposed\):\n {2}paths from the internet to life-safety\/physical-process devices: \d+ -> \d+/);
    } finally {
      store.close();
    }
  });

  it("keeps trust assumptions with a review date, and raises an alert when one expires and when the traffic contradicts it", () => {
    const store = new Store(db);
    try {
      const labStart = Date.UTC(2026, 0, 5, 8, 0, 0);
      const vendor = s.manages[0][0];
      const escort = addAssumption(store, proposer, {
        subject: vendor, statement: "the vendor's remote access is only used with an escort", owner: "OT lead", reason: "contract clause 7",
        reviewBy: "2026-06-30", onlyInMaintenance: true,
      }, labStart);
      const historian = addAssumption(store, proposer, {
        subject: s.operates[4][0], object: s.operates[4][1], statement: "the HMI trusts the PLC's values", owner: "process engineer", reason: "no second sensor", reviewBy: "2026-01-06",
      }, labStart);
      assert.match(runCli(["trust", "assume", "add", "--db", db, "--subject", "00:00:00:00:00:99", "--statement", "x", "--owner", "o", "--reason", "r", "--review", "2099-01-01"]).stderr, /no node "00:00:00:00:00:99" in the trust graph/);
      assert.match(runCli(["trust", "assume", "add", "--db", db, "--subject", vendor, "--statement", "x", "--owner", "o", "--reason", "r", "--review", "2026-02-30"]).stderr, /review-by: "2026-02-30" is not a date/);

      const labEnd = labStart + 1800_000;
      const register = assumptionRegister(store, "default", labEnd);
      const e = register.find((x) => x.id === escort.id)!;
      assert.deepEqual(e.status, ["contradicted"]);
      assert.ok(e.contradictions.flows > 0);
      assert.deepEqual(register.find((x) => x.id === historian.id)!.status, ["review-due-soon"]);

      const alerts = raiseTrustAlerts(store, "default", labStart + 2 * 86_400_000);
      assert.deepEqual(alerts.map((a) => a.class), ["trust-assumption", "trust-assumption"]);
      assert.match(alerts.find((a) => a.severity === "high")!.title, /The traffic contradicts trust assumption \d+ \("the vendor's remote access is only used with an escort"\): \d+ flows outside "only inside a maintenance window"/);
      assert.match(alerts.find((a) => a.severity === "medium")!.title, /Trust assumption \d+ is past its review date 2026-01-06: "the HMI trusts the PLC's values"/);
      assert.equal(raiseTrustAlerts(store, "default", labStart + 2 * 86_400_000).length, 2);
      assert.equal(store.alerts().filter((a) => a.class === "trust-assumption").length, 2, "a check run again grows the same alerts");

      // A maintenance window that covers the session, and a review: the escort assumption holds again.
      store.addMaintenanceWindow({ site: "default", target: vendor, startsAt: new Date(labStart).toISOString(), endsAt: new Date(labEnd).toISOString(), reason: "vendor visit", createdBy: "ot-lead", createdAt: new Date(labStart).toISOString() });
      reviewAssumption(store, approver, escort.id, { note: "escort windows declared", nextReview: "2026-12-31" }, labStart + 1000);
      assert.deepEqual(assumptionRegister(store, "default", labEnd).find((x) => x.id === escort.id)!.status, ["ok"]);
      const audit = runCli(["audit", "--db", db, "--format", "json"]);
      assert.match(audit.stdout, /"action": "trust.assume"/);
      assert.match(audit.stdout, /"action": "trust.review"/);
    } finally {
      store.close();
    }
  });

  it("answers the API: graph, blast radius, amplifiers, paths, the what-if in a policy's diff; assumptions by the roles the table names, audited with the person", async () => {
    for (const [name, role] of [["root", "admin"], ["otto", "ot-engineer"], ["ana", "analyst"], ["vic", "viewer"]] as const) assert.equal(runCli(["user", "add", name, "--role", role, "--db", db]).status, 0);
    const token = (user: string): string => runCli(["token", "add", "--user", user, "--name", "t", "--expires", "1", "--db", db]).stdout.trim();
    const [ot, analyst, viewer] = [token("otto"), token("ana"), token("vic")];
    writeFileSync(join(dir, "serve.yaml"), `db: ${db}\n`);
    const st = s;
    const server = await serve(["--config", join(dir, "serve.yaml")]);
    const call = async (t: string, method: "GET" | "POST", path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> => {
      const r = await fetch(`http://127.0.0.1:${server.httpPort}${path}`, { method, headers: { authorization: `Bearer ${t}`, ...(body ? { "content-type": "application/json" } : {}) }, body: body ? JSON.stringify(body) : undefined });
      return { status: r.status, body: (await r.json()) as Record<string, unknown> };
    };
    try {
      const control = await call(viewer, "GET", "/api/trust/graph?families=control");
      assert.equal(control.status, 200);
      assert.equal((control.body.edges as unknown[]).length, st.operates.length + st.manages.length + st.updates.length);
      assert.deepEqual((await call(viewer, "GET", "/api/trust/graph?families=friends")).body, { error: "families: a comma list of adjacency, control, inheritance, trust, structure", field: "families" });
      const ews = st.operates[0][0];
      const blast = await call(viewer, "GET", `/api/trust/nodes/${encodeURIComponent(ews)}/blast`);
      assert.equal(blast.status, 200, JSON.stringify(blast.body));
      const controlled = new Set((blast.body.controlled as { id: string }[]).map((c) => c.id));
      for (const [, plc] of st.operates.slice(0, 4)) assert.ok(controlled.has(dev(plc)), plc);
      assert.match(String((await call(viewer, "GET", "/api/trust/nodes/no-such-host/blast")).body.error), /no node "no-such-host" in the trust graph/);
      const amps = await call(viewer, "GET", "/api/trust/amplifiers?top=3");
      assert.equal((amps.body.items as unknown[]).length, 3);
      const paths = await call(viewer, "GET", "/api/trust/paths?to=plc");
      assert.equal(paths.status, 200);
      assert.equal(paths.body.targets, 4, "under the approved version with the EWS's internet access");
      const assumption = { subject: ews, statement: "the EWS is only used by the controls team", owner: "controls lead", reason: "badge access", review_by: day(100), only_hours: "6-18" };
      assert.equal((await call(analyst, "POST", "/api/trust/assumptions", assumption)).status, 403);
      const made = await call(ot, "POST", "/api/trust/assumptions", assumption);
      assert.equal(made.status, 200, JSON.stringify(made.body));
      assert.equal((await call(ot, "POST", "/api/trust/assumptions", { ...assumption, only_hours: "25-3" })).status, 400);
      const reviewed = await call(ot, "POST", `/api/trust/assumptions/${String(made.body.id)}/review`, { note: "still true", next_review: day(200) });
      assert.equal(reviewed.status, 200, JSON.stringify(reviewed.body));
      const listed = (await call(viewer, "GET", "/api/trust/assumptions")).body.items as { id: number; review_by: string; reviewed_by: string }[];
      assert.deepEqual(listed.filter((a) => a.id === made.body.id).map((a) => [a.review_by, a.reviewed_by]), [[day(200), "otto"]]);
      const audit = JSON.parse(runCli(["audit", "--db", db, "--format", "json"]).stdout) as { action: string; actor: string; role?: string }[];
      assert.ok(audit.some((e) => e.action === "trust.assume" && e.actor === "otto" && e.role === "ot-engineer"));
      const policies = (await call(viewer, "GET", "/api/policies")).body.items as { id: number; status: string }[];
      const diff = await call(viewer, "GET", `/api/policies/${policies.find((p) => p.status === "proposed")!.id}/diff`);
      assert.match((diff.body.trust as string[])[1], /paths from the internet to life-safety\/physical-process devices: \d+ -> \d+/);
    } finally {
      server.child.kill("SIGTERM");
      await server.exit;
    }
  });

  it("writes a report in Markdown and in HTML whose names cannot become markup", () => {
    const md = runCli(["trust", "report", "--db", db]);
    assert.equal(md.status, 0, md.stderr);
    assert.match(md.stdout, /^# Trust report: site default/);
    assert.match(md.stdout, /## Structural amplifiers/);
    assert.match(md.stdout, /## Paths from internet to life-safety\/physical-process devices/);
    const html = runCli(["trust", "report", "--db", db, "--format", "html", "--out", join(dir, "r.html")]);
    assert.equal(html.status, 0, html.stderr);
    const page = readFileSync(join(dir, "r.html"), "utf8");
    assert.match(page, /^<!doctype html>/);
    assert.ok(!/<script/i.test(page));
  });
});

/** The corpus's S7, Modbus and CIP captures that hold a download, stop or write tshark decodes (26 when this was written). */
const MIN_OPERATED = 20;

/** Operations tshark decodes in a capture, as actor > target address pairs. */
function tsharkOperations(file: string): Set<string> {
  const tshark = tsharkFields;
  const hex = (codes: number[]): string => codes.map((c) => `0x${c.toString(16)}`).join(", ");
  const s7 = Object.entries(S7_FUNCTIONS).map(([k]) => Number(k)).filter((k) => k !== 0x04);
  const pulled = [0x1b, 0x1c];
  const out = new Set<string>();
  const add = (rows: string[][], reverse = false): void => {
    for (const [a, b] of rows) if (a && b && a !== b) out.add(reverse ? `${b} > ${a}` : `${a} > ${b}`);
  };
  add(tshark(file, `s7comm.header.rosctr == 1 && s7comm.param.func in {${hex(s7.filter((c) => !pulled.includes(c)))}}`, ["ip.src", "ip.dst"]));
  add(tshark(file, `s7comm.header.rosctr == 1 && s7comm.param.func in {${hex(pulled)}}`, ["ip.src", "ip.dst"]), true);
  // Writes, and the diagnostics that restart a device's communications (1) or force it to listen only (4).
  add(tshark(file, `(modbus.func_code in {${Object.keys(MODBUS_WRITES).join(", ")}} || modbus.func_code == 8 && modbus.diagnostic_code in {1, 4}) && tcp.dstport == 502`, ["ip.src", "ip.dst"]));
  // Common services that change a device; Logix tag writes only on a symbolic path (0x4e elsewhere is the Connection Manager's Forward Close).
  const tcpOnly = ["-o", "tcp.analyze_sequence_numbers:FALSE"];
  add(tshark(file, `cip.rr == 0 && tcp && cip.sc in {${hex(Object.keys(CIP_OPERATIONS).map(Number))}}`, ["ip.src", "ip.dst"], tcpOnly));
  add(tshark(file, `cip.rr == 0 && tcp && cip.sc in {${hex(Object.keys(CIP_TAG_OPERATIONS).map(Number))}} && (cip.symbol || cip.class == 0x6b)`, ["ip.src", "ip.dst"], tcpOnly));
  return out;
}

describe("operates edges on the corpus OT captures equal the operations tshark decodes", { skip: NO_CORPUS || NO_TSHARK }, () => {
  let operated = 0;  const files = HAVE_CORPUS ? captureRows().filter((r) => r.linktype === "Ethernet" && (r.protocols.includes("s7comm") || r.protocols.includes("mbtcp") || r.protocols.includes("enip"))).map((r) => r.path) : [];
  for (const rel of files) {
    it(rel, async () => {
      const file = corpus(rel);
      const expected = tsharkOperations(file);
      const store = new Store(":memory:");
      try {
        await analyzeCaptures(store, [file], "default", { loopback: true });
        const g = trustGraph(store, "default");
        const ipOf = (id: string): string[] => g.nodes.get(id)?.ips ?? [];
        const got = new Set<string>();
        for (const e of g.edges.filter((x) => x.kind === "operates")) {
          for (const a of ipOf(e.from)) for (const b of ipOf(e.to)) if (expected.has(`${a} > ${b}`)) got.add(`${a} > ${b}`);
          assert.ok(ipOf(e.from).some((a) => ipOf(e.to).some((b) => expected.has(`${a} > ${b}`))), `operates ${e.from} > ${e.to} (${e.detail}) is an operation tshark decodes`);
        }
        assert.deepEqual([...got].sort(), [...expected].sort());
        if (expected.size > 0) operated++;
      } finally {
        store.close();
      }
    });
  }
  it("compares captures with downloads, stops and writes, not only captures without any", () => {
    assert.ok(operated >= MIN_OPERATED, `${operated} captures hold an operation`);
  });
});

describe("the trust graph's exports and report hold hostile names as text", () => {
  const hostile = `cam"];\n evil -> x [label="<script>alert(1)</script> & 'q' \u0007]]>`;
  const graph = buildTrustGraph({
    site: "site<1>", nowUs: 2_000_000_000_000_000, staleAfterS: 30 * 86400, policy: undefined, zones: [], assumptions: [], hostile: [], credentialKey: "k",
    sdkCves: () => [],
    pairs: [{ site: "site<1>", source: "", vlan: 0, proto: 6, srcMac: "02:00:00:00:00:01", srcIp: "10.0.0.1", srcPort: 0, dstMac: "02:00:00:00:00:02", dstIp: "10.0.0.2", dstPort: 22,
      count: 3, initiatorKnown: true, packetsSrcToDst: 0, bytesSrcToDst: 900, packetsDstToSrc: 0, bytesDstToSrc: 900, firstUs: 1_999_000_000_000_000, lastUs: 1_999_000_100_000_000, tcpFlagsSrc: 0, tcpFlagsDst: 0, endReason: "pair" }],
    devices: [
      { key: "02:00:00:00:00:01", mac: "02:00:00:00:00:01", ips: ["10.0.0.1"], category: "workstation", criticality: "standard", router: false, dnsAnswers: [], label: hostile, identity: {}, cves: [],
        facts: [{ kind: "snmp.community", value: "get public\"<x>", firstUs: 1, lastUs: 2 }] },
      { key: "02:00:00:00:00:02", mac: "02:00:00:00:00:02", ips: ["10.0.0.2"], category: "plc", criticality: "life-safety/physical-process", router: false, dnsAnswers: [], label: "plc & <b>", identity: {}, cves: [],
        facts: [{ kind: "http.server", value: `GoAhead-Webs/2.5.0 ${hostile}`, firstUs: 1, lastUs: 2 }, { kind: "snmp.community", value: "response public\"<x>", firstUs: 1, lastUs: 2 }] },
    ],
  });

  it("DOT that Graphviz draws with the names as labels, one node each", { skip: haveTool("dot") ? false : "Graphviz not installed (.ci/run installs it)" }, () => {
    const svg = execFileSync("dot", ["-Tsvg"], { input: graphDot(graph), encoding: "utf8" });
    assert.equal((svg.match(/class="node"/g) ?? []).length, selectGraph(graph).nodes.length);
    assert.ok(!svg.includes("<script>"), "the script is text in the drawing");
    assert.ok(svg.includes("&lt;script&gt;alert(1)&lt;/script&gt;"));
  });

  it("GraphML that NetworkX reads back with the names unchanged", { skip: haveTool("python3") ? false : "python3 missing" }, () => {
    const r = spawnSync("python3", ["-c", "import sys, json, networkx as nx\ng = nx.read_graphml(sys.stdin)\nprint(json.dumps({n: d.get('label') for n, d in g.nodes(data=True)}))"], { input: graphMl(graph), encoding: "utf8" });
    if (/No module named/.test(r.stderr)) return;
    assert.equal(r.status, 0, r.stderr);
    const labels = JSON.parse(r.stdout) as Record<string, string>;
    // XML cannot hold the bell character: it is written as "?"; the rest comes back as it was.
    assert.equal(labels["device:02:00:00:00:00:01"], hostile.replace("\u0007", "?"));
    assert.equal(labels["device:02:00:00:00:00:02"], "plc & <b>");
  });

  it("a report and an export with the community hashed, never in clear", () => {
    const text = JSON.stringify(graphJson(graph)) + graphMl(graph) + graphDot(graph);
    assert.ok(!text.includes("public"));
    assert.equal(graph.edges.filter((e) => e.kind === "holds-credential").map((e) => e.to).filter((v, i, a) => a.indexOf(v) === i).length, 1, "one community, one node");
    const html = reportHtml({ site: "site<1>", built: "now", reachFrom: "flat", nodes: {}, edges: {}, stale: 0, planes: [{ label: hostile, plane: "jump host", why: "<i>", devices: 1, controls: 1, weight: 1 }], amplifiers: [], paths: [], inherited: [], credentials: [], assumptions: [] });
    assert.ok(!/<script>|<i>/.test(html));
    const md = reportMarkdown({ site: "s", built: "now", reachFrom: "flat", nodes: {}, edges: {}, stale: 0, planes: [{ label: "a|b\n# c", plane: "NMS", why: "", devices: 1, controls: 1, weight: 1 }], amplifiers: [], paths: [], inherited: [], credentials: [], assumptions: [] });
    assert.match(md, /\| NMS \| a\\\|b \\# c \|/);
  });
});

describe("zones people declare", () => {
  it("takes devices, networks, VLANs and categories, refuses what is none of them, and is audited", () => {
    const dir = tmpDir("cordon-zones-");
    const db = join(dir, "z.db");
    assert.equal(runCli(["lab", "--site", "ot-trust", "--out", dir, "--duration", "900"]).status, 0);
    assert.equal(runCli(["analyze", "--db", db, join(dir, "lab.pcapng")]).status, 0);
    const s = (JSON.parse(readFileSync(join(dir, "labels.json"), "utf8")) as { trust: TrustStructure }).trust;
    const vendor = s.manages[0][0];
    for (const [args, error] of [
      [["Vendor Access", "--device", vendor], /zone name "Vendor Access": lower-case letters/],
      [["internet", "--device", vendor], /zone "internet" is built in/],
      [["vendor", "--cidr", "10.0.0.0/33"], /network "10.0.0.0\/33": not an IPv4 or IPv6 address or prefix/],
      [["vendor", "--category", "toaster"], /category "toaster": not one of/],
      [["vendor", "--vlan", "5000"], /VLAN 5000: not within 0-4094/],
      [["vendor"], /zone "vendor": no members/],
    ] as [string[], RegExp][]) {
      const r = runCli(["trust", "zone", "set", ...args, "--db", db]);
      assert.equal(r.status, 2, r.stderr);
      assert.match(r.stderr, error);
    }
    assert.equal(runCli(["trust", "zone", "set", "vendor-access", "--device", vendor.toUpperCase().replace(/:/g, "-"), "--db", db]).status, 0);
    assert.match(runCli(["trust", "zone", "list", "--db", db]).stdout, new RegExp(`vendor-access\\s+devices ${vendor}`));
    const r = runCli(["trust", "paths", "--from", "vendor-access", "--to", "building-controller", "--db", db, "--format", "json"]);
    assert.equal(r.status, 0, r.stderr);
    const paths = JSON.parse(r.stdout) as { entries: number; targets: number; paths: { path: { how: string }[] }[] };
    assert.equal(paths.entries, 1);
    assert.equal(paths.targets, new Set(s.operates.filter(([a]) => a === s.operates.at(-1)![0]).map(([, b]) => b)).size, "the box reaches every controller through the BMS");
    assert.match(runCli(["trust", "paths", "--from", "guest", "--to", "plc", "--db", db]).stderr, /no zone "guest" at site default \(zones: internet, vendor-access/);
    assert.match(runCli(["audit", "--db", db]).stdout, /trust\.zone/);
  });
});

describe("stale edges", () => {
  it("an edge not seen for the stale time before the site's newest traffic is kept, marked stale, and not used by blast radius", () => {
    const day = 86_400_000_000;
    const now = 2_000_000_000_000_000;
    const pair = (dstPort: number, dst: string, lastUs: number) => ({ site: "s", source: "", vlan: 0, proto: 6, srcMac: "02:00:00:00:00:01", srcIp: "10.0.0.1", srcPort: 0,
      dstMac: dst, dstIp: `10.0.0.${dst.slice(-1)}`, dstPort, count: 1, initiatorKnown: true, packetsSrcToDst: 0, bytesSrcToDst: 1, packetsDstToSrc: 0, bytesDstToSrc: 1,
      firstUs: lastUs - 1000, lastUs, tcpFlagsSrc: 0, tcpFlagsDst: 0, endReason: "pair" });
    const device = (n: number, category: string) => ({ key: `02:00:00:00:00:0${n}`, mac: `02:00:00:00:00:0${n}`, ips: [`10.0.0.${n}`], category, criticality: "standard", router: false, dnsAnswers: [], label: `d${n}`, identity: {}, cves: [], facts: [] });
    const build = (staleDays: number) => buildTrustGraph({
      site: "s", nowUs: now + 400 * day, staleAfterS: staleDays * 86400, zones: [], assumptions: [], hostile: [], credentialKey: "k", sdkCves: () => [],
      // SSH to d2 forty days before the newest traffic (to d3): a capture analysed a year later.
      pairs: [pair(22, "02:00:00:00:00:02", now - 40 * day), pair(22, "02:00:00:00:00:03", now)],
      // A CMDB import of today names d3's firmware: that is no traffic, and makes nothing else stale.
      devices: [device(1, "workstation"), device(2, "camera"), { ...device(3, "camera"), identity: { vendor: "Acme", product: "Cam", firmware: "1.0", firstUs: now + 300 * day, lastUs: now + 300 * day } }],
    });
    const g = build(30);
    const stale = g.edges.filter((e) => e.stale).map((e) => `${e.kind} ${e.to}`).sort();
    assert.deepEqual(stale, ["manages device:02:00:00:00:00:02", "serves service:02:00:00:00:00:02|tcp/22", "talks-to device:02:00:00:00:00:02"]);
    const blast = new TrustAnalysis(g, flatReach()).blast("device:02:00:00:00:00:01");
    assert.deepEqual(blast.controls.map((c) => c.id), ["device:02:00:00:00:00:03"]);
    assert.equal(build(60).edges.filter((e) => e.stale).length, 0, "with a longer stale time nothing is stale");
  });
});
