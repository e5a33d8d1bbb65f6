import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { runCli, tmpDir } from "./helpers.js";
import { testPostgres } from "./postgres.js";
import { exportFlows, metric, send, serve, waitFor } from "./serve-process.js";

const pg = await testPostgres();

const json = <T>(args: string[]): T => {
  const r = runCli(args);
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as T;
};

describe("serve on PostgreSQL", { skip: typeof pg === "string" ? pg : false }, () => {
  const server = pg as Exclude<typeof pg, string>;

  it("two sensors write one database at once: no flow lost or written twice, a device both saw is one", async () => {
    const url = server.database("sensors");
    const cwd = tmpDir("cordon-pgserve-");
    const a = await serve(["--db", url, "--netflow", "0"], [], { cwd });
    const b = await serve(["--db", url, "--netflow", "0"], [], { cwd });
    // Both see the same server (10.2.0.1); their clients differ.
    await Promise.all([send(a.netflowPort!, exportFlows(0, 600)), send(b.netflowPort!, exportFlows(600, 400))]);
    await waitFor(async () => (await metric(a.httpPort, "cordon_source_records_total")) === 600 && (await metric(b.httpPort, "cordon_source_records_total")) === 400, "1000 records", 20);
    a.child.kill("SIGTERM");
    b.child.kill("SIGTERM");
    assert.deepEqual(await Promise.all([a.exit, b.exit]), [0, 0]);
    const flows = json<{ id: number; src_port: number }[]>(["flows", "--db", url, "--format", "json"]);
    assert.equal(flows.length, 1000);
    assert.equal(new Set(flows.map((f) => f.id)).size, 1000, "every flow has an id of its own");
    const devices = json<{ ips: string[]; packets_in: number }[]>(["devices", "--db", url, "--format", "json"]);
    assert.equal(devices.length, 1001, "1000 clients and the one server both sensors saw");
    const shared = devices.filter((d) => d.ips.includes("10.2.0.1"));
    assert.equal(shared.length, 1);
    assert.equal(shared[0].packets_in, 3000, "its counters are the sum of both sensors' (3 packets a flow)");
  });

  it("the database stopped and started during ingest: serve keeps what it reads and writes it all once the database is back", async () => {
    const url = server.database("outage");
    const cwd = tmpDir("cordon-pgserve-");
    const s = await serve(["--db", url, "--netflow", "0"], [], { cwd });
    await send(s.netflowPort!, exportFlows(0, 300));
    await waitFor(async () => (await metric(s.httpPort, "cordon_source_records_total")) === 300, "300 records");
    server.stop();
    try {
      await send(s.netflowPort!, exportFlows(300, 300));
      await waitFor(async () => (await metric(s.httpPort, "cordon_source_records_total")) === 600, "600 records");
      await waitFor(async () => (await metric(s.httpPort, "cordon_store_up")) === 0, "serve to notice the database is away", 20);
      assert.equal((await fetch(`http://127.0.0.1:${s.httpPort}/healthz`)).status, 200, "serve keeps running");
    } finally {
      server.start();
    }
    await waitFor(async () => (await metric(s.httpPort, "cordon_store_up")) === 1 && (await metric(s.httpPort, "cordon_store_held_flows")) === 0, "the held flows written", 60);
    assert.ok(s.logs.some((l) => l.msg === "the database is unavailable: keeping what was read in memory and trying again with backoff"), "said once that the database was away");
    assert.ok(s.logs.some((l) => l.msg === "the database is back: what was held is written"));
    assert.ok(!JSON.stringify(s.logs).includes(server.password), "the password is never logged");
    s.child.kill("SIGTERM");
    assert.equal(await s.exit, 0);
    const flows = json<{ id: number }[]>(["flows", "--db", url, "--format", "json"]);
    assert.equal(flows.length, 600, "nothing lost");
    assert.equal(new Set(flows.map((f) => f.id)).size, 600, "nothing twice");
    assert.equal(json<unknown[]>(["devices", "--db", url, "--format", "json"]).length, 601);
  });

  it("serve at a database it cannot reach ends at once with 1 and one line", async () => {
    const cwd = tmpDir("cordon-pgserve-");
    await assert.rejects(serve(["--db", `postgres://cordon:wrong-password@127.0.0.1:${server.port}/postgres`, "--netflow", "0"], [], { cwd }),
      (e: Error) => /password authentication failed/.test(e.message) && !e.message.includes("wrong-password"));
  });
});
