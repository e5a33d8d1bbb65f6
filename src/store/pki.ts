import type { Sql } from "./sql.js";

/**
 * Certificate identity's storage: the CAs, vendor CAs for IDevID enrollment, the certificate
 * inventory, and one-time enrollment tokens. Shares the Store's connection.
 */

export interface StoredCa {
  id: number;
  /** root | issuing | chain (an issuer of an imported issuing CA, without key) | scep-ra (the SCEP registration authority's RSA certificate). */
  role: "root" | "issuing" | "chain" | "scep-ra";
  certPem: string;
  /** Encrypted PKCS#8 PEM; absent for chain certificates and an imported CA's root. */
  keyPem?: string;
  algorithm?: string;
  subject: string;
  fingerprint: string;
  notAfter: string;
  source: "created" | "imported";
  crlNumber: number;
  createdBy: string;
  createdAt: string;
}

export interface StoredVendorCa {
  fingerprint: string;
  name: string;
  certPem: string;
  subject: string;
  addedBy: string;
  addedAt: string;
}

export interface StoredCertificate {
  id: number;
  fingerprint: string;
  serial: string;
  issuer: string;
  subject: string;
  site: string;
  mac?: string;
  /** issued: by Cordon's CA; eap-tls: presented by a supplicant. */
  source: "issued" | "eap-tls";
  /** How an issued certificate was asked for: est-token, est-idevid, est-reenroll, scep, cli. */
  issuedVia?: string;
  issuedBy?: string;
  profile?: string;
  key: string;
  signature: string;
  notBefore: string;
  notAfter: string;
  weak: string[];
  /** DER, base64. */
  der: string;
  firstSeen: string;
  lastSeen: string;
  revokedAt?: string;
  revokedBy?: string;
  revokeReason?: string;
  replacedBy?: string;
}

export interface StoredToken {
  id: number;
  site: string;
  mac: string;
  deviceSerial?: string;
  createdBy: string;
  createdAt: string;
  expiresAt: string;
  usedAt?: string;
  usedFingerprint?: string;
}

type Row = Record<string, string | number | null>;
const opt = (v: string | number | null): string | undefined => (v === null ? undefined : String(v));

function caOf(r: Row): StoredCa {
  return {
    id: Number(r.id), role: r.role as StoredCa["role"], certPem: r.cert_pem as string, keyPem: opt(r.key_pem), algorithm: opt(r.algorithm), subject: r.subject as string,
    fingerprint: r.fingerprint as string, notAfter: r.not_after as string, source: r.source as StoredCa["source"], crlNumber: Number(r.crl_number),
    createdBy: r.created_by as string, createdAt: r.created_at as string,
  };
}

function certificateOf(r: Row): StoredCertificate {
  return {
    id: Number(r.id), fingerprint: r.fingerprint as string, serial: r.serial as string, issuer: r.issuer as string, subject: r.subject as string, site: r.site as string,
    mac: opt(r.mac), source: r.source as StoredCertificate["source"], issuedVia: opt(r.issued_via), issuedBy: opt(r.issued_by), profile: opt(r.profile),
    key: r.key as string, signature: r.signature as string, notBefore: r.not_before as string, notAfter: r.not_after as string,
    weak: (r.weak as string) === "" ? [] : (r.weak as string).split(","), der: r.der as string, firstSeen: r.first_seen as string, lastSeen: r.last_seen as string,
    revokedAt: opt(r.revoked_at), revokedBy: opt(r.revoked_by), revokeReason: opt(r.revoke_reason), replacedBy: opt(r.replaced_by),
  };
}

function tokenOf(r: Row): StoredToken {
  return {
    id: Number(r.id), site: r.site as string, mac: r.mac as string, deviceSerial: opt(r.device_serial), createdBy: r.created_by as string,
    createdAt: r.created_at as string, expiresAt: r.expires_at as string, usedAt: opt(r.used_at), usedFingerprint: opt(r.used_fingerprint),
  };
}

export interface CertificateFilter {
  site?: string;
  mac?: string;
  fingerprint?: string;
  serial?: string;
  source?: StoredCertificate["source"];
  limit?: number;
}

export class PkiStore {
  constructor(private readonly sql: Sql) {}

  /** The CAs in use: the issuing CA and its issuers. */
  cas(): StoredCa[] {
    return this.sql.all<Row>("SELECT * FROM pki_cas WHERE active = 1 ORDER BY id").map(caOf);
  }

  /** Puts a new CA set in use; the one before is kept, inactive (its certificates stay verifiable by fingerprint). */
  replaceCas(list: Omit<StoredCa, "id" | "crlNumber">[]): void {
    this.sql.transaction(() => {
      this.sql.run("UPDATE pki_cas SET active = 0 WHERE active = 1");
      for (const c of list) {
        this.sql.run(`INSERT INTO pki_cas (role, cert_pem, key_pem, algorithm, subject, fingerprint, not_after, source, active, created_by, created_at)
          VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?)`, c.role, c.certPem, c.keyPem ?? null, c.algorithm ?? null, c.subject, c.fingerprint, c.notAfter, c.source, c.createdBy, c.createdAt);
      }
    });
  }

  /** Puts a new SCEP RA in use (the one before goes out of use). */
  replaceRa(ra: Omit<StoredCa, "id" | "crlNumber">): void {
    this.sql.transaction(() => {
      this.sql.run("UPDATE pki_cas SET active = 0 WHERE active = 1 AND role = 'scep-ra'");
      this.sql.run(`INSERT INTO pki_cas (role, cert_pem, key_pem, algorithm, subject, fingerprint, not_after, source, active, created_by, created_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?)`, ra.role, ra.certPem, ra.keyPem ?? null, ra.algorithm ?? null, ra.subject, ra.fingerprint, ra.notAfter, ra.source, ra.createdBy, ra.createdAt);
    });
  }

