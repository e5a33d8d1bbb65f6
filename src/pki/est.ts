import * as asn1js from "asn1js";
import { x509 } from "./x509.js";

/**
 * What EST (RFC 7030) carries besides the CSR: certificates as a certs-only PKCS#7 (CMS
 * SignedData without signers, §4.1.3), and the CSR attributes the server asks for (§4.5.2).
 * Bodies are base64 (Content-Transfer-Encoding: base64).
 */

/** A certs-only PKCS#7 of these certificates, DER. */
export function certsOnly(certs: readonly x509.X509Certificate[]): Uint8Array {
  return new Uint8Array(new x509.X509Certificates([...certs]).export("raw"));
}

/** Certificates from PEM text (a chain file, the worker's material). */
export function pemChain(pems: readonly string[]): x509.X509Certificate[] {
  return pems.map((p) => new x509.X509Certificate(p));
}

/**
 * The CSR attributes Cordon asks for: an EC P-256 key and an ECDSA-with-SHA256 signature
 * (what its profiles certify best; RSA of 2048 bits or more is still accepted).
 */
export function csrAttributes(): Uint8Array {
  const ecdsaWithSha256 = new asn1js.ObjectIdentifier({ value: "1.2.840.10045.4.3.2" });
  const ecKey = new asn1js.Sequence({ value: [new asn1js.ObjectIdentifier({ value: "1.2.840.10045.2.1" }), new asn1js.Set({ value: [new asn1js.ObjectIdentifier({ value: "1.2.840.10045.3.1.7" })] })] });
  return new Uint8Array(new asn1js.Sequence({ value: [ecdsaWithSha256, ecKey] }).toBER());
}

/** Base64 as EST writes it: lines of 64 characters. */
export function base64Body(der: Uint8Array): string {
  return `${(Buffer.from(der).toString("base64").match(/.{1,64}/g) ?? []).join("\n")}\n`;
}

/** A base64 body (whitespace allowed) as bytes; undefined when it is not base64. */
export function fromBase64Body(text: string): Buffer | undefined {
  const compact = text.replace(/[\r\n\t ]+/g, "");
  if (compact.length === 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(compact) || compact.length % 4 === 1) return undefined;
  return Buffer.from(compact, "base64");
}
