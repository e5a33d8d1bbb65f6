import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { readFileSync, writeFileSync } from "node:fs";
import { ACTIONS, type Action, PERMISSIONS, ROLES, type Role, may, permissionsMarkdown } from "../src/app/permissions.js";
import { TOKEN_USE_RESOLUTION_MS, addUser, authenticateToken, createToken, hashPassword, listTokens, verifyPassword } from "../src/app/users.js";
import { Store } from "../src/store/store.js";
import { HAVE_CORPUS, ROOT, corpus, runCli, tmpDir } from "./helpers.js";
import { type Serving, serve } from "./serve-process.js";

/** A request to serve's API on loopback with a bearer token; the status and the parsed body. */
async function call(port: number, token: string | undefined, method: "GET" | "POST", path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> & Record<string, unknown>[] }> {
  const r = await fetch(`http://127.0.0.1:${port}${path}`, {
    method, headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { "content-type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: r.status, body: (await r.json()) as Record<string, unknown> & Record<string, unknown>[] };
}

describe("passwords", () => {
  it("scrypt hashes: the password matches, another does not, a broken hash never does", () => {
    const h = hashPassword("correct horse battery");
    assert.match(h, /^scrypt\$15\$8\$1\$/);
    assert.equal(verifyPassword("correct horse battery", h), true);
    assert.equal(verifyPassword("correct horse batterY", h), false);
    assert.notEqual(hashPassword("correct horse battery"), h, "salted");
    for (const bad of [undefined, "", "scrypt$15$8$1$x$y", h.replace("$15$", "$40$"), `${h}x!`]) assert.equal(verifyPassword("correct horse battery", bad), false, String(bad));
  });
});

describe("API tokens", () => {
  it("record their last use to the minute: a write at most once a minute, not at every request", () => {
    const store = new Store(join(tmpDir("cordon-token-use-"), "t.db"));
    try {
      const by = { principal: "test", name: "test", via: "cli" as const };
      addUser(store, by, { name: "ana", role: "admin" });
      const { token, id } = createToken(store, by, { user: "ana", name: "ci" });
      const lastUsed = (): string | undefined => listTokens(store).find((t) => t.id === id)!.lastUsedAt;
      assert.equal(lastUsed(), undefined);
      const t0 = new Date("2026-12-07T10:00:00.000Z");
      assert.equal(authenticateToken(store, token, t0)?.user, "ana");
      assert.equal(lastUsed(), t0.toISOString());
      assert.equal(authenticateToken(store, token, new Date(t0.getTime() + TOKEN_USE_RESOLUTION_MS - 1))?.user, "ana");
      assert.equal(lastUsed(), t0.toISOString(), "within the minute: not written again");
      const t1 = new Date(t0.getTime() + TOKEN_USE_RESOLUTION_MS);
      assert.equal(authenticateToken(store, token, t1)?.user, "ana");
      assert.equal(lastUsed(), t1.toISOString());
    } finally {
      store.close();
    }
  });
});

describe("users, roles and serve's API", () => {
  const dir = tmpDir("cordon-roles-");
  const db = join(dir, "c.db");
  const tokens = {} as Record<Role | "second-ot", string>;
  let s: Serving | undefined;
  let plain = "";
  let pump = "";

  before(async () => {
    assert.equal(runCli(["analyze", "--demo", "--db", db]).status, 0);
    const devices = JSON.parse(runCli(["devices", "--db", db, "--format", "json"]).stdout) as { mac: string | null }[];
    [plain, pump] = devices.filter((d) => d.mac).map((d) => d.mac!);
    assert.equal(runCli(["override", "--db", db, "--criticality", "life-safety/physical-process", "--reason", "infusion pump", pump]).status, 0);
    // The first user must be an admin.
    assert.match(runCli(["user", "add", "ana", "--role", "analyst", "--db", db]).stderr, /the first user is an admin/);
    for (const [name, role] of [["root-admin", "admin"], ["nina", "network"], ["otto", "ot-engineer"], ["olga", "ot-engineer"], ["ana", "analyst"], ["vic", "viewer"]] as const) {
      const r = runCli(["user", "add", name, "--role", role, "--db", db]);
      assert.equal(r.status, 0, r.stderr);
      const t = runCli(["token", "add", "--user", name, "--name", "test", "--expires", "7", "--db", db]);
      assert.equal(t.status, 0, t.stderr);
      assert.match(t.stdout.trim(), /^cdn_[A-Za-z0-9_-]{43}$/);
      if (name === "olga") tokens["second-ot"] = t.stdout.trim();
      else tokens[role] = t.stdout.trim();
    }
    const config = join(dir, "serve.yaml");
    writeFileSync(config, [`db: ${db}`, "persist_interval_s: 1", "respond:", "  quarantine: none", `  evidence_dir: ${join(dir, "evidence")}`].join("\n"));
    s = await serve(["--config", config]);
  });

  after(async () => {
    s?.child.kill("SIGTERM");
    await s?.exit;
  });

  it("every route, for every role: allowed 2xx, others 403, no or a bad token 401", async () => {
    const port = s!.httpPort;
    const reads = ["/api/responses", "/api/nac/decisions", "/api/audit", "/api/nac/sessions", "/api/sites", "/api/devices", `/api/devices/${plain}`, `/api/devices/${plain}/context`, "/api/quarantines", "/api/status", "/api/overview", "/api/alerts?status=all", "/api/policies"];
    for (const role of ROLES) {
      for (const path of reads) assert.equal((await call(port, tokens[role], "GET", path)).status, 200, `${role} GET ${path}`);
      const q = await call(port, tokens[role], "POST", "/api/quarantine", { mac: plain, reason: `by ${role}` });
      const allowed = PERMISSIONS.quarantine.includes(role);
      assert.equal(q.status, allowed ? 200 : 403, `${role} quarantine: ${JSON.stringify(q.body)}`);
      if (allowed) {
        assert.equal(q.body.status, "done");
        assert.equal((await call(port, tokens[role], "POST", "/api/release", { mac: plain, reason: `by ${role}` })).status, 200, `${role} release`);
      } else assert.match(String(q.body.error), /viewer\) may not: quarantine/);
      const sup = await call(port, tokens[role], "POST", "/api/suppressions", { detector: "scan", reason: `pentest by ${role}`, expires_at: "30d" });
      assert.equal(sup.status, PERMISSIONS["alert.move"].includes(role) ? 200 : 403, `${role} suppress: ${JSON.stringify(sup.body)}`);
    }
    for (const path of reads) {
      assert.equal((await call(port, undefined, "GET", path)).status, 401, path);
      assert.equal((await call(port, `cdn_${"A".repeat(43)}`, "GET", path)).status, 401, `an unknown token on ${path}`);
    }
  });

  it("every route the OpenAPI document lists, for every role: refused by role exactly when the table says so, 401 without a token", async () => {
    const port = s!.httpPort;
    const doc = (await call(port, tokens.viewer, "GET", "/api/openapi.json")).body as unknown as { paths: Record<string, Record<string, { description?: string }>> };
    const byText = new Map(Object.entries(ACTIONS).map(([k, v]) => [`Needs: ${v}.`, k as Action]));
    // Ids that name nothing: a role that may act gets past the role check to "no such ...", one that may not is stopped before.
    const fill = (path: string): string => path.replace("{device}", plain).replace("{node}", plain).replace("{serial}", "1f2e3d").replace("{certificate}", "1f2e3d").replace("{id}", path.startsWith("/api/policies") ? "999999" : path.startsWith("/api/alerts") ? "ffff0000" : "ffff0000ffff0000");
    const bodies: Record<string, unknown> = {
      "/api/quarantine": { mac: "02:00:00:00:ff:ff", reason: "table test" }, "/api/release": { mac: "02:00:00:00:ff:ff", reason: "table test" },
      "/api/devices/{device}/override": { criticality: "standard", reason: "table test" }, "/api/suppressions": { detector: "scan", reason: "table test", expires_at: "1h" },
      "/api/responses/{id}/reject": { reason: "table test" },
    };
    // Changes a role that may make them can make again and again: those answer 2xx, as every read does.
    const repeatable = new Set(["/api/devices/{device}/override", "/api/suppressions"]);
    let checked = 0;
    for (const [path, methods] of Object.entries(doc.paths)) {
      if (["/api/login", "/api/logout", "/api/events"].includes(path)) continue;
      for (const [method, op] of Object.entries(methods)) {
        const needs = byText.get(op.description ?? "");
        assert.ok(needs, `${method} ${path} says what it needs: ${op.description}`);
        const url = `http://127.0.0.1:${port}${fill(path)}${path.endsWith("/compile") ? "?target=nftables" : ""}`;
        const send = (token?: string): Promise<Response> => fetch(url, {
          method: method.toUpperCase(), headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(method === "post" ? { "content-type": "application/json" } : {}) },
          body: method === "post" ? JSON.stringify(bodies[path] ?? {}) : undefined,
        });
        assert.equal((await send()).status, 401, `${method} ${path} without a token`);
        for (const role of ROLES) {
          const r = await send(tokens[role]);
          const text = await r.text();
          const refused = r.status === 403 && /may not: /.test(text);
          assert.equal(refused, !may(role, needs!), `${role} ${method} ${path}: ${r.status} ${text.slice(0, 200)}`);
          // Reads answer 2xx, but of the policy that does not exist and of RADIUS, which is off here (404).
          if (may(role, needs!) && (method === "get" ? !path.includes("{id}") && path !== "/api/nac/stats" : repeatable.has(path))) {
            assert.ok(r.status >= 200 && r.status < 300, `${role} ${method} ${path}: ${r.status} ${text.slice(0, 200)}`);
          }
          checked++;
        }
      }
    }
    assert.ok(checked >= 30 * ROLES.length, `${checked} route and role pairs`);
  });

  it("a quarantine of a life-safety device waits for a second person; not the one who asked, nor a role below OT", async () => {
    const port = s!.httpPort;
    const asked = await call(port, tokens["ot-engineer"], "POST", "/api/quarantine", { mac: pump, reason: "beaconing" });
    assert.equal(asked.status, 200);
    assert.equal(asked.body.status, "proposed");
    assert.equal(asked.body.requested_by, "otto");
    const id = String(asked.body.id);
    const own = await call(port, tokens["ot-engineer"], "POST", `/api/responses/${id}/approve`, {});
    assert.equal(own.status, 403);
    assert.match(String(own.body.error), /otto asked for this quarantine: another person approves it \(four-eyes\)/);
    for (const role of ["analyst", "network"] as const) {
      const r = await call(port, tokens[role], "POST", `/api/responses/${id.slice(0, 6)}/approve`, {});
      assert.equal(r.status, 403, role);
      assert.match(String(r.body.error), /life-safety\/physical-process device: an OT engineer or an admin decides/);
    }
    assert.equal((await call(port, tokens.viewer, "POST", `/api/responses/${id}/approve`, {})).status, 403);
    const ok = await call(port, tokens["second-ot"], "POST", `/api/responses/${id}/approve`, { note: "confirmed with the ward" });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.equal(ok.body.status, "done");
    // Releasing it takes an OT engineer or an admin too.
    assert.equal((await call(port, tokens.analyst, "POST", "/api/release", { mac: pump, reason: "x" })).status, 403);
    assert.equal((await call(port, tokens.admin, "POST", "/api/release", { mac: pump, reason: "cleaned" })).status, 200);
  });

  it("every change is in the audit log with the user and role; refusals too", async () => {
    const audit = (await call(s!.httpPort, tokens.viewer, "GET", "/api/audit?limit=200")).body as unknown as { principal: string; actor: string; role?: string; action: string; outcome: string; target?: string }[];
    const row = (actor: string, action: string, outcome: string): boolean => audit.some((e) => e.actor === actor && e.action === action && e.outcome === outcome);
    assert.ok(row("otto", "quarantine", "ok") && audit.find((e) => e.actor === "otto" && e.action === "quarantine")!.role === "ot-engineer");
    assert.ok(row("otto", "approve", "refused"), "the four-eyes refusal is audited");
    assert.ok(row("olga", "approve", "ok"));
    assert.ok(audit.every((e) => e.principal !== "user:olga" || e.role === "ot-engineer"));
    for (const role of ["admin", "network", "analyst"] as const) assert.ok(audit.some((e) => e.role === role && e.action === "release" && e.outcome === "ok"), role);
  });

  it("console login: a session cookie (httpOnly, SameSite=Strict) with a CSRF token; five wrong passwords lock the user; ten logins a minute per address", async () => {
    const port = s!.httpPort;
    for (const name of ["carol", "dave"]) assert.equal(runCli(["user", "add", name, "--role", "analyst", "--password-stdin", "--db", db], Buffer.from(`${name.toUpperCase().split("").reverse().join("")} keeps a long passphrase\n`)).status, 0);
    assert.match(runCli(["user", "add", "eve", "--role", "analyst", "--password-stdin", "--db", db], Buffer.from("short\n")).stderr, /at least 12 characters/);
    const login = (name: string, password: string): Promise<Response> => fetch(`http://127.0.0.1:${port}/api/login`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ name, password }) });
    for (let i = 1; i <= 5; i++) {
      const r = await login("carol", "not her passphrase");
      assert.equal(r.status, 401);
      assert.match(((await r.json()) as { error: string }).error, i < 5 ? /^wrong name or password$/ : /too many failed logins: locked for 15 minutes/);
    }
    const locked = await login("carol", "LORAC keeps a long passphrase");
    assert.equal(locked.status, 401, "the right password while locked");
    assert.match(((await locked.json()) as { error: string }).error, /locked until/);
    const unknown = await login("mallory", "whatever it is");
    assert.equal(((await unknown.json()) as { error: string }).error, "wrong name or password", "an unknown name is told as a wrong password");

    const ok = await login("dave", "EVAD keeps a long passphrase");
    assert.equal(ok.status, 200);
    const cookie = ok.headers.get("set-cookie") ?? "";
    assert.match(cookie, /^cordon_session=[A-Za-z0-9_-]{43}; HttpOnly; SameSite=Strict; Path=\/; Max-Age=43200$/);
    const { csrf, role } = (await ok.json()) as { csrf: string; role: string };
    assert.equal(role, "analyst");
    const session = cookie.split(";")[0];
    const withCookie = (method: string, path: string, headers: Record<string, string> = {}, body?: unknown): Promise<Response> =>
      fetch(`http://127.0.0.1:${port}${path}`, { method, headers: { cookie: session, ...(body ? { "content-type": "application/json" } : {}), ...headers }, body: body ? JSON.stringify(body) : undefined });
    assert.equal((await withCookie("GET", "/api/responses")).status, 200);
    const noCsrf = await withCookie("POST", "/api/quarantine", {}, { mac: plain, reason: "from the console" });
    assert.equal(noCsrf.status, 403);
    assert.match(((await noCsrf.json()) as { error: string }).error, /X-CSRF-Token/);
    assert.equal((await withCookie("POST", "/api/quarantine", { "x-csrf-token": `${csrf.slice(1)}x` }, { mac: plain, reason: "from the console" })).status, 403);
    assert.equal((await withCookie("POST", "/api/quarantine", { "x-csrf-token": csrf }, { mac: plain, reason: "from the console" })).status, 200);
    assert.equal((await withCookie("POST", "/api/release", { "x-csrf-token": csrf }, { mac: plain, reason: "done" })).status, 200);
    assert.equal((await withCookie("POST", "/api/logout")).status, 200);
    assert.equal((await withCookie("GET", "/api/responses")).status, 401, "the session ended with logout");
    // Eight logins so far from this address this minute; the eleventh is refused before any password is checked.
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await login("dave", "EVAD keeps a long passphrase")).status);
    assert.deepEqual(statuses, [200, 200, 429]);
    const audit = JSON.parse(runCli(["audit", "--db", db, "--format", "json", "--limit", "500"]).stdout) as { action: string; actor: string; outcome: string; detail: string }[];
    assert.ok(audit.some((e) => e.action === "login" && e.actor === "carol" && e.outcome === "refused" && /locked until/.test(e.detail)));
    assert.ok(audit.some((e) => e.action === "quarantine" && e.actor === "dave" && e.outcome === "ok"));
  });

  it("lists and pages devices and alerts, shows a device whole, and decides on policies with the OT rules", async () => {
    const port = s!.httpPort;
    const first = await call(port, tokens.viewer, "GET", "/api/devices?limit=1");
    assert.equal(first.status, 200);
    const items = first.body.items as unknown as { mac: string }[];
    assert.equal(items.length, 1);
    const second = await call(port, tokens.viewer, "GET", `/api/devices?limit=1&after=${encodeURIComponent(String(first.body.next))}`);
    assert.notEqual((second.body.items as unknown as { mac: string }[])[0].mac, items[0].mac, "the cursor moves on");
    assert.deepEqual([(await call(port, tokens.viewer, "GET", "/api/devices?after=forged")).status], [400]);
    // The short form a long table shows: the same devices, the same values, no evidence.
    const whole = (await call(port, tokens.viewer, "GET", "/api/devices?limit=1000")).body.items as unknown as Record<string, unknown>[];
    const rows = (await call(port, tokens.viewer, "GET", "/api/devices?limit=1000&view=row")).body.items as unknown as Record<string, unknown>[];
    assert.equal(rows.length, whole.length);
    const columns = ["site", "mac", "ips", "category", "vendor", "model", "criticality", "identity", "hostnames", "last_seen", "vlan"];
    for (const [i, r] of rows.entries()) {
      assert.deepEqual(Object.keys(r).sort(), [...columns].sort());
      for (const k of columns) assert.deepEqual(r[k], whole[i][k], k);
    }
    assert.equal((await call(port, tokens.viewer, "GET", "/api/devices?view=wide")).status, 400);
    assert.equal((await call(port, tokens.viewer, "GET", "/api/devices?category=printr")).status, 400);
    const one = await call(port, tokens.viewer, "GET", `/api/devices/${pump.toUpperCase().replace(/:/g, "-")}`);
    assert.equal(one.status, 200, "a MAC in another spelling names the device");
    const detail = (one.body.items as unknown as { mac: string; criticality: string; facts: unknown[]; verdict_history: unknown[] }[])[0];
    assert.deepEqual([detail.mac, detail.criticality], [pump, "life-safety/physical-process"]);
    assert.ok(Array.isArray(detail.facts) && Array.isArray(detail.verdict_history));
    assert.equal((await call(port, tokens.viewer, "GET", "/api/devices/10.99.99.99")).status, 404);
    assert.equal((await call(port, tokens.viewer, "GET", "/api/alerts?status=bogus")).status, 400);
    assert.equal((await call(port, tokens.viewer, "GET", "/api/sites")).body.items!.toString(), "default");
    // The overview counts where the data is: the same numbers the device list and the CLI give.
    const overview = (await call(port, tokens.viewer, "GET", "/api/overview")).body as unknown as { devices: number; by_category: Record<string, number>; by_criticality: Record<string, number>; open_by_severity: Record<string, number>; alerts_by_day: unknown[] };
    const all = JSON.parse(runCli(["devices", "--db", db, "--format", "json"]).stdout) as { category: string; criticality: string }[];
    assert.equal(overview.devices, all.length);
    const tally = (k: "category" | "criticality"): Record<string, number> => all.reduce<Record<string, number>>((m, d) => ({ ...m, [d[k]]: (m[d[k]] ?? 0) + 1 }), {});
    assert.deepEqual(overview.by_category, tally("category"));
    assert.deepEqual(overview.by_criticality, tally("criticality"));
    assert.deepEqual(Object.keys(overview.open_by_severity), ["low", "medium", "high", "critical"]);
    assert.equal((await call(port, tokens.viewer, "GET", "/api/overview?days=0")).status, 400);
    const status = (await call(port, tokens.viewer, "GET", "/api/status")).body as unknown as { worker: { status: string }; store: { up: boolean }; sources: unknown[] };
    assert.deepEqual([status.worker.status, status.store.up, status.sources], ["ok", true, []], "no live source configured");

    // A policy that governs the life-safety device: an OT engineer decides; network and analysts may not.
    assert.equal(runCli(["policy", "learn", "--db", db, "--all"]).status, 0);
    const policies = (await call(port, tokens.viewer, "GET", "/api/policies")).body.items as unknown as { id: number; status: string; managed: number }[];
    const id = policies[0].id;
    const net = await call(port, tokens.network, "POST", `/api/policies/${id}/approve`, {});
    assert.equal(net.status, 403, JSON.stringify(net.body));
    assert.match(String(net.body.error), /governs 1 device\(s\) of life-safety\/physical-process: an OT engineer or an admin decides, not network/);
    assert.equal((await call(port, tokens.analyst, "POST", `/api/policies/${id}/approve`, {})).status, 403);
    const ok = await call(port, tokens["ot-engineer"], "POST", `/api/policies/${id}/approve`, { note: "reviewed with the ward" });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.equal(ok.body.status, "approved");
    assert.equal((await call(port, tokens["ot-engineer"], "POST", `/api/policies/${id}/approve`, {})).status, 400, "an approved version is not approved twice");
    const context = await call(port, tokens.viewer, "GET", `/api/devices/${pump}/context`);
    assert.equal(context.status, 200, JSON.stringify(context.body));
    const c = context.body as unknown as { key: string; baseline: { mature: boolean; maturity: string; flows: number }; peers: { direction: string; peer: string; peer_role: string; proto: string; port: number }[];
      policy: { id: number; status: string; groups: string[]; managed: boolean; rules: { from: string; to: string; ports: string }[] }; responses: { mac: string }[] };
    assert.equal(c.key, pump);
    assert.deepEqual([c.baseline.mature, c.baseline.flows], [false, 4]);
    assert.match(c.baseline.maturity, /^not mature: window 0\.0 h of 168 h; 4 flows of 20$/);
    assert.deepEqual(c.peers.map((p) => `${p.direction} ${p.peer} (${p.peer_role}) ${p.proto}/${p.port}`).sort(), [
      "initiates cidr:255.255.255.255/32 (multicast) udp/67", "initiates device:24:5a:4c:12:34:56 (router) udp/53", "initiates dns:dispatcher.axis.com (external) tcp/443", "serves device:24:5a:4c:12:34:56 (router) udp/68"]);
    assert.deepEqual([c.policy.id, c.policy.status, c.policy.groups, c.policy.managed], [id, "approved", ["category:camera"], true]);
    assert.ok(c.policy.rules.length > 0 && c.policy.rules.every((r) => r.from === "category:camera" || r.to === "category:camera"), "the rules that name its group");
    assert.ok(c.responses.every((r) => r.mac === pump));
    // serve's flow reader keeps the flow summaries folded: the context comes from them, the same as from the flows.
    let summarised = context.body;
    for (let i = 0; i < 50 && summarised.read !== "summaries"; i++) {
      await new Promise((r) => setTimeout(r, 100));
      summarised = (await call(port, tokens.viewer, "GET", `/api/devices/${pump}/context`)).body;
    }
    assert.ok(context.body.read === "flows" || context.body.read === "summaries", String(context.body.read));
    assert.equal(summarised.read, "summaries");
    const seen = (b: Record<string, unknown>): Record<string, unknown> => ({ ...b, read: null, flows_read: null });
    assert.deepEqual(seen(summarised), seen(context.body));
    assert.equal((await call(port, tokens.viewer, "GET", "/api/devices/10.99.99.99/context")).status, 404);
    // Its newest flows come from the flows the reader keeps per end; asked with a time (any
    // flow since 1970), from the chunks: the same flows.
    const kept = (await call(port, tokens.viewer, "GET", `/api/flows?device=${pump}&limit=3`)).body;
    const read = (await call(port, tokens.viewer, "GET", `/api/flows?device=${pump}&limit=3&from=1970-01-01`)).body;
    assert.deepEqual([kept.read, read.read], ["recent", "chunks"]);
    assert.deepEqual(kept.items, read.items);
    assert.equal((kept.items as unknown[]).length, 3);

    // Simulated against the stored flows: every stored flow judged once, allowed by a rule or dropped.
    const sim = await call(port, tokens.viewer, "GET", `/api/policies/${id}/simulate`);
    assert.equal(sim.status, 200, JSON.stringify(sim.body));
    const stored = (JSON.parse(runCli(["flows", "--db", db, "--format", "json", "--limit", "100000"]).stdout) as unknown[]).length;
    const allowedBy = sim.body.allowed_by as unknown as { rule: string; comment: string; flows: number }[];
    const drops = sim.body.drops as unknown as { flows: number }[];
    assert.equal(sim.body.flows, stored);
    assert.equal(allowedBy.reduce((n, a) => n + a.flows, 0) + Number(sim.body.dropped), stored);
    assert.equal(drops.reduce((n, d) => n + d.flows, 0), sim.body.dropped);
    assert.ok(allowedBy.some((a) => /^r\d+$/.test(a.rule) && / -> .* \(seen \d+\)$/.test(a.comment)), "each rule with the comment a reviewer reads");
    assert.equal((await call(port, tokens.viewer, "GET", `/api/policies/${id}/simulate?from=bogus`)).status, 400);
    const future = await call(port, tokens.viewer, "GET", `/api/policies/${id}/simulate?from=2099-01-01`);
    assert.equal(future.body.flows, 0, "no stored flow goes on after 2099");

    // Compiled for a target, as a file: the same text the CLI compiles.
    const file = await fetch(`http://127.0.0.1:${port}/api/policies/${id}/compile?target=nftables`, { headers: { authorization: `Bearer ${tokens.viewer}` } });
    assert.equal(file.status, 200);
    assert.match(String(file.headers.get("content-type")), /^text\/plain/);
    assert.equal(file.headers.get("content-disposition"), `attachment; filename="learned-default-v1-nftables.txt"`);
    const cli = runCli(["policy", "compile", "--policy", String(id), "--target", "nftables", "--db", db]);
    assert.equal(cli.status, 0, cli.stderr);
    assert.equal(await file.text(), cli.stdout);
    const portTarget = await call(port, tokens.viewer, "GET", `/api/policies/${id}/compile?target=cisco-acl`);
    assert.equal(portTarget.status, 400);
    assert.match(String(portTarget.body.error), /compiles the ACL of one device set: name it .*category:camera/);
    const acl = await fetch(`http://127.0.0.1:${port}/api/policies/${id}/compile?target=cisco-acl&device=category:camera`, { headers: { authorization: `Bearer ${tokens.viewer}` } });
    assert.equal(acl.status, 200);
    assert.equal(acl.headers.get("content-disposition"), `attachment; filename="learned-default-v1-cisco-acl-category_camera.txt"`);
    assert.match(await acl.text(), /^ip access-list extended /m);
    assert.equal((await call(port, tokens.viewer, "GET", `/api/policies/${id}/compile?target=pf`)).status, 400);
    assert.equal((await call(port, tokens.viewer, "GET", `/api/policies/999/compile?target=nftables`)).status, 400);
  });

  it("a read carries an ETag; sent back while nothing changed it is a bodiless 304, after a change a new answer", async () => {
    const port = s!.httpPort;
    const get = (etag?: string): Promise<Response> => fetch(`http://127.0.0.1:${port}/api/audit?limit=5`, { headers: { authorization: `Bearer ${tokens.viewer}`, ...(etag ? { "if-none-match": etag } : {}) } });
    const first = await get();
    const etag = first.headers.get("etag");
    assert.match(String(etag), /^"[A-Za-z0-9_-]{27}"$/);
    assert.equal(first.status, 200);
    const again = await get(etag!);
    assert.equal(again.status, 304);
    assert.equal(await again.text(), "");
    assert.equal((await get(`W/${etag}, "other"`)).status, 304, "a weak form or a list of tags matches too");
    assert.equal((await call(port, tokens.analyst, "POST", "/api/suppressions", { detector: "scan", reason: "etag test", expires_at: "1h" })).status, 200);
    const changed = await get(etag!);
    assert.equal(changed.status, 200);
    assert.notEqual(changed.headers.get("etag"), etag);
  });

  it("shows vulnerabilities riskiest first, one device's firmware, CVEs and end-of-life decision, and the register, to every role", { skip: HAVE_CORPUS ? false : "corpus absent" }, async () => {
    assert.equal(runCli(["vulns", "import", "--db", db, corpus("CVEProject-cvelistV5"), corpus("cisagov-kev-data")]).status, 0);
    // The demo's printer: nothing of its own names its maker or firmware, so the CMDB's word counts.
    const printer = (JSON.parse(runCli(["devices", "--db", db, "--format", "json", "--category", "printer"]).stdout) as { mac: string }[])[0]!.mac;
    writeFileSync(join(dir, "cmdb.csv"), `mac,vendor,product,firmware\n${printer},TP-Link,Archer AX21 (AX1800),1.1.3 Build 20220101\n`);
    assert.equal(runCli(["assets", "import", "--db", db, join(dir, "cmdb.csv")]).status, 0);
    const review = new Date(Date.now() + 60 * 86_400_000).toISOString().slice(0, 10);
    assert.equal(runCli(["eol", "set", "--db", db, "--device", printer, "--decision", "isolate", "--owner", "network team", "--rationale", "no fixed firmware for this unit", "--review", review]).status, 0);
    const list = await call(s!.httpPort, tokens.viewer, "GET", "/api/vulnerabilities");
    assert.equal(list.status, 200);
    const items = list.body.items as unknown as { mac: string; cves: { cve: string; kev: boolean }[]; risk: { score: number } | null }[];
    assert.deepEqual(items.map((i) => [i.mac, i.cves.map((c) => [c.cve, c.kev])]), [[printer, [["CVE-2023-1389", true]]]]);
    assert.ok(items[0]!.risk!.score > 0);
    const one = await call(s!.httpPort, tokens.viewer, "GET", `/api/devices/${printer}/vulnerabilities`);
    assert.equal(one.status, 200);
    const dev = (one.body.items as unknown as { firmware: string; identity_evidence: { from: string }[]; eol: { decision: string; owner: string }[] }[])[0]!;
    assert.equal(dev.firmware, "1.1.3 Build 20220101");
    assert.ok(dev.identity_evidence.some((c) => c.from === "asset.firmware"));
    assert.deepEqual(dev.eol.map((e) => [e.decision, e.owner]), [["isolate", "network team"]]);
    assert.equal((await call(s!.httpPort, tokens.viewer, "GET", "/api/devices/02:00:00:00:99:99/vulnerabilities")).status, 404);
    const eol = await call(s!.httpPort, tokens.analyst, "GET", "/api/eol");
    assert.deepEqual((eol.body.items as unknown as { target: string; status: string[] }[]).map((e) => [e.target, e.status]), [[printer, ["ok"]]]);
    assert.equal((await call(s!.httpPort, tokens.viewer, "GET", "/api/vulnerabilities?all=maybe")).status, 400);
    assert.equal((await call(s!.httpPort, undefined, "GET", "/api/eol")).status, 401);
    // Decisions through the API: the roles the table names, the use case's checks, the audit with the person.
    const decision = { device: printer, decision: "replace", replace_by: new Date(Date.now() + 200 * 86_400_000).toISOString().slice(0, 10), owner: "facilities", rationale: "end of support", review_by: review };
    assert.equal((await call(s!.httpPort, tokens.analyst, "POST", "/api/eol", decision)).status, 403);
    const made = await call(s!.httpPort, tokens["ot-engineer"], "POST", "/api/eol", decision);
    assert.equal(made.status, 200, JSON.stringify(made.body));
    assert.equal(made.body.decision, "replace");
    const bad = await call(s!.httpPort, tokens["ot-engineer"], "POST", "/api/eol", { ...decision, review_by: "2020-01-01" });
    assert.deepEqual([bad.status, bad.body.error], [400, "review: 2020-01-01 is not in the future"]);
    const reviewed = await call(s!.httpPort, tokens.network, "POST", "/api/eol/review", { target: printer, next_review: review, note: "vendor confirmed the date" });
    assert.equal(reviewed.status, 200, JSON.stringify(reviewed.body));
    const register = await call(s!.httpPort, tokens.viewer, "GET", "/api/eol");
    assert.match(JSON.stringify(register.body.items), /reviewed .* by nina: vendor confirmed the date/);
    const audit = JSON.parse(runCli(["audit", "--db", db, "--format", "json"]).stdout) as { action: string; actor: string; role?: string }[];
    assert.equal((await call(s!.httpPort, tokens.analyst, "POST", "/api/vulnerabilities/compensate", {})).status, 403);
    // Compensating controls are versions of the site's policy: one is learned if this test runs alone.
    if ((JSON.parse(runCli(["policy", "list", "--db", db, "--format", "json"]).stdout) as unknown[]).length === 0) assert.equal(runCli(["policy", "learn", "--db", db]).status, 0);
    const comp = await call(s!.httpPort, tokens.network, "POST", "/api/vulnerabilities/compensate", { device: printer });
    assert.equal(comp.status, 200, JSON.stringify(comp.body));
    const proposed = comp.body.policy as unknown as { status: string } | null;
    const left = comp.body.skipped as unknown as { device: string }[];
    assert.ok(proposed?.status === "proposed" || left.some((x) => x.device === printer), JSON.stringify(comp.body));
    assert.deepEqual(audit.filter((a) => a.action.startsWith("eol.")).slice(0, 2).map((a) => [a.action, a.actor, a.role ?? null]), [["eol.review", "nina", "network"], ["eol.set", "otto", "ot-engineer"]]);
  });

  it("streams live events (text/event-stream) to a signed-in reader: a response's steps as they are taken", async () => {
    const port = s!.httpPort;
    assert.equal((await fetch(`http://127.0.0.1:${port}/api/events`)).status, 401);
    const abort = new AbortController();
    const r = await fetch(`http://127.0.0.1:${port}/api/events`, { headers: { authorization: `Bearer ${tokens.viewer}` }, signal: abort.signal });
    assert.equal(r.status, 200);
    assert.match(r.headers.get("content-type") ?? "", /^text\/event-stream/);
    const reader = r.body!.getReader();
    let text = "";
    const q = await call(port, tokens.admin, "POST", "/api/quarantine", { mac: plain, reason: "live" });
    assert.equal(q.status, 200);
    const deadline = Date.now() + 10_000;
    while (!/event: response\ndata: \{[^\n]*"step":"quarantine"/.test(text) && Date.now() < deadline) {
      const { value, done } = await reader.read();
      if (done) break;
      text += Buffer.from(value).toString("utf8");
    }
    abort.abort();
    const data = JSON.parse(/event: response\ndata: (\{[^\n]*"step":"quarantine"[^\n]*\})/.exec(text)![1]) as { mac: string; status: string };
    assert.deepEqual([data.mac, data.status], [plain, "done"]);
    assert.equal((await call(port, tokens.admin, "POST", "/api/release", { mac: plain, reason: "live over" })).status, 200);
  });

  it("serves its OpenAPI document, made from the schemas every route checks; a schema error is a 400 naming the field", async () => {
    const port = s!.httpPort;
    const doc = (await call(port, tokens.viewer, "GET", "/api/openapi.json")).body as unknown as { openapi: string; paths: Record<string, Record<string, { summary?: string; requestBody?: unknown; parameters?: { name: string }[] }>> };
    assert.match(doc.openapi, /^3\./);
    for (const [path, method] of [["/api/quarantine", "post"], ["/api/release", "post"], ["/api/responses", "get"], ["/api/responses/{id}/approve", "post"], ["/api/responses/{id}/reject", "post"],
      ["/api/nac/decisions", "get"], ["/api/nac/sessions", "get"], ["/api/audit", "get"], ["/api/login", "post"], ["/api/logout", "post"], ["/api/events", "get"],
      ["/api/devices", "get"], ["/api/devices/{device}", "get"], ["/api/devices/{device}/context", "get"], ["/api/status", "get"], ["/api/overview", "get"], ["/api/quarantines", "get"], ["/api/alerts", "get"], ["/api/alerts/{id}", "get"], ["/api/alerts/{id}/acknowledge", "post"], ["/api/suppressions", "post"],
      ["/api/policies", "get"], ["/api/policies/{id}/approve", "post"], ["/api/policies/{id}/simulate", "get"], ["/api/policies/{id}/compile", "get"], ["/api/sites", "get"]] as const) {
      assert.ok(doc.paths[path]?.[method]?.summary, `${method} ${path} is documented`);
    }
    assert.ok(doc.paths["/api/quarantine"].post.requestBody, "the body's schema");
    assert.deepEqual(doc.paths["/api/nac/decisions"].get.parameters!.map((p) => p.name).sort(), ["limit", "mac", "site"]);
    assert.equal(doc.paths["/api/quarantine"].delete, undefined, "the 405 answers are not routes of the API");
    // Unknown keys are refused, not dropped; a wrong type names the field.
    const extra = await call(port, tokens.admin, "POST", "/api/quarantine", { mac: plain, reason: "x", by: "mallory" });
    assert.deepEqual([extra.status, extra.body.field], [400, "by"]);
    const type = await call(port, tokens.admin, "POST", "/api/quarantine", { mac: 5, reason: "x" });
    assert.deepEqual([type.status, type.body.field], [400, "mac"]);
    const missing = await call(port, tokens.admin, "POST", "/api/quarantine", { mac: plain });
    assert.deepEqual([missing.status, missing.body.field], [400, "reason"]);
    const id = await call(port, tokens.admin, "POST", "/api/responses/XYZ/approve", {});
    assert.deepEqual([id.status, id.body.field], [400, "id"]);
  });

  it("a revoked token, or a disabled user's, is refused at once", async () => {
    const port = s!.httpPort;
    const list = JSON.parse(runCli(["token", "list", "--db", db, "--format", "json"]).stdout) as { id: number; user: string }[];
    const vic = list.find((t) => t.user === "vic")!;
    assert.equal(runCli(["token", "revoke", String(vic.id), "--db", db]).status, 0);
    assert.equal((await call(port, tokens.viewer, "GET", "/api/responses")).status, 401);
    assert.equal(runCli(["user", "set", "ana", "--disable", "--db", db]).status, 0);
    assert.equal((await call(port, tokens.analyst, "GET", "/api/responses")).status, 401);
    assert.match(runCli(["user", "set", "root-admin", "--role", "viewer", "--db", db]).stderr, /root-admin is the last admin/);
    const users = runCli(["audit", "--db", db, "--format", "json", "--limit", "500"]);
    const entries = JSON.parse(users.stdout) as { action: string; target?: string }[];
    for (const a of ["user.add", "token.add", "token.revoke", "user.change"]) assert.ok(entries.some((e) => e.action === a), a);
  });
});

describe("the README's table of who may do what", () => {
  it("is the one serve enforces", () => {
    const readme = readFileSync(join(ROOT, "README.md"), "utf8");
    assert.ok(readme.includes(permissionsMarkdown()), "README.md holds the table permissionsMarkdown() makes (cordon user roles)");
  });
});
