import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { createHmac } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import type { Alert } from "../src/model/alert.js";
import { cef } from "../src/respond/notify/cef.js";
import { NotifyConfigError, notify, validateOutputs } from "../src/respond/notify/notify.js";
import { octetCounted, syslogMessage } from "../src/respond/notify/syslog.js";
import { signature } from "../src/respond/notify/webhook.js";
import { haveTool, tmpDir } from "./helpers.js";

const T = Date.UTC(2026, 10, 22, 6, 0, 0) * 1000;
function alert(p: Partial<Alert> = {}): Alert {
  return {
    id: "0123456789abcdef", detector: "scan", class: "scan", severity: "high", technique: "T1046", site: "plant|a", source: "10.0.0.9", sourceMac: "00:11:22:33:44:55",
    target: "10.0.0.1", title: "SYN scan: 10.0.0.9 probing the ports of 10.0.0.1 (a=b | c\\d)", firstUs: T, lastUs: T + 5_000_000, count: 1024,
    evidence: { packets: [{ source: "x.pcap", packet: 7, tsUs: T }], flows: [], observations: [] }, status: "open", ...p,
  };
}

describe("alert formats", () => {
  it("CEF: header escapes | and \\, extension escapes = and \\, severity 0-10", () => {
    const c = cef(alert());
    assert.ok(c.startsWith("CEF:0|Cordon|Cordon|"));
    const header = c.split(/(?<!\\)\|/);
    assert.equal(header[4], "scan:scan");
    assert.equal(header[5], "SYN scan: 10.0.0.9 probing the ports of 10.0.0.1 (a=b \\| c\\\\d)");
    assert.equal(header[6], "8");
    assert.match(c, / msg=SYN scan: 10\.0\.0\.9 probing the ports of 10\.0\.0\.1 \(a\\=b \| c\\\\d\)$/);
    assert.match(c, / src=10\.0\.0\.9 smac=00:11:22:33:44:55 dst=10\.0\.0\.1 /);
    assert.match(c, / cnt=1024 /);
    assert.match(c, / cs2=plant\|a /, "pipes need no escape in extensions");
  });

  it("RFC 5424 with facility local0 and the alert's severity; RFC 6587 octet counting", () => {
    const m = syslogMessage(alert({ severity: "critical" }), 16, "sensor-1");
    assert.match(m, /^<130>1 2026-11-22T06:00:05\.000Z sensor-1 cordon - scan - CEF:0\|/);
    const framed = octetCounted("héllo");
    assert.equal(framed.toString("utf8"), "6 héllo", "the count is bytes, not characters");
  });

  it("validates outputs with the place of each error", () => {
    const bad: [unknown, RegExp][] = [
      [{}, /^notify: expected a list/],
      [[{ syslog: { host: "h", port: 0, protocol: "udp" } }], /notify\[0\]\.syslog\.port/],
      [[{ syslog: { host: "h", port: 514, protocol: "sctp" } }], /notify\[0\]\.syslog\.protocol/],
      [[{ jsonl: "a", webhook: {} }], /notify\[0\]: exactly one of/],
      [[{ webhook: { url: "ftp://x" } }], /notify\[0\]\.webhook\.url/],
      [[{ webhook: { url: "http://x" } }], /notify\[0\]\.webhook\.dead_letter/],
      [[{ jsonl: "a", min_severity: "urgent" }], /notify\[0\]\.min_severity/],
      [[{ webhook: { url: "http://x", dead_letter: "d", secret: "short" } }], /notify\[0\]\.webhook\.secret: at least 16 characters/],
      [[{ webhook: { url: "http://x", dead_letter: "d", secret: "x".repeat(20), secret_env: "X" } }], /notify\[0\]\.webhook: one of secret, secret_env, secret_file/],
      [[{ webhook: { url: "http://x", dead_letter: "d", secret_env: "CORDON_TEST_NO_SUCH_VARIABLE" } }], /secret_env: the environment has no CORDON_TEST_NO_SUCH_VARIABLE/],
      [[{ webhook: { url: "http://x", dead_letter: "d", secret_file: "/nonexistent/secret" } }], /secret_file: ENOENT/],
      [[{ jsonl: "a", min_severty: "high" }], /^notify\[0\]\.min_severty: unknown key \(known: syslog, jsonl, webhook, min_severity, audience\)/],
      [[{ syslog: { host: "h", port: 514, protocol: "udp", faculty: 3 } }], /^notify\[0\]\.syslog\.faculty: unknown key/],
      [[{ syslog: { host: "h", port: 514, protocol: "udp", facility: 24 } }], /^notify\[0\]\.syslog\.facility: an integer from 0 to 23/],
      [[{ webhook: { url: "http://x", dead_letter: "d", retries: 3 } }], /^notify\[0\]\.webhook\.retries: unknown key/],
      [[{ webhook: { url: "http://x", dead_letter: "d", attempts: 0 } }], /^notify\[0\]\.webhook\.attempts: an integer from 1 to 20/],
      [[{ webhook: "http://x" }], /^notify\[0\]\.webhook: expected url and dead_letter/],
    ];
    for (const [doc, re] of bad) assert.throws(() => validateOutputs(doc), (e: Error) => e instanceof NotifyConfigError && re.test(e.message), re.source);
    const file = join(tmpdir(), `cordon-webhook-secret-${process.pid}`);
    writeFileSync(file, "a-secret-of-enough-length\n");
    assert.equal(process.env.CORDON_TEST_WEBHOOK_SECRET, undefined);
    const [fromFile, fromEnv] = validateOutputs([{ webhook: { url: "http://x", dead_letter: "d", secret_file: file } }, { webhook: { url: "http://x", dead_letter: "d", secret_env: "CORDON_TEST_WEBHOOK_SECRET" } }], { CORDON_TEST_WEBHOOK_SECRET: "another-secret-long-enough" }) as { webhook: { secret: string } }[];
    assert.equal(fromFile.webhook.secret, "a-secret-of-enough-length");
    assert.equal(fromEnv.webhook.secret, "another-secret-long-enough");
  });

  it("webhook: a redirect is not followed, the alert is dead-lettered", async () => {
    let elsewhere = 0;
    const other = createServer((_req, res) => {
      elsewhere++;
      res.end();
    });
    await new Promise<void>((r) => other.listen(0, "127.0.0.1", r));
    const target = `http://127.0.0.1:${(other.address() as AddressInfo).port}/stolen`;
    const redirecting = createServer((_req, res) => {
      res.writeHead(307, { location: target });
      res.end();
    });
    await new Promise<void>((r) => redirecting.listen(0, "127.0.0.1", r));
    const dead = join(tmpdir(), `cordon-redirect-${process.pid}.jsonl`);
    try {
      const r = await notify([{ webhook: { url: `http://127.0.0.1:${(redirecting.address() as AddressInfo).port}/hook`, attempts: 1, dead_letter: dead } }], [alert({ id: "r1" })]);
      assert.equal(r.deadLettered, 1);
      assert.equal(elsewhere, 0, "nothing reached the redirect's target");
      assert.match(readFileSync(dead, "utf8"), /redirects are not followed/);
    } finally {
      other.close();
      redirecting.close();
    }
  });
});

