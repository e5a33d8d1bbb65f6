import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
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
    assert.deepEqual(certificateNames(der, 0, der.length), { subject: "axis-accc8e012345.local", dnsNames: ["cam-7.plant.example", "cam-7"] });
  });

  it("a certificate cut short still gives its subject; garbage gives nothing and never throws", () => {
    const der = certificate("/O=Example/CN=hmi-3.example.com", "DNS:hmi-3.example.com");
    // Self-signed: the issuer names it first, the subject second, the SAN last.
    const name = Buffer.from("hmi-3.example.com");
    const subjectEnd = der.indexOf(name, der.indexOf(name) + 1) + name.length;
    assert.deepEqual(certificateNames(der, 0, subjectEnd + 2), { subject: "hmi-3.example.com", dnsNames: [] });
    assert.deepEqual(certificateNames(der, 0, subjectEnd - 3), { dnsNames: [] });
    for (let i = 0; i < 2000; i++) {
      const b = Buffer.from(der);
      for (let k = 0; k < 4; k++) b[(i * 7919 + k * 104729) % b.length] = (i * 31 + k) & 0xff;
      certificateNames(b, 0, b.length);
      certificateNames(b, (i * 13) % b.length, b.length);
    }
  });
});
