import { AsnConvert } from "@peculiar/asn1-schema";
import { CRLNumber, id_ce_cRLNumber } from "@peculiar/asn1-x509";
import type { CaSigner } from "./ca.js";
import { signingAlgorithm } from "./keys.js";
import { x509 } from "./x509.js";

/**
 * The issuing CA's CRL (RFC 5280 §5): every certificate it revoked, numbered, valid for
 * `hours` (relying parties fetch the next before then). Revocation reasons map to the CRL
 * reason codes; a quarantine is `privilegeWithdrawn`, a replaced key `superseded`.
 */

export const REVOKE_REASONS = {
  unspecified: x509.X509CrlReason.unspecified,
  "key-compromise": x509.X509CrlReason.keyCompromise,
  superseded: x509.X509CrlReason.superseded,
  "cessation-of-operation": x509.X509CrlReason.cessationOfOperation,
  "privilege-withdrawn": x509.X509CrlReason.privilegeWithdrawn,
  "affiliation-changed": x509.X509CrlReason.affiliationChanged,
} as const;
export type RevokeReason = keyof typeof REVOKE_REASONS;
export const isRevokeReason = (s: string): s is RevokeReason => Object.hasOwn(REVOKE_REASONS, s);

export interface CrlEntry {
  serial: string;
  revokedAt: string;
  reason: string;
}

export async function buildCrl(ca: CaSigner, entries: readonly CrlEntry[], crlNumber: number, now: Date, hours: number): Promise<Uint8Array> {
  const crl = await x509.X509CrlGenerator.create({
    issuer: ca.cert.subject, thisUpdate: now, nextUpdate: new Date(now.getTime() + hours * 3_600_000), signingKey: ca.key, signingAlgorithm: signingAlgorithm(ca.algorithm),
    entries: entries.map((e) => ({ serialNumber: e.serial, revocationDate: new Date(e.revokedAt), reason: isRevokeReason(e.reason) ? REVOKE_REASONS[e.reason] : x509.X509CrlReason.unspecified })),
    extensions: [await x509.AuthorityKeyIdentifierExtension.create(ca.cert), new x509.Extension(id_ce_cRLNumber, false, AsnConvert.serialize(new CRLNumber(crlNumber)))],
  });
  return new Uint8Array(crl.rawData);
}
