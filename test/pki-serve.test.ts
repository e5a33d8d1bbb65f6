import assert from "node:assert/strict";
import { execFile, execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { haveTool, runCli, tmpDir } from "./helpers.js";
import { NO_RADCLIENT, radclient } from "./radius-peers.js";
import { type Serving, serve, waitFor } from "./serve-process.js";

/**
 * Certificate identity in `cordon serve`, driven by the clients devices use: curl and openssl
 * as the EST client (RFC 7030, exactly the requests a device sends), eapol_test as the 802.1X
 * supplicant, radclient for MAB, curl for the CRL.
 */
const missing = ["curl", "openssl", "eapol_test"].find((t) => !haveTool(t));
const skip = missing ? `${missing} not installed (run .ci/run)` : NO_RADCLIENT;
const PASS = "correct horse battery staple";
const SECRET = "pki-serve-secret";
const MAC = "02:00:00:00:00:21";
const PRINTER = "02:00:00:00:00:22";
const LOCK = "02:00:00:00:00:23";

interface Run {
  code: number;
  out: string;
  err: string;
}

function run(cmd: string, args: string[]): Promise<Run> {
  return new Promise((resolve) => execFile(cmd, args, { timeout: 30_000, encoding: "buffer" }, (e, out, err) => resolve({ code: e ? Number((e as { code?: number }).code ?? 1) : 0, out: out.toString("latin1"), err: err.toString() })));
}

describe("serve: EST enrollment with curl and openssl, then EAP-TLS with the certificate", { skip }, () => {
  const dir = tmpDir("cordon-pki-serve-");
  const db = join(dir, "c.db");
  let s: Serving;
  let est = 0;
  let crlPort = 0;
  let radius = 0;
  let token = "";

  before(async () => {
    assert.equal(runCli(["ca", "init", "--organisation", "Serve Test Clinic", "--db", db], undefined, { CORDON_CA_PASSPHRASE: PASS }).status, 0);
    writeFileSync(join(dir, "chain.pem"), runCli(["ca", "show", "--pem", "--db", db]).stdout);
    token = runCli(["enroll", "token", MAC, "--site", "main", "--db", db]).stdout.trim();
    writeFileSync(join(dir, "passphrase"), `${PASS}\n`);
    writeFileSync(join(dir, "serve.yaml"), `db: ${db}
site: main
nac:
  host: 127.0.0.1
  auth_port: 0
  acct_port: 0
  vlans: { onboarding: "30", quarantine: "666" }
  nas:
    - { name: sw, address: 127.0.0.1, secret: ${SECRET} }
respond:
  quarantine: coa
  revoke_certificates: true
  evidence_dir: ${join(dir, "evidence")}
pki:
  passphrase_file: ${join(dir, "passphrase")}
  names: [localhost]
  site: main
  est: { host: 127.0.0.1, port: 0 }
  http: { host: 127.0.0.1, port: 0 }
`);
    s = await serve(["--config", join(dir, "serve.yaml")]);
    await waitFor(async () => s.logs.some((l) => l.msg === "enrollment listener bound (/scep, /pki/crl)"), "the enrollment listeners");
    est = s.logs.find((l) => l.msg === "EST listener bound (/.well-known/est, /scep, /pki/crl)")!.port as number;
    crlPort = s.logs.find((l) => l.msg === "enrollment listener bound (/scep, /pki/crl)")!.port as number;
    radius = s.logs.find((l) => l.msg === "radius listener bound")!.auth as number;
    assert.ok(s.logs.some((l) => l.msg === "EAP-TLS on"));
  });
  after(async () => {
    s?.child.kill("SIGTERM");
    await s?.exit;
  });

  const url = (op: string): string => `https://localhost:${est}/.well-known/est/${op}`;
  /** A key and a base64 CSR from openssl, as a device makes them. */
  function csr(name: string, subject = "/CN=camera"): string {
    execFileSync("openssl", ["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", subject, "-keyout", join(dir, `${name}.key`), "-outform", "DER", "-out", join(dir, `${name}.csr`)], { stdio: "ignore" });
    const b64 = join(dir, `${name}.b64`);
    writeFileSync(b64, `${readFileSync(join(dir, `${name}.csr`)).toString("base64")}\n`);
    return b64;
  }
  /** An EST certs-only reply (base64 PKCS#7) as PEM certificates, read by openssl. */
  function certificates(body: string, name: string): string {
    writeFileSync(join(dir, `${name}.p7`), Buffer.from(body.replace(/\s+/g, ""), "base64"));
    return execFileSync("openssl", ["pkcs7", "-inform", "DER", "-in", join(dir, `${name}.p7`), "-print_certs"]).toString();
  }
  const post = (op: string, body: string, extra: string[]): Promise<Run> =>
    run("curl", ["-sS", "--cacert", join(dir, "chain.pem"), "-w", "\n%{http_code}", "-H", "Content-Type: application/pkcs10", "--data-binary", `@${body}`, ...extra, url(op)]);
  const status = (r: Run): number => Number(r.out.trim().split("\n").pop());
  const body = (r: Run): string => r.out.slice(0, r.out.lastIndexOf("\n"));

  it("hands out the CA chain (cacerts) and the CSR attributes, over TLS with Cordon's own certificate", async () => {
    const r = await run("curl", ["-sS", "--cacert", join(dir, "chain.pem"), url("cacerts")]);
    assert.equal(r.code, 0, r.err);
    assert.equal((certificates(r.out, "cacerts").match(/BEGIN CERTIFICATE/g) ?? []).length, 2);
    const attrs = await run("curl", ["-sS", "--cacert", join(dir, "chain.pem"), url("csrattrs")]);
    writeFileSync(join(dir, "attrs.der"), Buffer.from(attrs.out.replace(/\s+/g, ""), "base64"));
    const parsed = execFileSync("openssl", ["asn1parse", "-inform", "DER", "-in", join(dir, "attrs.der")]).toString();
    assert.match(parsed, /ecdsa-with-SHA256/);
    assert.match(parsed, /prime256v1/);
  });

  it("enrolls with the one-time token (curl, HTTP Basic) and refuses it the second time; bad requests get the protocol's status", async () => {
    const first = await post("simpleenroll", csr("dev"), ["-u", `camera:${token}`]);
    assert.equal(status(first), 200, first.out + first.err);
    const pem = certificates(body(first), "dev");
    writeFileSync(join(dir, "dev.pem"), pem);
    const text = execFileSync("openssl", ["x509", "-in", join(dir, "dev.pem"), "-noout", "-text"]).toString();
    assert.match(text, /URI:urn:dev:mac:020000000021/);
    assert.match(execFileSync("openssl", ["verify", "-CAfile", join(dir, "chain.pem"), "-purpose", "sslclient", join(dir, "dev.pem")]).toString(), /OK/);
    const replay = await post("simpleenroll", csr("dev-again"), ["-u", `camera:${token}`]);
    assert.equal(status(replay), 401);
    assert.match(body(replay), /was used on/);
    assert.equal(status(await post("simpleenroll", csr("x"), [])), 401, "no credentials");
    assert.equal(status(await run("curl", ["-sS", "--cacert", join(dir, "chain.pem"), "-w", "\n%{http_code}", "-H", "Content-Type: text/plain", "--data-binary", "hello", "-u", `c:${token}`, url("simpleenroll")])), 415);
    writeFileSync(join(dir, "huge.b64"), "A".repeat(200_000));
    assert.equal(status(await post("simpleenroll", join(dir, "huge.b64"), ["-u", `c:${token}`])), 413);
    writeFileSync(join(dir, "junk.b64"), "this is not base64 !!!");
    assert.equal(status(await post("simpleenroll", join(dir, "junk.b64"), ["-u", `c:${token}`])), 400);
    // Plain HTTP serves the CRL only: no token crosses it.
    assert.equal(status(await run("curl", ["-sS", "-w", "\n%{http_code}", `http://127.0.0.1:${crlPort}/.well-known/est/cacerts`])), 404);
  });

  it("renews by simplereenroll with the current certificate over TLS client authentication", async () => {
    const r = await post("simplereenroll", csr("dev2"), ["--cert", join(dir, "dev.pem"), "--key", join(dir, "dev.key")]);
    assert.equal(status(r), 200, r.out + r.err);
    writeFileSync(join(dir, "dev2.pem"), certificates(body(r), "dev2"));
    const again = await post("simplereenroll", csr("dev3"), ["--cert", join(dir, "dev.pem"), "--key", join(dir, "dev.key")]);
    assert.equal(status(again), 403, "the replaced certificate cannot renew again");
    const list = JSON.parse(runCli(["certs", "device", MAC, "--db", db, "--format", "json"]).stdout) as { renewal: string; issued_via: string }[];
    assert.deepEqual(list.map((c) => [c.issued_via, c.renewal]).sort(), [["est-reenroll", "not-due"], ["est-token", "renewed"]]);
  });

  it("enrolls a device that speaks only SCEP (scepclient: the token as challenge), renews it by RenewalReq, and answers a wrong challenge with a failInfo", { skip: haveTool("scepclient") ? false : "scepclient not installed (run .ci/run, which installs scep)" }, async () => {
    const scepUrl = `http://127.0.0.1:${crlPort}/scep`;
    const caps = await run("curl", ["-sS", `${scepUrl}?operation=GetCACaps`]);
    assert.match(caps.out, /POSTPKIOperation/);
    assert.match(caps.out, /SHA-256/);
    const cacert = await run("curl", ["-sS", "-o", join(dir, "ra.p7"), `${scepUrl}?operation=GetCACert`]);
    assert.equal(cacert.code, 0, cacert.err);
    const chain = execFileSync("openssl", ["pkcs7", "-inform", "DER", "-in", join(dir, "ra.p7"), "-print_certs"]).toString();
    assert.match(chain, /subject=CN = Serve Test Clinic Cordon SCEP RA/);
    writeFileSync(join(dir, "ra.pem"), chain.slice(0, chain.indexOf("-----END CERTIFICATE-----") + 25));
    // The RA is RSA (key transport), signed by the (ECDSA) issuing CA; scepclient encrypts to it by its fingerprint.
    const fp = execFileSync("openssl", ["x509", "-in", join(dir, "ra.pem"), "-noout", "-fingerprint", "-sha256"]).toString().split("=")[1].replace(/:/g, "").trim();
    const printerToken = runCli(["enroll", "token", PRINTER, "--site", "main", "--db", db]).stdout.trim();
    // scepclient keeps its CSR and self-signed certificate beside the key: a folder per device.
    const client = (challenge: string | undefined, name: string): Promise<Run> => {
      mkdirSync(join(dir, name), { recursive: true });
      return run("scepclient", ["-server-url", scepUrl, "-private-key", join(dir, name, "key.pem"), "-certificate", join(dir, name, "cert.pem"),
        "-cn", PRINTER, "-ca-fingerprint", fp, ...(challenge === undefined ? [] : ["-challenge", challenge])]);
    };
    const wrong = await client("not-the-token", "stranger");
    assert.notEqual(wrong.code, 0);
    assert.match(wrong.out + wrong.err, /failInfo: badRequest/);
    const first = await client(printerToken, "printer");
    assert.equal(first.code, 0, first.out + first.err);
    const text = execFileSync("openssl", ["x509", "-in", join(dir, "printer", "cert.pem"), "-noout", "-text"]).toString();
    assert.match(text, /URI:urn:dev:mac:020000000022/);
    assert.match(execFileSync("openssl", ["verify", "-CAfile", join(dir, "chain.pem"), join(dir, "printer", "cert.pem")]).toString(), /OK/);
    const serial1 = execFileSync("openssl", ["x509", "-in", join(dir, "printer", "cert.pem"), "-noout", "-serial"]).toString();
    const renewed = await client(undefined, "printer");
    assert.equal(renewed.code, 0, renewed.out + renewed.err);
    assert.notEqual(execFileSync("openssl", ["x509", "-in", join(dir, "printer", "cert.pem"), "-noout", "-serial"]).toString(), serial1, "a new certificate");
    const list = JSON.parse(runCli(["certs", "device", PRINTER, "--db", db, "--format", "json"]).stdout) as { issued_via: string; renewal: string }[];
    assert.deepEqual(list.map((c) => [c.issued_via, c.renewal]).sort(), [["scep-reenroll", "not-due"], ["scep-token", "renewed"]]);
    // What is not SCEP is a 400, not a crash.
    writeFileSync(join(dir, "garbage.der"), Buffer.from("3082ffff0000", "hex"));
    for (const args of [["-H", "Content-Type: application/x-pki-message", "--data-binary", `@${join(dir, "garbage.der")}`, `${scepUrl}?operation=PKIOperation`], [`${scepUrl}?operation=PKIOperation&message=AAAA`], [`${scepUrl}?operation=Nothing`]]) {
      assert.equal(status(await run("curl", ["-sS", "-w", "\n%{http_code}", ...args])), 400, args.join(" "));
    }
  });

  /** eapol_test with the enrolled certificate from the device's MAC. */
  function supplicant(cert: string, key: string, mac = MAC): Promise<Run> {
    const conf = join(dir, `${cert}.conf`);
    writeFileSync(conf, `network={\n key_mgmt=IEEE8021X\n eap=TLS\n identity="camera"\n ca_cert="${join(dir, "chain.pem")}"\n client_cert="${join(dir, cert)}"\n private_key="${join(dir, key)}"\n eapol_flags=0\n}\n`);
    return run("eapol_test", ["-c", conf, "-a", "127.0.0.1", "-p", String(radius), "-s", SECRET, "-M", mac, "-t", "10"]);
  }

  it("answers EAP-TLS with the enrolled certificate with the VLAN MAB gives the same device, and refuses it once revoked", async () => {
    const mab = await radclient(radius, "auth", SECRET, [`User-Name = "${MAC.replace(/:/g, "")}"`, `Calling-Station-Id = "${MAC}"`, "Service-Type = Call-Check", "Message-Authenticator = 0x00"]);
    assert.equal(mab.code, "Access-Accept");
    const vlan = mab.attrs["Tunnel-Private-Group-Id"]?.[0];
    assert.ok(vlan);
    const ok = await supplicant("dev2.pem", "dev2.key");
    assert.equal(ok.code, 0, ok.out.slice(-1500));
    assert.match(ok.out, /MPPE keys OK: 1/);
    assert.match(ok.out, new RegExp(`Attribute 81 \\(Tunnel-Private-Group-Id\\)[^\\n]*\\n\\s+Value: ${Buffer.from(vlan).toString("hex")}\\n`), "the same VLAN as MAB");
    const serial = execFileSync("openssl", ["x509", "-in", join(dir, "dev2.pem"), "-noout", "-serial"]).toString().trim().split("=")[1].toLowerCase();
    assert.equal(runCli(["certs", "revoke", serial, "--reason", "key-compromise", "--db", db]).status, 0);
    await waitFor(async () => s.logs.some((l) => l.msg === "revocations changed: EAP-TLS refuses the new list"), "serve to read the revocation", 15);
    const refused = await supplicant("dev2.pem", "dev2.key");
    assert.notEqual(refused.code, 0);
    assert.match(refused.out, /Access-Reject/);
    const crl = await run("curl", ["-sS", "-o", join(dir, "crl.der"), `http://127.0.0.1:${crlPort}/pki/crl`]);
    assert.equal(crl.code, 0, crl.err);
    assert.match(execFileSync("openssl", ["crl", "-inform", "DER", "-in", join(dir, "crl.der"), "-noout", "-text"]).toString(), new RegExp(`Serial Number: ${serial.toUpperCase()}`));
    const decisions = runCli(["nac", "log", "--device", MAC, "--db", db, "--format", "json"]);
    assert.match(decisions.stdout, /"identity": "certificate"/);
    // The table says it too, in a column of its own.
    const [head, ...lines] = runCli(["nac", "log", "--device", MAC, "--db", db]).stdout.trimEnd().split("\n");
    const column = head.indexOf("IDENTITY");
    assert.ok(column > 0, head);
    assert.ok(lines.some((l) => l.slice(column).startsWith("certificate ")), lines.join("\n"));
    // The API says the same, OCSP-style, and revokes with the caller recorded.
    const token = readFileSync(`${db}.token`, "utf8").trim();
    const api = async (method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> => {
      const r = await fetch(`http://127.0.0.1:${s.httpPort}${path}`, { method, headers: { authorization: `Bearer ${token}`, ...(body ? { "content-type": "application/json" } : {}) }, body: body ? JSON.stringify(body) : undefined });
      return { status: r.status, json: (await r.json()) as Record<string, unknown> };
    };
    assert.equal((await api("GET", `/api/certs/${serial}/status`)).json.status, "revoked");
    const inventory = (await api("GET", `/api/certs?device=${MAC}`)).json.items as { serial: string; status: string }[];
    assert.ok(inventory.some((c) => c.serial === serial && c.status === "revoked"));
    const others = inventory.filter((c) => c.status !== "revoked");
    assert.ok(others.length > 0, "the first certificate, renewed, is still valid");
    assert.equal((await api("POST", `/api/certs/${others[0].serial}/revoke`, { reason: "superseded" })).status, 200);
    assert.equal((await api("POST", `/api/certs/${others[0].serial}/revoke`, { reason: "superseded" })).status, 400, "revoked once");
    assert.equal((await api("POST", `/api/certs/${others[0].serial}/revoke`, { reason: "because" })).status, 400);
    assert.equal((await api("GET", `/api/certs/${others[0].serial}/status`)).json.status, "revoked");
    assert.equal((await api("GET", "/api/certs/abcdef/status")).json.status, "unknown");
    // Every refusal was counted where an operator looks.
    const metrics = await (await fetch(`http://127.0.0.1:${s.httpPort}/metrics`)).text();
    assert.match(metrics, /cordon_eap_tls_total\{outcome="eap-tls-accepted"\} [1-9]/);
    assert.match(metrics, /cordon_eap_tls_total\{outcome="eap-tls-certificate-refused"\} [1-9]/);
    assert.match(metrics, /cordon_enrollment_requests_total\{listener="est",outcome="refused-no-credentials"\} [1-9]/);
    assert.match(metrics, /cordon_enrollment_requests_total\{listener="est",outcome="issued"\} [1-9]/);
  });

  it("a quarantine whose playbook says so revokes the device's certificates, audited, and EAP-TLS learns it", async () => {
    // A device of its own, enrolled here: this test does not lean on another's leftovers.
    const lockToken = runCli(["enroll", "token", LOCK, "--site", "main", "--db", db]).stdout.trim();
    const issued = await post("simpleenroll", csr("lock"), ["-u", `lock:${lockToken}`]);
    assert.equal(status(issued), 200, issued.out + issued.err);
    writeFileSync(join(dir, "lock.pem"), certificates(body(issued), "lock"));
    const accepted = await supplicant("lock.pem", "lock.key", LOCK);
    assert.equal(accepted.code, 0, accepted.out.slice(-1500));
    const token = readFileSync(`${db}.token`, "utf8").trim();
    const before = JSON.parse(runCli(["certs", "device", LOCK, "--db", db, "--format", "json"]).stdout) as { serial: string; status: string }[];
    const valid = before.filter((c) => c.status === "valid");
    assert.equal(valid.length, 1);
    const reloads = s.logs.filter((l) => l.msg === "revocations changed: EAP-TLS refuses the new list").length;
    const r = await fetch(`http://127.0.0.1:${s.httpPort}/api/quarantine`, {
      method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: JSON.stringify({ mac: LOCK, reason: "test: key leaked" }),
    });
    const answer = await r.json() as { steps: { action: string; outcome: string; detail: string }[] };
    assert.equal(r.status, 200, JSON.stringify(answer));
    const revoke = answer.steps.find((x) => x.action === "revoke");
    assert.equal(revoke?.outcome, "ok", JSON.stringify(answer.steps));
    assert.match(revoke!.detail, new RegExp(valid[0].serial));
    const after = JSON.parse(runCli(["certs", "device", PRINTER, "--db", db, "--format", "json"]).stdout) as { serial: string; status: string; revoke_reason?: string }[];
    assert.ok(after.filter((c) => valid.some((v) => v.serial === c.serial)).every((c) => c.status === "revoked" && c.revoke_reason === "privilege-withdrawn"));
    const audit = runCli(["audit", "--db", db, "--format", "json"]).stdout;
    assert.match(audit, /"action": "certificate.revoke"/);
    await waitFor(async () => s.logs.filter((l) => l.msg === "revocations changed: EAP-TLS refuses the new list").length > reloads, "serve to read the revocation", 15);
    const refused = await supplicant("lock.pem", "lock.key", LOCK);
    assert.notEqual(refused.code, 0);
    assert.match(refused.out, /Access-Reject/);
  });
});