describe("outputs to real receivers", () => {
  const dir = tmpDir("cordon-notify-");
  let rsyslog: ChildProcess | undefined;
  const udpPort = 20000 + (process.pid % 20000);
  const tcpPort = udpPort + 1;
  const NO_RSYSLOG = haveTool("rsyslogd") ? false : "rsyslogd not installed (run .ci/run, which installs rsyslog)";

  before(async () => {
    if (NO_RSYSLOG) return;
    writeFileSync(join(dir, "r.conf"), [
      `global(workDirectory="${dir}")`, 'module(load="imudp")', 'module(load="imtcp")',
      `input(type="imudp" address="127.0.0.1" port="${udpPort}" ruleset="cordon")`,
      `input(type="imtcp" address="127.0.0.1" port="${tcpPort}" ruleset="cordon")`,
      'template(name="full" type="string" string="%protocol-version%|%pri%|%hostname%|%app-name%|%msgid%|%msg%\\n")',
      `ruleset(name="cordon") { action(type="omfile" file="${dir}/out.log" template="full") }`,
    ].join("\n"));
    rsyslog = spawn("rsyslogd", ["-n", "-f", join(dir, "r.conf"), "-i", join(dir, "r.pid")], { stdio: "ignore" });
    await sleep(800);
  });
  after(() => rsyslog?.kill());

  it("rsyslog receives RFC 5424 over UDP and octet-counted TCP, and parses the CEF alert", { skip: NO_RSYSLOG }, async () => {
    const r = await notify([
      { syslog: { host: "127.0.0.1", port: udpPort, protocol: "udp" } },
      { syslog: { host: "127.0.0.1", port: tcpPort, protocol: "tcp" }, min_severity: "high" },
    ], [alert({ id: "a1" }), alert({ id: "a2", severity: "low", title: "low one" }), alert({ id: "a3", status: "suppressed" })]);
    assert.deepEqual(r.failures, []);
    let lines: string[] = [];
    for (let i = 0; i < 50 && lines.length < 3; i++) {
      await sleep(100);
      lines = existsSync(join(dir, "out.log")) ? readFileSync(join(dir, "out.log"), "utf8").trim().split("\n") : [];
    }
    assert.equal(lines.length, 3, "two over UDP, one (high) over TCP; the suppressed one nowhere");
    for (const l of lines) {
      const [version, pri, , app, msgid, msg] = l.split("|");
      assert.equal(version, "1");
      assert.equal(app, "cordon");
      assert.equal(msgid, "scan");
      assert.ok(pri === "131" || pri === "133", pri);
      assert.ok(msg.trimStart().startsWith("CEF:0"), msg);
    }
    assert.equal(lines.filter((l) => l.includes("externalId=a1")).length, 2);
    assert.equal(lines.filter((l) => l.includes("externalId=a2")).length, 1);
  });

  it("JSON lines: one object per alert, appended", async () => {
    const file = join(dir, "alerts.jsonl");
    await notify([{ jsonl: file }], [alert({ id: "j1" })]);
    await notify([{ jsonl: file }], [alert({ id: "j2" })]);
    const rows = readFileSync(file, "utf8").trim().split("\n").map((l) => JSON.parse(l) as { id: string; class: string; first_seen: string; evidence: unknown });
    assert.deepEqual(rows.map((r) => r.id), ["j1", "j2"]);
    assert.equal(rows[0].first_seen, "2026-11-22T06:00:00.000Z");
  });

  it("webhook: signed with HMAC-SHA256, retried with backoff, dead-lettered when the receiver stays down", async () => {
    const seen: { body: string; sig: string; ts: string }[] = [];
    let fail = 2;
    const server = createServer((req, res) => {
      let body = "";
      req.on("data", (c: Buffer) => (body += c.toString()));
      req.on("end", () => {
        seen.push({ body, sig: String(req.headers["x-cordon-signature"]), ts: String(req.headers["x-cordon-timestamp"]) });
        res.statusCode = fail-- > 0 ? 503 : 200;
        res.end();
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as AddressInfo).port;
    const dead = join(dir, "dead.jsonl");
    try {
      const ok = await notify([{ webhook: { url: `http://127.0.0.1:${port}/hook`, secret: "s3cret", backoff_ms: 20, dead_letter: dead } }], [alert({ id: "w1" })]);
      assert.equal(ok.deadLettered, 0);
      assert.equal(seen.length, 3, "two 503s, then delivered");
      const last = seen[2];
      assert.equal(last.sig, `sha256=${createHmac("sha256", "s3cret").update(`${last.ts}.${last.body}`).digest("hex")}`);
      assert.equal(last.sig, signature("s3cret", last.ts, last.body));
      assert.equal((JSON.parse(last.body) as { id: string }).id, "w1");
    } finally {
      server.close();
    }
    const down = await notify([{ webhook: { url: `http://127.0.0.1:${port}/hook`, attempts: 2, backoff_ms: 10, dead_letter: dead } }], [alert({ id: "w2" })]);
    assert.equal(down.deadLettered, 1);
    const letters = readFileSync(dead, "utf8").trim().split("\n").map((l) => JSON.parse(l) as { reason: string; alert: { id: string } });
    assert.deepEqual(letters.map((l) => l.alert.id), ["w2"]);
    assert.ok(letters[0].reason.length > 0);
  });
});
