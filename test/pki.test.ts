import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { CsrError, checkCsr, describeCertificate } from "../src/pki/certificate.js";
import { fromBase64Body } from "../src/pki/est.js";
import { readScepRequest } from "../src/pki/scep.js";
import { decodeEap, decodeTlsFragment } from "../src/nac/radius/eap.js";
import { rng } from "../src/lab/generate.js";
import { Authority, EnrollError, addVendorCa, certificateInventory, createAuthority, createEnrollToken, enroll, openAuthority, raiseCertificateAlerts, revokeCertificate } from "../src/app/certificates.js";
import type { Actor } from "../src/app/actor.js";
import { AuditLog } from "../src/store/audit.js";
import { PkiStore } from "../src/store/pki.js";
import { Store } from "../src/store/store.js";
import { haveTool, runCli, tmpDir } from "./helpers.js";

/** Cordon's CA, enrollment tokens, revocation and the certificate inventory, checked with openssl. */
const skip = haveTool("openssl") ? false : "openssl not installed (run .ci/run)";
const PASS = "correct horse battery";
const by: Actor = { principal: "os:test", name: "test", via: "cli" };
const MAC = "02:00:00:00:00:0a";

function openssl(args: string[], input?: Buffer): string {
  return execFileSync("openssl", args, { input, stdio: ["pipe", "pipe", "pipe"] }).toString();
}

