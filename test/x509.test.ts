import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { X509Certificate } from "node:crypto";
import { join } from "node:path";
import { describe, it } from "node:test";
import { certificateNames } from "../src/dissect/x509.js";
import { haveTool, tmpDir } from "./helpers.js";

describe("certificate names (X.509, DER)", { skip: haveTool("openssl") ? false : "openssl not installed (run .ci/run)" }, () => {
  /** A self-signed certificate made by openssl, as DER. */
  function certificate(subject: string, san?: string): Buffer {
    const dir = tmpDir("cordon-x509-");
    execFileSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1", "-subj", subject,
      ...(san ? ["-addext", `subjectAltName=${san}`] : []), "-keyout", join(dir, "k.pem"), "-outform", "DER", "-out", join(dir, "c.der")], { stdio: "ignore" });
    return readFileSync(join(dir, "c.der"));
  }

  it("reads the subject CN and the SAN DNS names openssl wrote", () => {
    const der = certificate("/C=SE/O=Axis Communications AB/CN=axis-accc8e012345.local", "DNS:cam-7.plant.example,DNS:Cam-7,IP:10.0.0.7");
    const names = certificateNames(der, 0, der.length);
    assert.equal(names.subject, "axis-accc8e012345.local");
    assert.deepEqual(names.dnsNames, ["cam-7.plant.example", "cam-7"]);
  });

  it("reads the subject, issuer, serial and validity as openssl reports them", () => {
    const der = certificate("/C=SE/O=MOBOTIX AG/OU=Cameras, Outdoor/CN=P3 D24M", "DNS:cam-7");
    const names = certificateNames(der, 0, der.length);
    assert.equal(names.subjectDn, "O=MOBOTIX AG, OU=Cameras\\, Outdoor, CN=P3 D24M");
    assert.equal(names.issuerDn, names.subjectDn, "self-signed");
    assert.equal(names.subject, undefined, "a CN with spaces is no host name");
    const dir = tmpDir("cordon-x509-");
    writeFileSync(join(dir, "c.der"), der);
    const x = new X509Certificate(der);
    assert.equal(names.serial, x.serialNumber.toLowerCase().replace(/^00(?=[89a-f])/, ""));
    assert.equal(names.notBefore, new Date(x.validFrom).toISOString().replace(".000Z", "Z"));
    assert.equal(names.notAfter, new Date(x.validTo).toISOString().replace(".000Z", "Z"));
  });

  it("reads the key and the signature algorithm as openssl names them, weak ones included", () => {
    const dir = tmpDir("cordon-x509-");
    const make = (keyArgs: string[], digest: string): Buffer => {
      execFileSync("openssl", ["req", "-x509", ...keyArgs, "-nodes", "-days", "1", `-${digest}`, "-subj", "/CN=old-camera", "-keyout", join(dir, "k.pem"), "-outform", "DER", "-out", join(dir, "c.der")], { stdio: "ignore" });
      return readFileSync(join(dir, "c.der"));
    };
    const cases: [string[], string, string, string][] = [
      [["-newkey", "rsa:1024"], "sha1", "rsa 1024", "sha1WithRSAEncryption"],
      [["-newkey", "rsa:3072"], "sha256", "rsa 3072", "sha256WithRSAEncryption"],
      [["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-384"], "sha384", "ec P-384", "ecdsa-with-SHA384"],
      [["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"], "sha1", "ec P-256", "ecdsa-with-SHA1"],
    ];
    for (const [keyArgs, digest, key, signature] of cases) {
      const der = make(keyArgs, digest);
      const names = certificateNames(der, 0, der.length);
      const text = execFileSync("openssl", ["x509", "-inform", "DER", "-noout", "-text"], { input: der }).toString();
      assert.match(text, new RegExp(`Signature Algorithm: ${signature}`), "openssl names the same signature");
      assert.deepEqual([names.key, names.signature], [key, signature]);
    }
  });

  it("a certificate cut short still gives its subject; garbage gives nothing and never throws", () => {
    const der = certificate("/O=Example/CN=hmi-3.example.com", "DNS:hmi-3.example.com");
    // Self-signed: the issuer names it first, the subject second, the SAN last.
    const name = Buffer.from("hmi-3.example.com");
    const subjectEnd = der.indexOf(name, der.indexOf(name) + 1) + name.length;
    const cut = certificateNames(der, 0, subjectEnd + 2);
    assert.deepEqual([cut.subject, cut.dnsNames, cut.issuerDn], ["hmi-3.example.com", [], "O=Example, CN=hmi-3.example.com"]);
    const shorter = certificateNames(der, 0, subjectEnd - 3);
    assert.deepEqual([shorter.subject, shorter.subjectDn, shorter.dnsNames], [undefined, undefined, []]);
    for (let i = 0; i < 2000; i++) {
      const b = Buffer.from(der);
      for (let k = 0; k < 4; k++) b[(i * 7919 + k * 104729) % b.length] = (i * 31 + k) & 0xff;
      certificateNames(b, 0, b.length);
      certificateNames(b, (i * 13) % b.length, b.length);
    }
  });
});
