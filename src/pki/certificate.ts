import { createHash } from "node:crypto";
import { x509 } from "./x509.js";
import { canonicalMac } from "../model/mac.js";
import { type CaSigner, dn, newSerial } from "./ca.js";
import { signingAlgorithm } from "./keys.js";
import type { IssuingProfile } from "./profiles.js";

/**
 * Device certificates: a certificate signing request read and checked (PKCS#10, RFC 2986),
 * a certificate issued from it under a profile, and any certificate described the way the
 * inventory keeps it (key, signature, validity, the MAC it names, what is weak about it).
 */

export class CsrError extends Error {}

/** The largest CSR read: an RSA-4096 request with a few attributes is under 2 KiB. */
export const MAX_CSR_BYTES = 16_384;

export interface CheckedCsr {
  publicKey: x509.PublicKey;
  /** The key as inventory names it: "ec P-256", "rsa 2048". */
  key: string;
  subject: string;
  /** The challengePassword attribute (SCEP's challenge, an EST client's token), when present. */
  challenge?: string;
  /** MACs the request names (CN, SAN device URN), canonical. */
  macs: string[];
}

const OID_CHALLENGE = "1.2.840.113549.1.9.7";

/** The key of a public key algorithm as "ec P-256" or "rsa 2048"; undefined when neither. */
function keyName(alg: Algorithm & { namedCurve?: string; modulusLength?: number }): string | undefined {
  if (alg.name === "ECDSA" || alg.name === "ECDH") return `ec ${alg.namedCurve ?? "?"}`;
  if (alg.name === "RSASSA-PKCS1-v1_5" || alg.name === "RSA-PSS" || alg.name === "RSA-OAEP") return `rsa ${alg.modulusLength ?? 0}`;
  return undefined;
}

/** Whether a device key is strong enough to certify: RSA of 2048 bits or more, EC P-256 or P-384. */
export function keyAcceptable(key: string): boolean {
  const [kind, size] = key.split(" ");
  if (kind === "rsa") return Number(size) >= 2048 && Number(size) <= 8192;
  return kind === "ec" && (size === "P-256" || size === "P-384");
}

/**
 * Reads a DER CSR: well formed, signed by the key it carries (proof of possession), a key
 * Cordon certifies. Every failure is a CsrError that says what is wrong, never the parser's text.
 */
export async function checkCsr(der: Uint8Array): Promise<CheckedCsr> {
  if (der.length === 0) throw new CsrError("empty certificate request");
  if (der.length > MAX_CSR_BYTES) throw new CsrError(`certificate request of ${der.length} bytes; at most ${MAX_CSR_BYTES}`);
  let csr: x509.Pkcs10CertificateRequest;
  try {
    csr = new x509.Pkcs10CertificateRequest(new Uint8Array(der));
  } catch {
    throw new CsrError("not a PKCS#10 certificate request");
  }
  let key: string | undefined;
  let valid = false;
  try {
    key = keyName(csr.publicKey.algorithm as Algorithm);
    valid = key !== undefined && (await csr.verify());
  } catch {
    valid = false;
  }
  if (!key) throw new CsrError("the request's key is neither RSA nor EC");
  if (!valid) throw new CsrError("the request's signature does not verify with its key (no proof of possession)");
  if (!keyAcceptable(key)) throw new CsrError(`a ${key} key is too weak to certify (RSA of 2048 bits or more, EC P-256 or P-384)`);
  let challenge: string | undefined;
  const attr = csr.getAttribute(OID_CHALLENGE);
  if (attr) challenge = new x509.ChallengePasswordAttribute(attr.rawData).password;
  const macs = new Set<string>();
  for (const v of csr.subjectName.getField("CN")) {
    const m = canonicalMac(v);
    if (m) macs.add(m);
  }
  const san = csr.extensions.find((e): e is x509.SubjectAlternativeNameExtension => e instanceof x509.SubjectAlternativeNameExtension);
  for (const n of san?.names.items ?? []) {
    const m = n.type === "url" ? macOfUrn(n.value) : undefined;
    if (m) macs.add(m);
  }
  return { publicKey: csr.publicKey, key, subject: csr.subject, challenge, macs: [...macs] };
}

/** The RFC 9039 device URN of a MAC: `urn:dev:mac:` and its twelve hex digits. */
export const macUrn = (mac: string): string => `urn:dev:mac:${mac.replaceAll(":", "")}`;

export function macOfUrn(uri: string): string | undefined {
  const m = /^urn:dev:mac:([0-9a-f]{12})$/i.exec(uri);
  return m ? canonicalMac(m[1]) : undefined;
}

export interface DeviceSubject {
  mac: string;
  organisation: string;
  site: string;
  serial?: string;
  /** DNS names for a server certificate (Cordon's own servers). */
  dnsNames?: string[];
  /** A name other than the MAC for the CN (Cordon's own servers, the SCEP RA). */
  commonName?: string;
}

