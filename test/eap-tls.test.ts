import assert from "node:assert/strict";
import { execFile, execFileSync } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createSecureContext } from "node:tls";
import { after, before, describe, it } from "node:test";
import { buildNacTable } from "../src/nac/authorization.js";
import { EapTlsServer } from "../src/nac/eap-tls.js";
import { NasRegistry } from "../src/nac/nas.js";
import { type RadiusListener, listenRadius } from "../src/nac/radius-listener.js";
import { type DecisionEvent, RadiusServer } from "../src/nac/radius-server.js";
import { EAP_CODE, EAP_TYPE, TLS_FLAG, decodeEap, encodeEap, encodeTlsFragment } from "../src/nac/radius/eap.js";
import { type CaSigner, createCa, openCa } from "../src/pki/ca.js";
import { checkCsr, issueCertificate } from "../src/pki/certificate.js";
import { checkClientCertificate } from "../src/pki/client-certificate.js";
import { SERVER_PROFILE, profileFor } from "../src/pki/profiles.js";
import { haveTool, tmpDir } from "./helpers.js";

/**
 * EAP-TLS in Cordon's RADIUS server against wpa_supplicant's eapol_test as the supplicant
 * (Debian eapoltest): the supplicant's certificates come from Cordon's CA (or another), its
 * keys and CSRs from openssl.
 */
const skip = !haveTool("eapol_test") ? "eapol_test not installed (run .ci/run, which installs eapoltest)" : !haveTool("openssl") ? "openssl not installed" : false;
const PASS = "correct horse battery";
const CAMERA = "02:00:00:00:00:01";
const PLUG = "02:00:00:00:00:02";