  /** The next CRL number of a CA (RFC 5280 §5.2.3: monotonically increasing). */
  nextCrlNumber(caId: number): number {
    return Number(this.sql.column<number>("UPDATE pki_cas SET crl_number = crl_number + 1 WHERE id = ? RETURNING crl_number", caId)[0]);
  }

  addVendorCa(v: StoredVendorCa): void {
    this.sql.run(`INSERT INTO pki_vendor_cas (fingerprint, name, cert_pem, subject, added_by, added_at) VALUES (?, ?, ?, ?, ?, ?)
      ON CONFLICT (fingerprint) DO UPDATE SET name = excluded.name`, v.fingerprint, v.name, v.certPem, v.subject, v.addedBy, v.addedAt);
  }

  vendorCas(): StoredVendorCa[] {
    return this.sql.all<Row>("SELECT * FROM pki_vendor_cas ORDER BY name").map((r) => ({
      fingerprint: r.fingerprint as string, name: r.name as string, certPem: r.cert_pem as string, subject: r.subject as string, addedBy: r.added_by as string, addedAt: r.added_at as string,
    }));
  }

  /**
   * Records a certificate, or that it was seen again (last_seen, and the MAC when it had none).
   * Returns its id.
   */
  recordCertificate(c: Omit<StoredCertificate, "id" | "revokedAt" | "revokedBy" | "revokeReason" | "replacedBy">): number {
    return Number(this.sql.column<number>(`INSERT INTO certificates (fingerprint, serial, issuer, subject, site, mac, source, issued_via, issued_by, profile, key, signature, not_before, not_after, weak, der, first_seen, last_seen)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (fingerprint) DO UPDATE SET last_seen = excluded.last_seen, mac = COALESCE(certificates.mac, excluded.mac) RETURNING id`,
    c.fingerprint, c.serial, c.issuer, c.subject, c.site, c.mac ?? null, c.source, c.issuedVia ?? null, c.issuedBy ?? null, c.profile ?? null, c.key, c.signature,
    c.notBefore, c.notAfter, c.weak.join(","), c.der, c.firstSeen, c.lastSeen)[0]);
  }

  certificates(f: CertificateFilter = {}): StoredCertificate[] {
    const where: string[] = [];
    const args: (string | number)[] = [];
    for (const [column, value] of [["site", f.site], ["mac", f.mac], ["fingerprint", f.fingerprint], ["serial", f.serial], ["source", f.source]] as const) {
      if (value === undefined) continue;
      where.push(`${column} = ?`);
      args.push(value);
    }
    return this.sql.all<Row>(`SELECT * FROM certificates ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY id DESC LIMIT ?`, ...args, f.limit ?? 100_000).map(certificateOf);
  }

  /** Revokes a certificate not yet revoked; whether it was. */
  revoke(fingerprint: string, r: { at: string; by: string; reason: string }): boolean {
    return this.sql.run("UPDATE certificates SET revoked_at = ?, revoked_by = ?, revoke_reason = ? WHERE fingerprint = ? AND revoked_at IS NULL", r.at, r.by, r.reason, fingerprint) > 0;
  }

  /** Serials and revocation times of an issuer's revoked certificates (the CRL's entries). */
  revoked(issuer: string): { serial: string; revokedAt: string; reason: string }[] {
    return this.sql.all<Row>("SELECT serial, revoked_at, revoke_reason FROM certificates WHERE issuer = ? AND source = 'issued' AND revoked_at IS NOT NULL ORDER BY id", issuer)
      .map((r) => ({ serial: r.serial as string, revokedAt: r.revoked_at as string, reason: r.revoke_reason as string }));
  }

  /** "SITE MAC" of devices holding a certificate Cordon issued that is valid at `now` (ISO) and not revoked. */
  certifiedMacs(now: string): Set<string> {
    const rows = this.sql.rows<[string, string]>(`SELECT DISTINCT site, mac FROM certificates
      WHERE source = 'issued' AND mac IS NOT NULL AND revoked_at IS NULL AND not_before <= ? AND not_after > ?`, now, now);
    return new Set(rows.map(([site, mac]) => `${site} ${mac}`));
  }

  markReplaced(fingerprint: string, by: string): void {
    this.sql.run("UPDATE certificates SET replaced_by = ? WHERE fingerprint = ?", by, fingerprint);
  }

  addToken(t: Omit<StoredToken, "id" | "usedAt" | "usedFingerprint">, hash: string): number {
    return Number(this.sql.column<number>(`INSERT INTO enroll_tokens (site, mac, device_serial, token_hash, created_by, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`,
      t.site, t.mac, t.deviceSerial ?? null, hash, t.createdBy, t.createdAt, t.expiresAt)[0]);
  }

  /** The token with this hash, used or not. */
  token(hash: string): StoredToken | undefined {
    const r = this.sql.get<Row>("SELECT * FROM enroll_tokens WHERE token_hash = ?", hash);
    return r ? tokenOf(r) : undefined;
  }

  /** Spends a token for the certificate issued with it; false when it was spent meanwhile (a replay racing the first use). */
  spendToken(id: number, at: string, fingerprint: string): boolean {
    return this.sql.run("UPDATE enroll_tokens SET used_at = ?, used_fingerprint = ? WHERE id = ? AND used_at IS NULL", at, fingerprint, id) > 0;
  }

  tokens(site?: string): StoredToken[] {
    const rows = site === undefined ? this.sql.all<Row>("SELECT * FROM enroll_tokens ORDER BY id") : this.sql.all<Row>("SELECT * FROM enroll_tokens WHERE site = ? ORDER BY id", site);
    return rows.map(tokenOf);
  }
}