export interface IssueOptions {
  profile: IssuingProfile;
  now: Date;
  /** Where relying parties fetch the CRL (the CRL distribution point), when published. */
  crlUrl?: string;
  /** Key encipherment too (RSA keys that decrypt: the SCEP RA). */
  keyEncipherment?: boolean;
}

/** A certificate for `publicKey`, signed by the issuing CA under `profile`. */
export async function issueCertificate(ca: CaSigner, publicKey: x509.PublicKey | CryptoKey, subject: DeviceSubject, o: IssueOptions): Promise<x509.X509Certificate> {
  const names: [string, string][] = [["CN", subject.commonName ?? subject.mac], ["O", subject.organisation], ["OU", subject.site]];
  if (subject.serial) names.push(["2.5.4.5", subject.serial]);
  const sanItems: x509.JsonGeneralName[] = subject.commonName ? [] : [{ type: "url", value: macUrn(subject.mac) }];
  for (const d of subject.dnsNames ?? []) sanItems.push({ type: "dns", value: d });
  const eku = [x509.ExtendedKeyUsage.clientAuth, ...(o.profile.serverAuth ? [x509.ExtendedKeyUsage.serverAuth] : [])];
  const isRsa = (publicKey instanceof x509.PublicKey ? publicKey.algorithm.name : publicKey.algorithm.name).startsWith("RSA");
  const usages = x509.KeyUsageFlags.digitalSignature | (isRsa || o.keyEncipherment ? x509.KeyUsageFlags.keyEncipherment : 0);
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(usages, true),
    new x509.ExtendedKeyUsageExtension(eku, false),
    await x509.SubjectKeyIdentifierExtension.create(publicKey),
    await x509.AuthorityKeyIdentifierExtension.create(ca.cert),
  ];
  if (sanItems.length > 0) extensions.push(new x509.SubjectAlternativeNameExtension(sanItems, false));
  if (o.crlUrl) extensions.push(new x509.CRLDistributionPointsExtension([o.crlUrl]));
  return x509.X509CertificateGenerator.create({
    serialNumber: newSerial(), subject: dn(names), issuer: ca.cert.subject, notBefore: new Date(o.now.getTime() - 5 * 60_000),
    notAfter: new Date(Math.min(o.now.getTime() + o.profile.validityDays * 86_400_000, ca.cert.notAfter.getTime())),
    publicKey, signingKey: ca.key, signingAlgorithm: signingAlgorithm(ca.algorithm), extensions,
  });
}

/** A certificate as the inventory keeps it. */
export interface CertificateFacts {
  serial: string;
  fingerprint: string;
  subject: string;
  issuer: string;
  notBefore: string;
  notAfter: string;
  key: string;
  signature: string;
  /** The MAC the certificate names (SAN device URN, else a CN that is a MAC). */
  mac?: string;
  clientAuth: boolean;
  /** What is weak: "rsa-under-2048", "sha1-signature", "md5-signature". */
  weak: string[];
}

/** Describes a DER certificate; undefined when it is not one. */
export function describeCertificate(der: Uint8Array): CertificateFacts | undefined {
  let c: x509.X509Certificate;
  try {
    c = new x509.X509Certificate(new Uint8Array(der));
  } catch {
    return undefined;
  }
  const key = keyName(c.publicKey.algorithm as Algorithm) ?? c.publicKey.algorithm.name.toLowerCase();
  const sig = c.signatureAlgorithm as Algorithm & { hash?: { name: string } | string };
  const hash = typeof sig.hash === "string" ? sig.hash : sig.hash?.name ?? "";
  const signature = `${sig.name}${hash ? ` ${hash}` : ""}`;
  const weak: string[] = [];
  const [kind, size] = key.split(" ");
  if (kind === "rsa" && Number(size) < 2048) weak.push(`rsa-under-2048`);
  if (/sha-?1$/i.test(hash)) weak.push("sha1-signature");
  if (/md5/i.test(`${signature}`)) weak.push("md5-signature");
  let mac: string | undefined;
  const san = c.getExtension(x509.SubjectAlternativeNameExtension);
  for (const n of san?.names.items ?? []) if (!mac && n.type === "url") mac = macOfUrn(n.value);
  if (!mac) for (const v of c.subjectName.getField("CN")) mac ??= canonicalMac(v);
  const eku = c.getExtension(x509.ExtendedKeyUsageExtension);
  return {
    serial: c.serialNumber.toLowerCase(), fingerprint: createHash("sha256").update(Buffer.from(c.rawData)).digest("hex"), subject: c.subject, issuer: c.issuer,
    notBefore: c.notBefore.toISOString(), notAfter: c.notAfter.toISOString(), key, signature, mac,
    clientAuth: !eku || eku.usages.includes(x509.ExtendedKeyUsage.clientAuth), weak,
  };
}