describe("EAP-TLS with eapol_test", { skip }, () => {
  const dir = tmpDir("cordon-eap-");
  let ca: CaSigner;
  let listener: RadiusListener;
  let eap: EapTlsServer;
  const decisions: DecisionEvent[] = [];
  const presented: string[] = [];
  const revoked = new Set<string>();

  async function issue(name: string, mac: string, o: { signer?: CaSigner; now?: Date; rsa?: boolean } = {}): Promise<void> {
    execFileSync("openssl", ["req", "-new", "-newkey", o.rsa ? "rsa:2048" : "ec", ...(o.rsa ? [] : ["-pkeyopt", "ec_paramgen_curve:P-256"]), "-nodes", "-subj", "/CN=device",
      "-keyout", join(dir, `${name}.key`), "-outform", "DER", "-out", join(dir, `${name}.csr`)], { stdio: "ignore" });
    const csr = await checkCsr(readFileSync(join(dir, `${name}.csr`)));
    const c = await issueCertificate(o.signer ?? ca, csr.publicKey, { mac, organisation: "Test Hospital", site: "main" }, { profile: profileFor("camera"), now: o.now ?? new Date() });
    writeFileSync(join(dir, `${name}.pem`), c.toString("pem"));
    if (name === "revoked") revoked.add(c.serialNumber.toLowerCase());
  }

  before(async () => {
    const made = await createCa("Test Hospital", "ecdsa-p256", PASS, new Date());
    ca = await openCa(made.issuing, [made.root.certPem], PASS);
    writeFileSync(join(dir, "ca.pem"), `${made.issuing.certPem}\n${made.root.certPem}\n`);
    await issue("good", CAMERA);
    await issue("rsa", CAMERA, { rsa: true });
    await issue("plug", PLUG);
    await issue("expired", CAMERA, { now: new Date(Date.now() - 400 * 86_400_000) });
    await issue("revoked", CAMERA);
    const other = await createCa("Someone Else", "ecdsa-p256", PASS, new Date());
    await issue("wrongca", CAMERA, { signer: await openCa(other.issuing, [other.root.certPem], PASS) });
    // The server's own certificate, from the same CA.
    execFileSync("openssl", ["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=radius", "-keyout", join(dir, "server.key"), "-outform", "DER", "-out", join(dir, "server.csr")], { stdio: "ignore" });
    const serverCsr = await checkCsr(readFileSync(join(dir, "server.csr")));
    const serverCert = await issueCertificate(ca, serverCsr.publicKey, { mac: "", commonName: "radius.test", dnsNames: ["radius.test"], organisation: "Test Hospital", site: "main" }, { profile: SERVER_PROFILE, now: new Date() });
    const anchor = new X509Certificate(made.issuing.certPem);
    eap = new EapTlsServer({
      secureContext: createSecureContext({ cert: `${serverCert.toString("pem")}\n${made.issuing.certPem}\n`, key: readFileSync(join(dir, "server.key")), ca: `${made.issuing.certPem}\n`, minVersion: "TLSv1.2" }),
      verify: (presented, mac) => checkClientCertificate(presented, mac, { anchors: [anchor], revoked, now: Date.now() }),
    });
    const table = buildNacTable({
      settings: { vlans: { onboarding: "999", quarantine: "666", registered: "20" }, groupVlans: {}, quarantineAllow: [], unknown: "onboard" },
      devices: [{ site: "main", mac: CAMERA }, { site: "main", mac: PLUG }], policies: [], quarantines: [],
    });
    const server = new RadiusServer(new NasRegistry([{ name: "switch", address: "127.0.0.1", secret: "eap-secret", site: "main", vendor: "generic", acl: "none", requireMessageAuthenticator: true, coaPort: 3799, coaAction: "reauthenticate", rateLimit: 1000 }]),
      table, { decision: (e) => decisions.push(e), accounting: () => undefined, certificate: (e) => presented.push(e.mac) });
    server.setEapTls(eap);
    listener = await listenRadius(server, { host: "127.0.0.1", authPort: 0, acctPort: 0 }, () => undefined);
  });
  after(() => listener?.close());

  /** eapol_test with this certificate, from this MAC; its exit code and what it printed. */
  function supplicant(cert: string, mac: string, phase1 = ""): Promise<{ code: number; out: string }> {
    const conf = join(dir, `${cert}-${phase1 ? "x" : "d"}.conf`);
    writeFileSync(conf, `network={\n key_mgmt=IEEE8021X\n eap=TLS\n identity="${cert}"\n ca_cert="${join(dir, "ca.pem")}"\n client_cert="${join(dir, `${cert}.pem`)}"\n private_key="${join(dir, `${cert}.key`)}"\n eapol_flags=0\n ${phase1 ? `phase1="${phase1}"` : ""}\n}\n`);
    return new Promise((resolve) => execFile("eapol_test", ["-c", conf, "-a", "127.0.0.1", "-p", String(listener.authPort), "-s", "eap-secret", "-M", mac, "-t", "10"], { timeout: 30_000 },
      (e, out) => resolve({ code: e ? Number((e as { code?: number }).code ?? 1) : 0, out })));
  }

  for (const [version, phase1] of [["TLS 1.3", "tls_disable_tlsv1_3=0"], ["TLS 1.2", "tls_disable_tlsv1_3=1"]]) {
    it(`accepts a good certificate over ${version}: the MAB VLAN, MPPE keys the supplicant derived too, identity recorded`, async () => {
      const r = await supplicant("good", CAMERA, phase1);
      assert.equal(r.code, 0, r.out.slice(-2000));
      assert.match(r.out, /MPPE keys OK: 1 {2}mismatch: 0/);
      assert.match(r.out, /Attribute 81 \(Tunnel-Private-Group-Id\)[^\n]*\n\s+Value: 3230\n/, "VLAN 20, as eapol_test prints it (hex)");
      const d = decisions.at(-1)!;
      assert.deepEqual([d.mac, d.accept, d.vlan, d.identity, d.state], [CAMERA, true, "20", "certificate", "registered"]);
      assert.match(d.reason, new RegExp(`EAP-TLS \\(TLSv1\\.${version.endsWith("3") ? 3 : 2}\\)`));
    });
  }

  it("fragments a larger server flight and reassembles the supplicant's (an RSA device key)", async () => {
    const before = decisions.length;
    const r = await supplicant("rsa", CAMERA, "tls_disable_tlsv1_3=1");
    assert.equal(r.code, 0, r.out.slice(-2000));
    assert.match(r.out, /EAP-TLS: Received packet: Flags 0xc0|Flags 0xc0/, "the server's first flight came in fragments (L and M flags)");
    assert.equal(decisions.length, before + 1);
  });

  const refused: [string, string, string, RegExp][] = [
    ["expired", "expired", CAMERA, /expired on/],
    ["revoked", "revoked", CAMERA, /is revoked/],
    ["from another CA", "wrongca", CAMERA, /not from Cordon's CA/],
  ];
  for (const [what, cert, mac, reason] of refused) {
    it(`rejects a certificate ${what} with EAP-Failure and says why`, async () => {
      const r = await supplicant(cert, mac);
      assert.notEqual(r.code, 0);
      assert.match(r.out, /Access-Reject/);
      assert.match(r.out, /EAP-Failure|EAP authentication failed/);
      const d = decisions.at(-1)!;
      assert.deepEqual([d.mac, d.accept, d.state], [mac, false, "rejected"]);
      assert.match(d.reason, reason);
    });
  }

  it("flags a certificate of another device's MAC as an identity conflict", async () => {
    const r = await supplicant("plug", CAMERA);
    assert.notEqual(r.code, 0);
    const d = decisions.at(-1)!;
    assert.equal(d.identity, "conflict");
    assert.match(d.reason, new RegExp(`identity conflict: the certificate of ${PLUG} was presented from ${CAMERA}`));
    assert.ok(presented.includes(CAMERA), "presented certificates reach the inventory");
    assert.equal(eap.size, 0, "no session is left behind");
  });
});

describe("EAP-TLS bad input", () => {
  const context = (): ReturnType<typeof createSecureContext> => createSecureContext({});
  const server = (o: { maxMessageBytes?: number; now?: () => number } = {}): EapTlsServer =>
    new EapTlsServer({ secureContext: context(), verify: () => ({ ok: false, reason: "test" }), ...o });
  const identity = (id: number): Buffer => encodeEap({ code: EAP_CODE.response, identifier: id, type: EAP_TYPE.identity, data: Buffer.from("dev") });
  const tls = (id: number, flags: number, data: Buffer, total?: number): Buffer => encodeEap({ code: EAP_CODE.response, identifier: id, type: EAP_TYPE.tls, data: encodeTlsFragment({ flags, data, ...(total === undefined ? {} : { total }) }) });

  it("drops a response out of order, refuses a fragment over the budget, and keeps nothing of the session", async () => {
    const s = server({ maxMessageBytes: 4096 });
    const start = await s.handle(identity(7), undefined, CAMERA);
    assert.equal(start.kind, "challenge");
    const state = start.kind === "challenge" ? start.state.toString("latin1") : "";
    const req = start.kind === "challenge" ? decodeEap(start.eap) : undefined;
    assert.ok(req && typeof req !== "string" && req.identifier === 8 && req.data[0] === TLS_FLAG.start);
    assert.equal((await s.handle(tls(3, 0, Buffer.alloc(10)), state, CAMERA)).kind, "drop", "an identifier that answers no request");
    assert.equal(s.stats["eap-out-of-order"], 1);
    const over = await s.handle(tls(8, TLS_FLAG.more, Buffer.alloc(100), 1_000_000), state, CAMERA);
    assert.equal(over.kind, "reject");
    assert.match(over.kind === "reject" ? over.reason : "", /over the 4096-byte budget/);
    assert.equal(s.size, 0);
    assert.equal((await s.handle(tls(9, 0, Buffer.alloc(1)), state, CAMERA)).kind, "reject", "the ended session's State is unknown");
  });

  it("ends the session on a TLS alert or garbage where a ClientHello belongs, and on a State from another MAC", async () => {
    const s = server();
    const start = await s.handle(identity(1), undefined, CAMERA);
    const state = start.kind === "challenge" ? start.state.toString("latin1") : "";
    const garbage = await s.handle(tls(2, 0, Buffer.from("16030100ff00000000000000", "hex")), state, CAMERA);
    assert.equal(garbage.kind, "reject");
    const again = await s.handle(identity(1), undefined, CAMERA);
    const state2 = again.kind === "challenge" ? again.state.toString("latin1") : "";
    const stolen = await s.handle(tls(2, 0, Buffer.alloc(5)), state2, PLUG);
    assert.equal(stolen.kind, "reject");
    assert.equal(s.size, 0);
    for (const junk of [Buffer.alloc(0), Buffer.from([2, 1, 0, 200]), Buffer.from([1, 1, 0, 5, 1])]) assert.equal((await s.handle(junk, undefined, CAMERA)).kind, "drop");
  });

  it("holds a bounded number of sessions: idle ones time out, the oldest goes when full", async () => {
    let now = 0;
    const s = new EapTlsServer({ secureContext: context(), verify: () => ({ ok: false, reason: "test" }), maxSessions: 10, timeoutMs: 1000, now: () => now });
    for (let i = 0; i < 25; i++) await s.handle(identity(i), undefined, CAMERA);
    assert.ok(s.size <= 10, `${s.size} sessions`);
    now = 5000;
    await s.handle(identity(1), undefined, CAMERA);
    assert.equal(s.size, 1);
    assert.ok((s.stats["eap-tls-timed-out"] ?? 0) >= 9);
  });
});
