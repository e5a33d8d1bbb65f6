import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import { CORPUS, HAVE_CORPUS, corpus, runCli, tmpDir } from "./helpers.js";
import { testPostgres } from "./postgres.js";
import { redactUrl } from "../src/store/postgres-sql.js";

const pg = await testPostgres();
const SKIP = typeof pg === "string" ? pg : false;

/** Real captures of different kinds: an IoT camera, a port scan, Alexa's cloud traffic, an S7 program download. */
const CAPTURES = [
  "tj-oconnor-IoT-Dataset/pcaps/blink-cam-01.pcap",
  "chrissanders-packets/synscan.pcapng",
  "ntop-nDPI-tests/tests/cfgs/default/pcap/alexa-app.pcapng",
  "ITI-ICS-Security-Tools/pcaps/s7/s7comm_downloading_block_db1.pcap",
];

/** Output of a command as JSON, after a zero exit. */
function json(args: string[], env: Record<string, string> = {}): unknown {
  const r = runCli(args, undefined, env);
  assert.equal(r.status, 0, `cordon ${args.join(" ")}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

/** A policy as `policy learn --format json` prints it, without what differs by nature: when it was made. */
function withoutTimes(p: unknown): unknown {
  return JSON.parse(JSON.stringify(p), (k, v: unknown) => (k === "at" || k === "generated" || k === "learnedAt" ? undefined : v));
}

describe("PostgreSQL behind the CLI", { skip: SKIP }, () => {
  const pgUrl = typeof pg === "string" ? "" : pg.base;

  it("the same captures give the same devices, flows, alerts and learned policy as SQLite", { skip: HAVE_CORPUS ? false : `corpus absent: ${CORPUS}` }, () => {
    const lab = join(tmpDir(), "lab");
    assert.equal(runCli(["lab", "--out", lab, "--devices", "30", "--duration", "900", "--scenarios", "all"]).status, 0);
    const files = [...CAPTURES.map(corpus), join(lab, "lab.pcapng")];
    const sqlite = join(tmpDir(), "same.db");
    const postgres = (pg as Exclude<typeof pg, string>).database("same");
    for (const db of [sqlite, postgres]) {
      for (const f of files) assert.equal(runCli(["analyze", "--db", db, "--format", "json", f]).status, 0);
    }
    for (const cmd of [["devices"], ["flows"], ["alerts", "--all"]]) {
      const a = json([...cmd, "--db", sqlite, "--format", "json"]);
      const b = json([...cmd, "--db", postgres, "--format", "json"]);
      assert.ok(Array.isArray(a) && a.length > 0, `${cmd[0]}: something to compare`);
      assert.deepEqual(b, a, `${cmd[0]} differs between SQLite and PostgreSQL`);
    }
    const learn = (db: string): unknown => withoutTimes(json(["policy", "learn", "--db", db, "--format", "json"]));
    assert.deepEqual(learn(postgres), learn(sqlite));
  });

  it("CORDON_DB may name PostgreSQL; its password never reaches the output", () => {
    const url = (pg as Exclude<typeof pg, string>).database("env");
    const r = runCli(["analyze", "--demo", "--format", "json"], undefined, { CORDON_DB: url });
    assert.equal(r.status, 0, r.stderr);
    assert.equal((JSON.parse(r.stdout) as { devices: unknown[] }).devices.length, 4);
    assert.ok(!r.stdout.includes((pg as Exclude<typeof pg, string>).password) && !r.stderr.includes((pg as Exclude<typeof pg, string>).password));
  });

  it("the password may come from PGPASSWORD instead of the URL, so it is not on the command line", () => {
    const server = pg as Exclude<typeof pg, string>;
    const url = server.database("pgpassword").replace(`:${encodeURIComponent(server.password)}@`, "@");
    assert.ok(!url.includes(server.password));
    const r = runCli(["analyze", "--demo", "--db", url], undefined, { PGPASSWORD: server.password });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(runCli(["devices", "--db", url], undefined, { PGPASSWORD: "wrong" }).status, 1);
  });

  it("a wrong password, database or address is one clear line and exit 1, without the password", () => {
    const port = (pg as Exclude<typeof pg, string>).port;
    const cases: [string, RegExp][] = [
      [`postgres://cordon:not-the-password@127.0.0.1:${port}/postgres`, /password authentication failed for user "cordon"/],
      [`${pgUrl}no_such_database`, /database "no_such_database" does not exist/],
      ["postgres://cordon:secret-word@127.0.0.1:1/cordon", /ECONNREFUSED|connect/i],
    ];
    for (const [url, why] of cases) {
      const t0 = Date.now();
      const r = runCli(["devices", "--db", url]);
      assert.equal(r.status, 1, r.stderr);
      const lines = r.stderr.trim().split("\n");
      assert.equal(lines.length, 1, r.stderr);
      assert.match(lines[0], /^cordon: PostgreSQL at postgres:\/\/cordon:\*\*\*\*@127\.0\.0\.1:\d+\/\w*: /);
      assert.match(lines[0], why);
      assert.ok(!r.stderr.includes("not-the-password") && !r.stderr.includes("secret-word"), "the password is not told");
      assert.ok(Date.now() - t0 < 15_000, "refused within the connect timeout");
    }
  });
});

describe("database names in messages and logs", () => {
  it("a PostgreSQL URL loses its password; a SQLite file's path is shown as it is, not as an unreadable URL", () => {
    assert.equal(redactUrl("postgres://cordon:s3cret@db.example:5432/cordon"), "postgres://cordon:****@db.example:5432/cordon");
    assert.equal(redactUrl("postgresql://cordon@db.example/cordon"), "postgresql://cordon@db.example/cordon");
    assert.equal(redactUrl("postgres://cordon:s3cret@[bad"), "postgres://(unreadable URL)");
    assert.equal(redactUrl("/var/lib/cordon/cordon.db"), "/var/lib/cordon/cordon.db");
    assert.equal(redactUrl("cordon.db"), "cordon.db");
  });
});
