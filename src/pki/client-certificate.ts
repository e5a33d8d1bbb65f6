import { X509Certificate as NodeCertificate } from "node:crypto";
import { canonicalMac } from "../model/mac.js";
import { macOfUrn } from "./certificate.js";

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

/** The MAC a certificate names: its SAN device URN, else a CN that is a MAC (read by node:crypto: this runs on every EAP-TLS authentication). */
function macOf(cert: NodeCertificate): string | undefined {
  for (const part of (cert.subjectAltName ?? "").split(", ")) {
    const m = part.startsWith("URI:") ? macOfUrn(part.slice(4)) : undefined;
    if (m) return m;
  }
  for (const line of cert.subject.split("\n")) if (line.startsWith("CN=")) return canonicalMac(line.slice(3));
  return undefined;
}

const CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";

/** Checks the presented certificate (as TLS parsed it, or DER). */
export function checkClientCertificate(presented: NodeCertificate | Buffer | undefined, callingMac: string, trust: ClientTrust): ClientCertificateCheck {
  if (!presented) return { ok: false, reason: "no client certificate was presented" };
  let leaf: NodeCertificate;
  try {
    leaf = presented instanceof NodeCertificate ? presented : new NodeCertificate(presented);
  } catch {
    return { ok: false, reason: "the client certificate is not X.509", der: presented as Buffer };
  }
  const der = leaf.raw;
  const serial = leaf.serialNumber.toLowerCase().replace(/^0+(?=.)/, "");
  const ids = { der, serial, fingerprint: leaf.fingerprint256.replaceAll(":", "").toLowerCase() };
  if (!trust.anchors.some((a) => leaf.checkIssued(a) && leaf.verify(a.publicKey))) return { ok: false, reason: `the certificate is not from Cordon's CA (issuer ${leaf.issuer.replaceAll("\n", ", ")})`, ...ids };
  const notAfter = new Date(leaf.validTo);
  const notBefore = new Date(leaf.validFrom);
  if (notAfter.getTime() <= trust.now) return { ok: false, reason: `the certificate expired on ${notAfter.toISOString()}`, ...ids };
  if (notBefore.getTime() > trust.now) return { ok: false, reason: `the certificate is not valid before ${notBefore.toISOString()}`, ...ids };
  if (trust.revoked.has(serial)) return { ok: false, reason: `the certificate ${serial} is revoked`, ...ids };
  const eku = leaf.keyUsage;
  if (eku !== undefined && !eku.includes(CLIENT_AUTH)) return { ok: false, reason: "the certificate is not for client authentication (EKU)", ...ids };
  const mac = macOf(leaf);
  if (!mac) return { ok: false, reason: "the certificate names no device MAC (SAN urn:dev:mac or CN)", ...ids };
  if (mac !== callingMac) return { ok: false, reason: `the certificate names ${mac}, not ${callingMac}`, conflict: { certificateMac: mac }, ...ids };
  return { ok: true, mac, ...ids };
}
