import { X509Certificate as NodeCertificate } from "node:crypto";
import { describeCertificate } from "./certificate.js";

/**
 * The check of a certificate a supplicant presents (EAP-TLS; TLS has proved it holds the key):
 * issued by a CA Cordon trusts for devices, in its validity period, not revoked, usable for
 * client authentication, naming the device that presents it (the Calling-Station-Id's MAC). A certificate of another
 * device is an identity conflict: the same certificate from two MACs is a copied key or a
 * spoofed MAC.
 */

export type ClientCertificateCheck =
  | { ok: true; mac: string; serial: string; fingerprint: string; der: Buffer }
  | { ok: false; reason: string; conflict?: { certificateMac: string }; der?: Buffer; serial?: string; fingerprint?: string };

export interface ClientTrust {
  /** The issuing CAs whose device certificates are accepted. */
  anchors: readonly NodeCertificate[];
  /** Serials (hex, lower case) of revoked certificates. */
  revoked: ReadonlySet<string>;
  now: number;
}

export function checkClientCertificate(chain: readonly Buffer[], callingMac: string, trust: ClientTrust): ClientCertificateCheck {
  if (chain.length === 0) return { ok: false, reason: "no client certificate was presented" };
  const der = chain[0];
  const facts = describeCertificate(der);
  if (!facts) return { ok: false, reason: "the client certificate is not X.509", der };
  const ids = { der, serial: facts.serial, fingerprint: facts.fingerprint };
  const leaf = new NodeCertificate(der);
  if (!trust.anchors.some((a) => leaf.checkIssued(a) && leaf.verify(a.publicKey))) return { ok: false, reason: `the certificate is not from Cordon's CA (issuer ${facts.issuer})`, ...ids };
  if (Date.parse(facts.notAfter) <= trust.now) return { ok: false, reason: `the certificate expired on ${facts.notAfter}`, ...ids };
  if (Date.parse(facts.notBefore) > trust.now) return { ok: false, reason: `the certificate is not valid before ${facts.notBefore}`, ...ids };
  if (trust.revoked.has(facts.serial)) return { ok: false, reason: `the certificate ${facts.serial} is revoked`, ...ids };
  if (!facts.clientAuth) return { ok: false, reason: "the certificate is not for client authentication (EKU)", ...ids };
  if (!facts.mac) return { ok: false, reason: "the certificate names no device MAC (SAN urn:dev:mac or CN)", ...ids };
  if (facts.mac !== callingMac) return { ok: false, reason: `the certificate names ${facts.mac}, not ${callingMac}`, conflict: { certificateMac: facts.mac }, ...ids };
  return { ok: true, mac: facts.mac, ...ids };
}
