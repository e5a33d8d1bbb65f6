import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { userInfo } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import Database from "better-sqlite3";
import { CLI, haveTool, runCli, tmpDir } from "./helpers.js";
import { type Serving, serve, waitFor } from "./serve-process.js";

/**
 * The local API as an attacker on the same host meets it (loopback only): closed by default,
 * values parsed at the edge, every action audited. The nftables quarantine runs in a network
 * namespace of the test's own, with an operator's ruleset that an injection must not touch.
 */

const IS_ROOT = process.getuid?.() === 0;
const NO_NFT = !IS_ROOT ? "needs root (a network namespace of its own)" : !haveTool("nft") || !haveTool("ip") ? "nft or ip missing (run .ci/run, which installs them)" : false;

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One raw HTTP request, so Host, Origin and methods can be anything. */
function raw(port: number, method: string, path: string, headers: Record<string, string>, body?: string | Buffer): Promise<Reply> {
  return new Promise((resolve, reject) => {
    // A body always with its length: Node's client sends none for DELETE and OPTIONS, which would make it a second request.
    const sized = body === undefined ? headers : { ...headers, "content-length": String(Buffer.byteLength(body)) };
    const req = request({ host: "127.0.0.1", port, method, path, headers: sized, setHost: !("host" in headers) }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

describe("serve's API: closed by default, values parsed at the edge, actions audited", { skip: NO_NFT }, () => {
  const dir = tmpDir("cordon-hostile-api-");
  const db = join(dir, "c.db");
  const ns = `ch${process.pid % 100000}`;
  let s: Serving;
  let token = "";
  let port = 0;
  let victim = "";
  let victimIps: string[] = [];
  const auth = (): Record<string, string> => ({ authorization: `Bearer ${token}` });
  const json = (): Record<string, string> => ({ ...auth(), "content-type": "application/json" });
  const ruleset = (): string => execFileSync("ip", ["netns", "exec", ns, "nft", "list", "ruleset"], { encoding: "utf8" });
  const OPERATOR = "table inet operator {\n\tchain input {\n\t\ttype filter hook input priority filter; policy accept;\n\t\ttcp dport 22 counter accept\n\t}\n}\n";

  before(async () => {
    // A site with devices, so a quarantine has addresses to put in the firewall set.
    assert.equal(runCli(["analyze", "--demo", "--db", db, "--format", "json"]).status, 0);
    const devices = JSON.parse(runCli(["devices", "--db", db, "--format", "json"]).stdout) as { mac: string; ips: string[] }[];
    const withAddress = devices.find((d) => d.mac && d.ips.some((ip) => ip.includes(".")))!;
    victim = withAddress.mac;
    victimIps = withAddress.ips.filter((ip) => ip.includes("."));
    spawnSync("ip", ["netns", "del", ns], { stdio: "ignore" });
    execFileSync("ip", ["netns", "add", ns]);
    execFileSync("ip", ["netns", "exec", ns, "nft", "-f", "-"], { input: OPERATOR });
    const nft = join(dir, "nft-in-ns");
    writeFileSync(nft, `#!/bin/sh\nexec ip netns exec ${ns} nft "$@"\n`);
    chmodSync(nft, 0o755);
    const config = join(dir, "serve.yaml");
    writeFileSync(config, [`db: ${db}`, "persist_interval_s: 1", "respond:", "  quarantine: nftables", `  nft_command: ${nft}`, `  evidence_dir: ${join(dir, "evidence")}`].join("\n"));
    s = await serve(["--config", config]);
    port = s.httpPort;
    token = readFileSync(`${db}.token`, "utf8").trim();
  });

  after(async () => {
    s?.child.kill("SIGTERM");
    await s?.exit;
    spawnSync("ip", ["netns", "del", ns], { stdio: "ignore" });
  });

  it("makes its own token at first start; token, database and WAL readable by their owner only", () => {
    assert.match(token, /^[A-Za-z0-9_-]{43}$/);
    for (const f of [`${db}.token`, db, `${db}-wal`]) assert.equal(statSync(f).mode & 0o777, 0o600, f);
  });

  it("refuses requests without the token, from other sites, and of other types", async () => {
    const body = JSON.stringify({ mac: victim, reason: "test" });
    assert.equal((await raw(port, "GET", "/api/responses", {})).status, 401);
    assert.equal((await raw(port, "GET", "/api/responses", { authorization: "Bearer wrong" })).status, 401);
    assert.equal((await raw(port, "POST", "/api/quarantine", { "content-type": "application/json" }, body)).status, 401);
    // DNS rebinding: the attacker's name resolves to 127.0.0.1, the Host header still names it.
    assert.equal((await raw(port, "GET", "/api/nac/sessions", { ...auth(), host: `rebind.example:${port}` })).status, 403);
    assert.equal((await raw(port, "POST", "/api/quarantine", { ...json(), origin: "http://evil.example" }, body)).status, 403);
    assert.equal((await raw(port, "POST", "/api/quarantine", { ...json(), origin: "null" }, body)).status, 403);
    assert.equal((await raw(port, "POST", "/api/quarantine", { ...json(), "sec-fetch-site": "cross-site" }, body)).status, 403);
    // A form or text/plain POST (no CORS preflight): 415.
    assert.equal((await raw(port, "POST", "/api/quarantine", { ...auth(), "content-type": "text/plain" }, body)).status, 415);
    assert.equal((await raw(port, "POST", "/api/quarantine", { ...auth(), "content-type": "application/x-www-form-urlencoded" }, "")).status, 415);
    // Parameters in the query string of an empty POST: 400, nothing done.
    const q = await raw(port, "POST", `/api/quarantine?mac=${victim}&reason=x`, json(), "{}");
    assert.equal(q.status, 400);
    assert.match(q.body, /JSON body, not the query string/);
    // Same-origin requests from the loopback names are fine.
    assert.equal((await raw(port, "GET", "/api/responses", { ...auth(), host: `localhost:${port}`, origin: `http://localhost:${port}` })).status, 200);
  });

  it("answers 405, HEAD, 413 and 400 for bad query values, never leaking SQL", async () => {
    const wrong = await raw(port, "DELETE", "/api/quarantine", auth());
    assert.equal(wrong.status, 405);
    assert.equal(wrong.headers.allow, "POST");
    assert.equal((await raw(port, "GET", "/api/quarantine", auth())).status, 405);
    const head = await raw(port, "HEAD", "/api/responses", auth());
    assert.equal(head.status, 200);
    assert.equal(head.body, "");
    const big = await raw(port, "POST", "/api/quarantine", json(), JSON.stringify({ mac: victim, reason: "x".repeat(70_000) }));
    assert.equal(big.status, 413);
    for (const limit of ["abc", "-1", "0", "1e9", "99999999999"]) {
      const r = await raw(port, "GET", `/api/nac/decisions?limit=${limit}`, auth());
      assert.equal(r.status, 400, limit);
      assert.deepEqual(JSON.parse(r.body).field, "limit");
      assert.doesNotMatch(r.body, /sqlite|SQL/i);
    }
    assert.equal((await raw(port, "GET", "/api/nac/decisions?limit=5&bogus=1", auth())).status, 400);
    assert.equal((await raw(port, "GET", "/api/nac/decisions?limit=5", auth())).status, 200);
    assert.equal((await raw(port, "GET", "/api/nothing", auth())).status, 404);
  });

  it("refuses an nftables injection in the MAC with a 400 naming the field; the operator's ruleset stays", async () => {
    const beforeRules = ruleset();
    const evil = { mac: "aa:bb:cc:00:00:56\n}\nflush ruleset\ntable inet x {\n#", reason: "test" };
    const r = await raw(port, "POST", "/api/quarantine", json(), JSON.stringify(evil));
    assert.equal(r.status, 400);
    assert.equal(JSON.parse(r.body).field, "mac");
    for (const bad of [{ mac: victim, reason: "line\nbreak" }, { mac: victim, reason: "x", site: "a b" }, { mac: victim, reason: "x", by: "mallory" }, { mac: 5, reason: "x" }]) {
      const x = await raw(port, "POST", "/api/quarantine", json(), JSON.stringify(bad));
      assert.equal(x.status, 400, JSON.stringify(bad));
      assert.ok(JSON.parse(x.body).field, x.body);
    }
    assert.equal(ruleset(), beforeRules);
    const stored = new Database(db, { readonly: true });
    try {
      assert.equal((stored.prepare("SELECT count(*) AS n FROM quarantines").get() as { n: number }).n, 0, "nothing was stored");
    } finally {
      stored.close();
    }
  });

  it("stores a MAC in any switch spelling canonically, quarantines by nftables, and audits who", async () => {
    const spelled = victim.replace(/:/g, "").replace(/^(....)(....)(....)$/, "$1.$2.$3").toUpperCase();
    const r = await raw(port, "POST", "/api/quarantine", json(), JSON.stringify({ mac: spelled, reason: "beaconing" }));
    assert.equal(r.status, 200, r.body);
    const record = JSON.parse(r.body) as { mac: string; status: string; steps: { action: string; by?: string }[] };
    assert.equal(record.mac, victim);
    assert.equal(record.status, "done");
    const rules = ruleset();
    assert.match(rules, /table inet operator/, "the operator's table is still there");
    assert.match(rules, /table inet cordon_quarantine/);
    for (const ip of victimIps) assert.ok(rules.includes(ip), `${ip} in the quarantine set`);
    // Through the CLI: token from the file beside the database, the OS user as the actor.
    const rel = spawnSync(process.execPath, [CLI, "release", victim, "--reason", "reimaged", "--server", `http://127.0.0.1:${port}`, "--db", db], { encoding: "utf8" });
    assert.equal(rel.status, 0, rel.stderr);
    const noToken = spawnSync(process.execPath, [CLI, "respond", "list", "--server", `http://127.0.0.1:${port}`, "--db", join(dir, "other.db")], { encoding: "utf8", env: { ...process.env, CORDON_TOKEN: "" } });
    assert.equal(noToken.status, 1);
    assert.match(noToken.stderr, /wants the API token/);
    const audit = JSON.parse(runCli(["audit", "--db", db, "--format", "json"]).stdout) as { principal: string; actor: string; via: string; peer?: string; action: string; target?: string; outcome: string }[];
    const mine = audit.filter((e) => e.target === victim).map((e) => [e.action, e.principal, e.actor, e.via, e.peer, e.outcome]);
    assert.deepEqual(mine, [
      ["release", "api-token", userInfo().username, "api", "127.0.0.1", "ok"],
      ["quarantine", "api-token", "api-token", "api", "127.0.0.1", "ok"],
    ]);
    // The log line comes on serve's stdout, which the test reads as it arrives.
    await waitFor(async () => s.logs.some((l) => l.msg === "action through the API" && l.action === "quarantine" && l.outcome === "ok" && l.reason === "beaconing"), "the action's log line");
  });

  it("keeps the audit log append-only", () => {
    const w = new Database(db);
    try {
      assert.throws(() => w.prepare("UPDATE audit SET actor = 'someone-else'").run(), /append-only/);
      assert.throws(() => w.prepare("DELETE FROM audit").run(), /append-only/);
    } finally {
      w.close();
    }
  });

  it("survives random methods, paths, headers, queries and bodies: no 500, still healthy", async () => {
    let seed = 0x9e3779b9;
    const rnd = (n: number): number => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) % n;
    };
    const pick = <T>(xs: readonly T[]): T => xs[rnd(xs.length)];
    const methods = ["GET", "POST", "PUT", "DELETE", "HEAD", "PATCH", "OPTIONS"];
    const paths = ["/api/quarantine", "/api/release", "/api/responses", "/api/responses/0123456789abcdef/approve", "/api/responses/0123456789abcdef/reject",
      "/api/nac/decisions", "/api/nac/sessions", "/api/nac/stats", "/api/audit", "/api/", "/api/%zz", "/api/responses/../quarantine",
      "/api/sites", "/api/session", "/api/devices", "/api/devices/aa:bb:cc:dd:ee:ff", "/api/devices/10.0.0.1/override", "/api/devices/%2e%2e", "/api/alerts",
      "/api/alerts/abcd", "/api/alerts/abcd/acknowledge", "/api/alerts/abcd/resolve", "/api/suppressions", "/api/policies", "/api/policies/1/diff", "/api/policies/1/approve",
      "/api/login", "/api/logout", "/api/openapi.json", "/", "/index.html", "/assets/../../package.json",
      "/api/devices/aa:bb:cc:dd:ee:ff/context", "/api/devices/10.0.0.1/context", "/api/policies/1/simulate", "/api/policies/1/compile", "/api/status", "/api/overview", "/api/quarantines",
      "/api/trust/graph", "/api/trust/nodes/aa:bb:cc:dd:ee:ff/blast", "/api/trust/nodes/zone%3Ainternet/blast", "/api/trust/nodes/%2e%2e/blast", "/api/trust/amplifiers",
      "/api/trust/paths", "/api/trust/assumptions", "/api/trust/assumptions/1/review", "/api/certs", "/api/certs/1f2e3d/status", "/api/certs/1f2e3d/revoke"];
    const values = ["", "0", "-1", "abc", "nftables", "cisco-acl", "7d", "2026-01-01", "aa:bb:cc:dd:ee:ff", "AABB.CCDD.EEFF", "\u202e", "x".repeat(300), "1e999", "null", "%00", "10.0.0.1"];
    const randomJson = (depth: number): unknown => {
      switch (rnd(depth > 2 ? 5 : 7)) {
        case 0: return pick(values);
        case 1: return rnd(1 << 30) - (1 << 29);
        case 2: return null;
        case 3: return rnd(2) === 0;
        case 4: return rnd(1000) / 7;
        case 5: return Array.from({ length: rnd(4) }, () => randomJson(depth + 1));
        default: return Object.fromEntries(Array.from({ length: rnd(4) }, () => [pick(["mac", "reason", "site", "note", "limit", "by", "__proto__", "constructor", "name", "password", "detector", "device", "criticality", "expires_at", "subject", "statement", "owner", "review_by", "next_review", "only_hours", "only_in_maintenance"]), randomJson(depth + 1)]));
      }
    };
    const statuses = new Map<number, number>();
    for (let i = 0; i < 600; i++) {
      const query = rnd(2) ? `?${Array.from({ length: rnd(3) + 1 }, () => `${pick(["limit", "mac", "site", "before", "x", "after", "category", "class", "status", "min_severity", "target", "device", "mode", "from", "days", "view", "families", "fresh", "policy", "top", "to"])}=${encodeURIComponent(pick(values))}`).join("&")}` : "";
      const headers: Record<string, string> = rnd(4) ? auth() : {};
      if (rnd(2)) headers["content-type"] = pick(["application/json", "application/json; charset=utf-8", "text/plain", "multipart/form-data; boundary=x"]);
      if (rnd(5) === 0) headers.origin = pick(["http://localhost", "null", "http://evil.example", "file://"]);
      if (rnd(6) === 0) headers["x-cordon-actor"] = pick(["alice", "a b", "x".repeat(300), "%00", "root@host"]);
      const body = rnd(3) === 0 ? pick(["{", "[]", "\"x\"", "{\"mac\":", "\u0000\u0001"]) : JSON.stringify(randomJson(0));
      const method = pick(methods);
      const target = `${pick(paths)}${query}`;
      const r = await raw(port, method, target, headers, method === "GET" || method === "HEAD" ? undefined : body).catch((e: Error) => {
        throw new Error(`${method} ${target} ${JSON.stringify(headers)} ${JSON.stringify(body)}: ${e.message}`);
      });
      statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
      assert.ok(r.status >= 200 && r.status < 500, `${method} ${r.status}: ${r.body}`);
      // Every answer is JSON, but a compiled policy, which is a file to save.
      const file = String(r.headers["content-disposition"] ?? "").startsWith("attachment;");
      if (r.body && method !== "HEAD" && target.startsWith("/api/") && !file) assert.doesNotThrow(() => JSON.parse(r.body), r.body);
    }
    assert.ok(statuses.size >= 5, `varied answers: ${JSON.stringify([...statuses])}`);
    // The console's files are served by exact name: no path reaches outside them.
    for (const p of ["/assets/../../package.json", "/..%2f..%2fpackage.json", "/%2e%2e/%2e%2e/package.json", "//etc/passwd"]) {
      const r = await raw(port, "GET", p, {});
      assert.equal(r.status, 404, p);
      assert.doesNotMatch(r.body, /"name"|root:/, p);
    }
    assert.equal((await fetch(`http://127.0.0.1:${port}/healthz`)).status, 200);
  });
});