/** A CSR made by openssl (DER), with an optional subject. */
function csr(dir: string, name: string, o: { subject?: string; key?: string[] } = {}): Buffer {
  execFileSync("openssl", ["req", "-new", ...(o.key ?? ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"]), "-nodes", "-subj", o.subject ?? "/CN=device",
    "-keyout", join(dir, `${name}.key`), "-outform", "DER", "-out", join(dir, `${name}.csr`)], { stdio: "ignore" });
  return readFileSync(join(dir, `${name}.csr`));
}

/** A fresh database with a CA (ECDSA P-256) in use and opened, for `f`; closed after. */
async function withCa(f: (c: { dir: string; store: Store; authority: Authority }) => Promise<void>): Promise<void> {
  const dir = tmpDir("cordon-pki-");
  const store = new Store(join(dir, "c.db"));
  try {
    await createAuthority(store, by, { organisation: "Test Hospital", algorithm: "ecdsa-p256", passphrase: PASS });
    await f({ dir, store, authority: await openAuthority(store, PASS) });
  } finally {
    store.close();
  }
}

describe("the certificate authority", { skip }, () => {
  it("makes a root and issuing CA whose key openssl opens only with the passphrase, and issues a device certificate openssl verifies for client auth", async () => {
    const dir = tmpDir("cordon-pki-");
    const store = new Store(join(dir, "c.db"));
    try {
      await createAuthority(store, by, { organisation: "Test Hospital", algorithm: "rsa-2048", passphrase: PASS });
      await assert.rejects(createAuthority(store, by, { organisation: "Again", algorithm: "ecdsa-p256", passphrase: PASS }), /a CA is in use/);
      const cas = new PkiStore(store.sql).cas();
      const issuing = cas.find((c) => c.role === "issuing")!;
      assert.ok(issuing.keyPem!.includes("ENCRYPTED PRIVATE KEY"), "the key is stored encrypted");
      writeFileSync(join(dir, "issuing.key"), issuing.keyPem!);
      assert.throws(() => openssl(["pkey", "-in", join(dir, "issuing.key"), "-passin", "pass:wrong passphrase", "-noout"]));
      openssl(["pkey", "-in", join(dir, "issuing.key"), "-passin", `pass:${PASS}`, "-noout"]);
      writeFileSync(join(dir, "root.pem"), cas.find((c) => c.role === "root")!.certPem);
      writeFileSync(join(dir, "issuing.pem"), issuing.certPem);
      const authority = await openAuthority(store, PASS, "http://cordon.test/pki/crl");
      await assert.rejects(openAuthority(store, "not the passphrase"), /wrong passphrase/);
      const { token } = createEnrollToken(store, by, { site: "main", mac: MAC, serial: "SN-77" });
      const issued = await enroll(store, authority, { site: "main", csr: csr(dir, "dev"), credential: { kind: "token", token }, mode: "enroll", via: "est" });
      writeFileSync(join(dir, "dev.pem"), issued.certificate.toString("pem"));
      assert.match(openssl(["verify", "-CAfile", join(dir, "root.pem"), "-untrusted", join(dir, "issuing.pem"), "-purpose", "sslclient", join(dir, "dev.pem")]), /dev.pem: OK/);
      const text = openssl(["x509", "-in", join(dir, "dev.pem"), "-noout", "-text"]);
      assert.match(text, /URI:urn:dev:mac:02000000000a/);
      assert.match(text, /Subject: CN = 02:00:00:00:00:0a, O = Test Hospital, OU = main, serialNumber = SN-77/);
      assert.match(text, /URI:http:\/\/cordon.test\/pki\/crl/);
      assert.match(text, /TLS Web Client Authentication/);
      // The token is spent: a replay gets nothing, and nothing half-made is stored.
      await assert.rejects(enroll(store, authority, { site: "main", csr: csr(dir, "dev2"), credential: { kind: "token", token }, mode: "enroll", via: "est" }),
        (e: unknown) => e instanceof EnrollError && e.code === "token-replayed" && e.status === 401);
      assert.equal(new PkiStore(store.sql).certificates().length, 1);
      assert.ok(new AuditLog(store.sql).list({}).some((a) => a.action === "certificate.issue" && a.target === MAC));
    } finally {
      store.close();
    }
  });

  it("refuses what must not be certified: another MAC than the token's, a weak key, a broken CSR, an expired or foreign token", async () => {
    await withCa(async ({ dir, store, authority }) => {
    const attempt = (c: Buffer, token: string, site = "main"): Promise<unknown> => enroll(store, authority, { site, csr: c, credential: { kind: "token", token }, mode: "enroll", via: "est" });
    const code = (expected: string) => (e: unknown): boolean => e instanceof EnrollError && e.code === expected;
    const t1 = createEnrollToken(store, by, { site: "main", mac: MAC }).token;
    await assert.rejects(attempt(csr(dir, "other", { subject: "/CN=02:00:00:00:00:0b" }), t1), code("mac-mismatch"));
    await assert.rejects(attempt(csr(dir, "weak", { key: ["-newkey", "rsa:1024"] }), t1), code("bad-csr"));
    const broken = Buffer.from(csr(dir, "b"));
    broken[broken.length - 5] ^= 0xff;
    await assert.rejects(attempt(broken, t1), code("bad-csr"));
    await assert.rejects(attempt(Buffer.from("not a csr"), t1), code("bad-csr"));
    await assert.rejects(attempt(csr(dir, "c"), "made-up-token"), code("token-unknown"));
    await assert.rejects(attempt(csr(dir, "c"), t1, "other-site"), code("token-site"));
    const t2 = createEnrollToken(store, by, { site: "main", mac: MAC, hours: 1 }).token;
    await assert.rejects(enroll(store, authority, { site: "main", csr: csr(dir, "d"), credential: { kind: "token", token: t2 }, mode: "enroll", via: "est" }, new Date(Date.now() + 2 * 3_600_000)), code("token-expired"));
    assert.equal(new PkiStore(store.sql).certificates().length, 0, "no certificate came of any of them");
    // The token still works for the right device.
    await attempt(csr(dir, "ok", { subject: `/CN=${MAC}` }), t1);
    });
  });

  it("revokes: the CRL openssl reads lists the serial and the reason, the status says revoked", async () => {
    await withCa(async ({ dir, store, authority }) => {
    const { token } = createEnrollToken(store, by, { site: "main", mac: MAC });
    const issued = await enroll(store, authority, { site: "main", csr: csr(dir, "dev"), credential: { kind: "token", token }, mode: "enroll", via: "est" });
    const before = await authority.currentCrl(store);
    revokeCertificate(store, by, { certificate: issued.facts.serial, reason: "key-compromise" }, authority);
    assert.throws(() => revokeCertificate(store, by, { certificate: issued.facts.serial }), /was revoked on/);
    const crl = Buffer.from(await authority.currentCrl(store));
    assert.notDeepEqual(crl, Buffer.from(before));
    writeFileSync(join(dir, "issuing.pem"), authority.chainPem());
    const text = openssl(["crl", "-inform", "DER", "-noout", "-text", "-CAfile", join(dir, "issuing.pem")], crl);
    assert.match(text, new RegExp(`Serial Number: ${issued.facts.serial.toUpperCase()}`));
    assert.match(text, /Key Compromise/);
    assert.match(text, /CRL Number: \n\s+2/);
    const cli = runCli(["certs", "status", issued.facts.serial, "--db", join(dir, "c.db")]);
    assert.equal(cli.status, 1);
    assert.match(cli.stdout, /"status": "revoked"/);
    });
  });

  it("lists the inventory with renewal and expiry, and raises 30/7/1-day alerts once each", async () => {
    await withCa(async ({ dir, store, authority }) => {
    const { token } = createEnrollToken(store, by, { site: "main", mac: MAC });
    const issued = await enroll(store, authority, { site: "main", csr: csr(dir, "dev"), credential: { kind: "token", token }, mode: "enroll", via: "est" });
    const end = Date.parse(issued.facts.notAfter);
    const list = certificateInventory(store, { now: Date.now() });
    assert.deepEqual(list.map((c) => [c.mac, c.source, c.status, c.renewal]), [[MAC, "issued", "valid", "not-due"]]);
    assert.equal(certificateInventory(store, { now: end - 20 * 86_400_000 })[0].renewal, "due");
    const at = (daysBefore: number): string[] => raiseCertificateAlerts(store, undefined, end - daysBefore * 86_400_000).map((a) => a.severity);
    assert.deepEqual(at(40), []);
    assert.deepEqual(at(20), ["low"]);
    assert.deepEqual(at(19), [], "each step once");
    assert.deepEqual(at(5), ["medium"]);
    assert.deepEqual(at(0.5), ["high"]);
    assert.deepEqual(at(-1), ["high"], "expired without renewal");
    const shown = runCli(["certs", "device", MAC, "--db", join(dir, "c.db"), "--format", "json"]);
    assert.equal(shown.status, 0, shown.stderr);
    assert.equal((JSON.parse(shown.stdout) as { serial: string }[])[0].serial, issued.facts.serial);
    });
  });
});

describe("enrollment by a manufacturer's certificate (IDevID)", { skip }, () => {
  it("issues to a device whose vendor CA is trusted and that was seen at the site; refuses an unseen one, another vendor's, and a CSR naming another MAC", async () => {
    const dir = tmpDir("cordon-idevid-");
    const store = new Store(join(dir, "c.db"));
    try {
      await createAuthority(store, by, { organisation: "Test Hospital", algorithm: "ecdsa-p256", passphrase: PASS });
      // A maker's CA and the device certificates it put in at the factory, made with openssl.
      const vendor = (name: string): void => {
        execFileSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "3650", "-subj", `/O=${name}/CN=${name} Device CA`,
          "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign", "-keyout", join(dir, `${name}.key`), "-out", join(dir, `${name}.pem`)], { stdio: "ignore" });
      };
      vendor("Acme");
      vendor("Other");
      const idevid = (maker: string, mac: string, name: string): Buffer => {
        execFileSync("openssl", ["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", `/O=${maker}/serialNumber=SN-${name}`, "-keyout", join(dir, `${name}.key`), "-out", join(dir, `${name}.req`)], { stdio: "ignore" });
        writeFileSync(join(dir, "ext.cnf"), `subjectAltName=URI:urn:dev:mac:${mac.replaceAll(":", "")}\nextendedKeyUsage=clientAuth\n`);
        execFileSync("openssl", ["x509", "-req", "-in", join(dir, `${name}.req`), "-CA", join(dir, `${maker}.pem`), "-CAkey", join(dir, `${maker}.key`), "-CAcreateserial", "-days", "3650",
          "-extfile", join(dir, "ext.cnf"), "-outform", "DER", "-out", join(dir, `${name}.der`)], { stdio: "ignore" });
        return readFileSync(join(dir, `${name}.der`));
      };
      const seen = "02:00:00:00:00:31";
      store.saveDevices([{ site: "main", key: seen, mac: seen, router: false, firstUs: 1, lastUs: 2, packetsOut: 1, packetsIn: 1, bytesOut: 1, bytesIn: 1, ouiVendor: null, localMac: false, dropTrafficAddresses: false, addresses: [], endpoints: [], facts: [] }]);
      addVendorCa(store, by, { name: "Acme", certPem: readFileSync(join(dir, "Acme.pem"), "utf8") });
      const authority = await openAuthority(store, PASS);
      const attempt = (chain: Buffer, c: Buffer): Promise<unknown> => enroll(store, authority, { site: "main", csr: c, credential: { kind: "certificate", chain: [chain] }, mode: "enroll", via: "est" });
      const code = (expected: string) => (e: unknown): boolean => e instanceof EnrollError && e.code === expected;
      const good = await attempt(idevid("Acme", seen, "cam1"), csr(dir, "ld1")) as { mac: string; via: string };
      assert.deepEqual([good.mac, good.via], [seen, "est-idevid"]);
      await assert.rejects(attempt(idevid("Acme", "02:00:00:00:00:99", "cam2"), csr(dir, "ld2")), code("device-unseen"));
      await assert.rejects(attempt(idevid("Other", seen, "cam3"), csr(dir, "ld3")), code("untrusted-client-certificate"));
      await assert.rejects(attempt(idevid("Acme", seen, "cam4"), csr(dir, "ld4", { subject: "/CN=02:00:00:00:00:77" })), code("mac-mismatch"));
      await assert.rejects(enroll(store, authority, { site: "main", csr: csr(dir, "ld5"), credential: { kind: "certificate", chain: [idevid("Acme", seen, "cam5")] }, mode: "reenroll", via: "est" }), code("not-ours"));
    } finally {
      store.close();
    }
  });
});

