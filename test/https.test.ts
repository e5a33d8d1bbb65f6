import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { ConfigError, validateConfig } from "../src/serve/config.js";
import { haveTool, runCli, tmpDir } from "./helpers.js";
import { type Serving, serve, waitFor } from "./serve-process.js";

/** serve's API and console over HTTPS with a given certificate and key, checked with openssl's certificates and curl as the client. */

const dir = tmpDir("cordon-https-");
const openssl = (args: string[]): void => {
  const r = spawnSync("openssl", args, { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
};
/** A self-signed P-256 certificate for localhost and 127.0.0.1, valid for `days`; its files. */
function certificate(name: string, days: number): { cert: string; key: string } {
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", cert, "-days", String(days),
    "-subj", `/CN=${name}`, "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"]);
  return { cert, key };
}
const haveTls = haveTool("openssl") && haveTool("curl");

describe("HTTPS for the API and console", { skip: haveTls ? false : "needs openssl and curl (apt-get install -y openssl curl)" }, () => {
  it("is required for any address but loopback; the files must parse and the key must be the certificate's", () => {
    const good = certificate("good", 365);
    const other = certificate("other", 365);
    const notPem = join(dir, "not.pem");
    writeFileSync(notPem, "hello\n");
    const refused: [Record<string, unknown>, RegExp][] = [
      [{ host: "0.0.0.0" }, /http\.host: 0\.0\.0\.0 is not a loopback address: .*TLS only/],
      [{ host: "10.0.0.5" }, /not a loopback address/],
      [{ host: "127.0.0.1", tls_cert: good.cert }, /give both, or neither/],
      [{ tls_cert: good.cert, tls_key: other.key }, /other\.key is not the key of the certificate/],
      [{ tls_cert: notPem, tls_key: good.key }, /not\.pem holds no PEM certificate/],
      [{ tls_cert: good.cert, tls_key: notPem }, /not\.pem holds no usable PEM private key/],
      [{ tls_cert: join(dir, "missing.crt"), tls_key: good.key }, /cannot read .*missing\.crt: ENOENT/],
    ];
    for (const [http, re] of refused) assert.throws(() => validateConfig({ http }), (e: Error) => e instanceof ConfigError && re.test(e.message), JSON.stringify(http));
    for (const host of ["127.0.0.1", "127.0.0.53", "::1", "localhost"]) assert.equal(validateConfig({ http: { host } }).http.tls, undefined, host);
    const tls = validateConfig({ http: { host: "0.0.0.0", tls_cert: good.cert, tls_key: good.key } }).http.tls;
    assert.equal(tls?.subject, "CN=good");
    assert.ok(tls && tls.notAfter.getTime() > Date.now() + 360 * 86_400_000);
  });

  describe("a serve with a certificate", () => {
    let s: Serving | undefined;
    let pair: { cert: string; key: string };
    const db = join(dir, "c.db");
    before(async () => {
      pair = certificate("soon", 10);
      assert.equal(runCli(["analyze", "--demo", "--db", db]).status, 0);
      assert.equal(runCli(["user", "add", "ada", "--role", "admin", "--password-stdin", "--db", db], Buffer.from("the long passphrase 4 tests\n")).status, 0);
      const config = join(dir, "serve.yaml");
      writeFileSync(config, [`db: ${db}`, "http:", `  tls_cert: ${pair.cert}`, `  tls_key: ${pair.key}`].join("\n"));
      s = await serve(["--config", config]);
    });
    after(async () => {
      s?.child.kill("SIGTERM");
      await s?.exit;
    });
    const curl = (args: string[]): { status: number; out: string } => {
      const r = spawnSync("curl", ["-sS", "--max-time", "10", ...args], { encoding: "utf8" });
      return { status: r.status ?? -1, out: r.stdout + r.stderr };
    };

    it("answers HTTPS that curl verifies against the certificate, and refuses plain HTTP", () => {
      const base = `https://localhost:${s!.httpPort}`;
      const health = curl(["--cacert", pair.cert, `${base}/healthz`]);
      assert.equal(health.status, 0, health.out);
      assert.match(health.out, /"status":"ok"/);
      assert.notEqual(curl([`${base}/healthz`]).status, 0, "a client that does not trust the certificate stops");
      assert.notEqual(curl([`http://127.0.0.1:${s!.httpPort}/healthz`]).status, 0, "plain HTTP to the TLS port gets no answer");
      const tls11 = curl(["--cacert", pair.cert, "--tls-max", "1.1", `${base}/healthz`]);
      assert.notEqual(tls11.status, 0, "TLS 1.1 and below are refused");
    });

    it("the CLI reaches it at an https URL, trusting the certificate through NODE_EXTRA_CA_CERTS", () => {
      const server = `https://localhost:${s!.httpPort}`;
      const untrusted = runCli(["respond", "list", "--server", server, "--db", db]);
      assert.equal(untrusted.status, 1);
      assert.match(untrusted.stderr, /https:\/\/localhost:\d+ answers with a certificate this machine does not trust \((DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN)\): give its CA's PEM file in NODE_EXTRA_CA_CERTS/);
      const trusted = runCli(["respond", "list", "--server", server, "--db", db], undefined, { NODE_EXTRA_CA_CERTS: pair.cert });
      assert.equal(trusted.status, 0, trusted.stderr);
      assert.equal(trusted.stdout.trim(), "no responses");
    });

    it("sets the session cookie Secure, with HSTS, and warns of a certificate near its end", async () => {
      const r = curl(["--cacert", pair.cert, "-i", "-H", "content-type: application/json", "--data", JSON.stringify({ name: "ada", password: "the long passphrase 4 tests" }), `https://localhost:${s!.httpPort}/api/login`]);
      assert.equal(r.status, 0, r.out);
      assert.match(r.out, /^HTTP\/[\d.]+ 200/m);
      assert.match(r.out, /^set-cookie: cordon_session=[A-Za-z0-9_-]{43}; HttpOnly; SameSite=Strict; Path=\/; Max-Age=\d+; Secure\r?$/im);
      assert.match(r.out, /^strict-transport-security: max-age=31536000\r?$/im);
      // Logged just after the line the start waits for: it may come in a later read of serve's output.
      const isWarning = (l: Record<string, unknown>): boolean => typeof l.msg === "string" && /^the HTTPS certificate expires in (9|10) days$/.test(l.msg);
      await waitFor(async () => s!.logs.some(isWarning), "the certificate warning");
      const warn = s!.logs.find(isWarning);
      assert.ok(warn, "a warning names the days left");
      assert.equal(warn.subject, "CN=soon");
    });
  });
});