describe("certificate parsers on hostile bytes", () => {
  it("a CSR, a SCEP message, an EAP packet or an EST body never throws anything but their own errors", async () => {
    const r = rng(26);
    const ra = { cert: Buffer.alloc(0), keyPem: "" };
    const seeds = [Buffer.from("3082010a0201003081", "hex"), Buffer.from("308006092a864886f70d010702a0803080", "hex"), Buffer.from([2, 1, 0, 10, 13, 0x80, 0, 0, 0, 4])];
    for (let i = 0; i < 3000; i++) {
      const base = seeds[i % seeds.length];
      const b = Buffer.concat([base, Buffer.from(Array.from({ length: Math.floor(r() * 64) }, () => Math.floor(r() * 256)))]);
      for (let k = 0; k < 3; k++) b[Math.floor(r() * b.length)] = Math.floor(r() * 256);
      await assert.rejects(checkCsr(b), CsrError);
      assert.throws(() => readScepRequest(b, ra), (e: unknown) => e instanceof Error);
      const eap = decodeEap(b);
      if (typeof eap !== "string") decodeTlsFragment(eap.data);
      fromBase64Body(b.toString("latin1"));
      describeCertificate(b);
    }
  });
});

describe("cordon ca, enroll and certs", { skip }, () => {
  it("makes a CA, prints its chain, writes a CRL openssl verifies, and hands out a one-time token", () => {
    const dir = tmpDir("cordon-pki-cli-");
    const db = join(dir, "c.db");
    const env = { CORDON_CA_PASSPHRASE: PASS };
    assert.match(runCli(["ca", "init", "--organisation", "Test Hospital", "--db", db], undefined, { CORDON_CA_PASSPHRASE: "short" }).stderr, /at least 12 characters/);
    const init = runCli(["ca", "init", "--organisation", "Test Hospital", "--db", db], undefined, env);
    assert.equal(init.status, 0, init.stderr);
    const chain = runCli(["ca", "show", "--pem", "--db", db]);
    writeFileSync(join(dir, "chain.pem"), chain.stdout);
    assert.equal((chain.stdout.match(/BEGIN CERTIFICATE/g) ?? []).length, 2);
    assert.equal(runCli(["ca", "crl", "--out", join(dir, "crl.der"), "--db", db], undefined, env).status, 0);
    assert.match(openssl(["crl", "-inform", "DER", "-in", join(dir, "crl.der"), "-noout", "-CAfile", join(dir, "chain.pem")]) + openssl(["crl", "-inform", "DER", "-in", join(dir, "crl.der"), "-noout", "-text"]), /No Revoked Certificates/);
    const token = runCli(["enroll", "token", "0200.0000.000a", "--site", "main", "--db", db]);
    assert.equal(token.status, 0, token.stderr);
    assert.match(token.stdout.trim(), /^[A-Za-z0-9_-]{32}$/);
    const list = runCli(["enroll", "list", "--db", db, "--format", "json"]);
    assert.match(list.stdout, /"mac": "02:00:00:00:00:0a"/);
    assert.ok(!list.stdout.includes(token.stdout.trim()), "the token itself is never shown again");
    assert.equal(runCli(["enroll", "token", "not-a-mac", "--site", "main", "--db", db]).status, 2);
  });
});
