import { X509Certificate as NodeCertificate, createHash, createPrivateKey, generateKeyPairSync, randomBytes, webcrypto } from "node:crypto";
import { readFileSync } from "node:fs";
import type { Category } from "../classify/taxonomy.js";
import { canonicalMac } from "../model/mac.js";
import type { Alert } from "../model/alert.js";
import { CaError, type CaSigner, createCa, importCa, openCa, pemCertificates } from "../pki/ca.js";
import { type CertificateFacts, CsrError, checkCsr, describeCertificate, issueCertificate } from "../pki/certificate.js";
import { type RevokeReason, buildCrl, isRevokeReason } from "../pki/crl.js";
import { KEY_ALGORITHMS, type KeyAlgorithm, KeyError, checkPassphrase, generateKeys, sealKeyObject } from "../pki/keys.js";
import { certsOnly } from "../pki/est.js";
import { FAIL_INFO, type FailInfo, MESSAGE_TYPE, type ScepRa, certRep, readScepRequest } from "../pki/scep.js";
import { type IssuingProfile, SERVER_PROFILE, profileFor, renewBeforeDays } from "../pki/profiles.js";
import { x509 } from "../pki/x509.js";
import { PkiStore, type StoredCa, type StoredCertificate, type StoredToken } from "../store/pki.js";
import type { Store } from "../store/store.js";
import { type Actor, recordChange } from "./actor.js";
import { classificationOf } from "./classification.js";
import { InputError } from "./errors.js";

/**
 * Certificate identity's use cases: the CA (made or imported), enrollment tokens, enrollment
 * (EST and SCEP call the same `enroll`), revocation, the CRL and a certificate's status, and
 * the certificate inventory with its expiry alerts. Every change is audited with who made it.
 */

/** Where the CA passphrase comes from: CORDON_CA_PASSPHRASE, or the file CORDON_CA_PASSPHRASE_FILE names. Never the database. */
export function caPassphrase(env: NodeJS.ProcessEnv = process.env): string {
  let p = env.CORDON_CA_PASSPHRASE;
  if (p === undefined && env.CORDON_CA_PASSPHRASE_FILE) {
    try {
      p = readFileSync(env.CORDON_CA_PASSPHRASE_FILE, "utf8").replace(/\r?\n$/, "");
    } catch (e) {
      throw new InputError(`CORDON_CA_PASSPHRASE_FILE: ${(e as NodeJS.ErrnoException).code ?? "unreadable"}`);
    }
  }
  if (p === undefined) throw new InputError("the CA passphrase: set CORDON_CA_PASSPHRASE, or CORDON_CA_PASSPHRASE_FILE to a file holding it");
  try {
    checkPassphrase(p);
  } catch (e) {
    throw new InputError((e as Error).message);
  }
  return p;
}

const fingerprintOf = (pem: string): string => new NodeCertificate(pem).fingerprint256.replaceAll(":", "").toLowerCase();

function sealedRow(c: { role: StoredCa["role"]; certPem: string; keyPem?: string; algorithm?: string; subject: string; notAfter: Date | string }, source: StoredCa["source"], by: Actor): Omit<StoredCa, "id" | "crlNumber"> {
  return {
    role: c.role, certPem: c.certPem, keyPem: c.keyPem, algorithm: c.algorithm, subject: c.subject, fingerprint: fingerprintOf(c.certPem),
    notAfter: typeof c.notAfter === "string" ? c.notAfter : c.notAfter.toISOString(), source, createdBy: by.name, createdAt: new Date().toISOString(),
  };
}

function refuseReplacing(pki: PkiStore, replace: boolean | undefined): void {
  const current = pki.cas().find((c) => c.role === "issuing");
  if (current && !replace) throw new InputError(`a CA is in use (${current.subject}); pass --replace to put a new one in its place (certificates it issued stay valid until they expire or are revoked)`);
}

export interface AuthorityView {
  role: string;
  subject: string;
  algorithm?: string;
  source: string;
  fingerprint: string;
  notAfter: string;
  createdBy: string;
  createdAt: string;
}

const viewOfCa = (c: StoredCa): AuthorityView => ({
  role: c.role, subject: c.subject, algorithm: c.algorithm, source: c.source, fingerprint: c.fingerprint, notAfter: c.notAfter, createdBy: c.createdBy, createdAt: c.createdAt,
});

/** Makes a root and an issuing CA for `organisation`. */
export async function createAuthority(store: Store, by: Actor, i: { organisation: string; algorithm: string; passphrase: string; replace?: boolean }): Promise<AuthorityView[]> {
  const organisation = i.organisation.trim();
  if (!/^[\p{L}\p{N} .,'&()-]{1,64}$/u.test(organisation)) throw new InputError("organisation: 1 to 64 letters, digits, spaces and . , ' & ( ) -");
  if (!(KEY_ALGORITHMS as readonly string[]).includes(i.algorithm)) throw new InputError(`algorithm: one of ${KEY_ALGORITHMS.join(", ")}`);
  const pki = new PkiStore(store.sql);
  refuseReplacing(pki, i.replace);
  const { root, issuing } = await createCa(organisation, i.algorithm as KeyAlgorithm, i.passphrase, new Date());
  const rows = [sealedRow(issuing, "created", by), sealedRow(root, "created", by)];
  pki.replaceCas(rows);
  recordChange(store, by, { action: "ca.create", target: issuing.subject, detail: `root ${root.subject} and issuing CA, ${i.algorithm}${i.replace ? ", replacing the CA in use" : ""}` });
  return pki.cas().map(viewOfCa);
}

/** Puts an issuing CA of the organisation's PKI in use (its chain and key, PEM). */
export function importAuthority(store: Store, by: Actor, i: { chainPem: string; keyPem: string; keyPassphrase?: string; passphrase: string; replace?: boolean }): AuthorityView[] {
  const pki = new PkiStore(store.sql);
  refuseReplacing(pki, i.replace);
  let imported;
  try {
    imported = importCa(i.chainPem, i.keyPem, i.keyPassphrase, i.passphrase, new Date());
  } catch (e) {
    if (e instanceof CaError || e instanceof KeyError) throw new InputError(e.message);
    throw e;
  }
  const rows = [sealedRow(imported.issuing, "imported", by), ...imported.chain.map((pem) => {
    const c = new x509.X509Certificate(pem);
    return sealedRow({ role: "chain", certPem: pem, subject: c.subject, notAfter: c.notAfter }, "imported", by);
  })];
  pki.replaceCas(rows);
  recordChange(store, by, { action: "ca.import", target: imported.issuing.subject, detail: `issuing CA imported with ${imported.chain.length} issuer certificate(s), ${imported.issuing.algorithm}` });
  return pki.cas().map(viewOfCa);
}

export function authorityStatus(store: Store): { cas: AuthorityView[]; vendorCas: { name: string; subject: string; fingerprint: string }[] } {
  const pki = new PkiStore(store.sql);
  return { cas: pki.cas().map(viewOfCa), vendorCas: pki.vendorCas().map((v) => ({ name: v.name, subject: v.subject, fingerprint: v.fingerprint })) };
}

/** The CA chain as PEM, issuing CA first: what devices and RADIUS clients install. */
export function authorityChainPem(store: Store): string {
  return new PkiStore(store.sql).cas().filter((c) => c.role !== "scep-ra").map((c) => `${c.certPem.trim()}\n`).join("");
}

/** Trusts a manufacturer's CA: devices holding a certificate it issued (IDevID) may enroll without a token. */
export function addVendorCa(store: Store, by: Actor, i: { name: string; certPem: string }): { name: string; subject: string; fingerprint: string } {
  if (!/^[A-Za-z0-9 ._-]{1,64}$/.test(i.name)) throw new InputError("name: 1 to 64 letters, digits, spaces, . _ -");
  let certs;
  try {
    certs = pemCertificates(i.certPem, "the vendor CA file");
  } catch (e) {
    throw new InputError((e as Error).message);
  }
  if (certs.length !== 1) throw new InputError("the vendor CA file must hold exactly one certificate");
  const pem = certs[0].toString("pem");
  const v = { name: i.name, certPem: pem, subject: certs[0].subject, fingerprint: fingerprintOf(pem), addedBy: by.name, addedAt: new Date().toISOString() };
  new PkiStore(store.sql).addVendorCa(v);
  recordChange(store, by, { action: "ca.vendor-add", target: v.subject, detail: `vendor CA ${v.name} (${v.fingerprint}) trusted for IDevID enrollment` });
  return { name: v.name, subject: v.subject, fingerprint: v.fingerprint };
}

/**
 * The CA a process signs with: opened once (the passphrase read once), with what verifying
 * and publishing need: the chain, the vendor CAs, and a CRL kept until something is revoked.
 */
export class Authority {
  private crl?: { der: Uint8Array; revoked: number; until: number };
  /** The issuing CA as node:crypto reads it (verifying a presented certificate). */
  readonly issuer: NodeCertificate;
  constructor(readonly signer: CaSigner, readonly issuingId: number, readonly organisation: string, readonly vendorCas: x509.X509Certificate[], readonly crlUrl?: string) {
    this.issuer = new NodeCertificate(Buffer.from(signer.cert.rawData));
  }

  /** The CA certificates relying parties install: the issuing CA, then its issuers. */
  get chain(): x509.X509Certificate[] {
    return this.signer.chain;
  }

  chainPem(): string {
    return this.chain.map((c) => c.toString("pem")).join("\n");
  }

  /** The CRL (DER), rebuilt when a revocation was added or the last one is past half its life. */
  async currentCrl(store: Store, now = new Date()): Promise<Uint8Array> {
    const pki = new PkiStore(store.sql);
    const entries = pki.revoked(this.signer.cert.subject);
    if (this.crl && this.crl.revoked === entries.length && now.getTime() < this.crl.until) return this.crl.der;
    const hours = 24;
    const der = await buildCrl(this.signer, entries, pki.nextCrlNumber(this.issuingId), now, hours);
    this.crl = { der, revoked: entries.length, until: now.getTime() + (hours / 2) * 3_600_000 };
    return der;
  }

  /** Forgets the cached CRL (a revocation was made). */
  crlChanged(): void {
    this.crl = undefined;
  }
}

export async function openAuthority(store: Store, passphrase: string, crlUrl?: string): Promise<Authority> {
  const pki = new PkiStore(store.sql);
  const cas = pki.cas();
  const issuing = cas.find((c) => c.role === "issuing");
  if (!issuing || !issuing.keyPem || !issuing.algorithm) throw new InputError("no CA: make one with 'cordon ca init' or import one with 'cordon ca import'");
  let signer: CaSigner;
  try {
    signer = await openCa({ role: "issuing", certPem: issuing.certPem, keyPem: issuing.keyPem, algorithm: issuing.algorithm as KeyAlgorithm, subject: issuing.subject, notAfter: new Date(issuing.notAfter) },
      cas.filter((c) => c.role === "root" || c.role === "chain").map((c) => c.certPem), passphrase);
  } catch (e) {
    if (e instanceof KeyError) throw new InputError(e.message);
    throw e;
  }
  const organisation = signer.cert.subjectName.getField("O")[0] ?? "Cordon";
  return new Authority(signer, issuing.id, organisation, pki.vendorCas().map((v) => new x509.X509Certificate(v.certPem)), crlUrl);
}

// --- enrollment tokens --------------------------------------------------------------------

const hashToken = (token: string): string => createHash("sha256").update(token, "utf8").digest("hex");
const MAX_TOKEN_HOURS = 24 * 30;

/** A one-time enrollment token for one device (by MAC, with its serial when known). Shown once; only its hash is kept. */
export function createEnrollToken(store: Store, by: Actor, i: { site: string; mac: string; serial?: string; hours?: number }): { token: string; mac: string; expiresAt: string } {
  const mac = canonicalMac(i.mac);
  if (!mac) throw new InputError(`"${i.mac.slice(0, 40)}" is not a MAC address`);
  if (i.serial !== undefined && !/^[A-Za-z0-9._:-]{1,64}$/.test(i.serial)) throw new InputError("serial: 1 to 64 letters, digits, . _ : -");
  const hours = i.hours ?? 24 * 7;
  if (!Number.isInteger(hours) || hours < 1 || hours > MAX_TOKEN_HOURS) throw new InputError(`hours: a whole number from 1 to ${MAX_TOKEN_HOURS}`);
  const token = randomBytes(24).toString("base64url");
  const now = new Date();
  const expiresAt = new Date(now.getTime() + hours * 3_600_000).toISOString();
  const id = new PkiStore(store.sql).addToken({ site: i.site, mac, deviceSerial: i.serial, createdBy: by.name, createdAt: now.toISOString(), expiresAt }, hashToken(token));
  recordChange(store, by, { action: "enroll.token", site: i.site, target: mac, detail: `enrollment token ${id} for ${mac}${i.serial ? ` (serial ${i.serial})` : ""}, valid until ${expiresAt}` });
  return { token, mac, expiresAt };
}

// --- enrollment ---------------------------------------------------------------------------

/** Why an enrollment was refused: `status` is the HTTP status EST answers with; `code` is what the counters count. */
export class EnrollError extends Error {
  constructor(readonly status: 400 | 401 | 403 | 409 | 503, readonly code: string, message: string) {
    super(message);
  }
}

/** What proves the device may have a certificate. */
export type EnrollCredential =
  | { kind: "token"; token: string }
  /** A certificate the device presented over TLS (EST client authentication): its chain, leaf first, DER. */
  | { kind: "certificate"; chain: Uint8Array[] };

export interface EnrollRequest {
  site: string;
  csr: Uint8Array;
  credential: EnrollCredential;
  /** simpleenroll (first certificate) or simplereenroll (renewal by the current certificate). */
  mode: "enroll" | "reenroll";
  via: "est" | "scep";
}

export interface Enrolled {
  certificate: x509.X509Certificate;
  facts: CertificateFacts;
  mac: string;
  via: string;
}

function categoryOf(store: Store, site: string, mac: string): Category | undefined {
  const d = store.findDevices(mac).find((x) => x.site === site && x.mac === mac);
  if (!d) return undefined;
  return classificationOf(d, store.latestVerdicts([d.id]).get(d.id), store.overrides([d.id]).get(d.id)).category;
}

/** Whether `leaf` was issued by `ca` and is in its validity period at `now`. */
function issuedBy(leaf: NodeCertificate, ca: NodeCertificate, now: Date): boolean {
  return leaf.checkIssued(ca) && leaf.verify(ca.publicKey) && new Date(leaf.validFrom) <= now && now <= new Date(leaf.validTo);
}

/**
 * Issues a certificate for a device, as EST simpleenroll/simplereenroll and SCEP PKCSReq ask:
 * - a token: unused, unexpired, of this site; the certificate is for the token's MAC (a CSR
 *   naming another MAC is refused); the token is spent in the same transaction that records the
 *   certificate, so a replay racing the first use gets nothing;
 * - a manufacturer certificate (IDevID) issued by a trusted vendor CA, naming a MAC Cordon has
 *   seen on this site;
 * - for re-enrollment, the current certificate Cordon issued, not revoked, not expired; the new
 *   one names the same MAC and the old is marked replaced.
 * Nothing is stored unless the certificate is issued and recorded.
 */
export async function enroll(store: Store, authority: Authority, r: EnrollRequest, now = new Date()): Promise<Enrolled> {
  const pki = new PkiStore(store.sql);
  let csr;
  try {
    csr = await checkCsr(r.csr);
  } catch (e) {
    if (e instanceof CsrError) throw new EnrollError(400, "bad-csr", e.message);
    throw e;
  }
  let mac: string;
  let serial: string | undefined;
  let tokenId: number | undefined;
  let via: string;
  let replaces: StoredCertificate | undefined;
  const credential = r.credential.kind === "token" && csr.challenge !== undefined && r.via === "scep" ? { kind: "token" as const, token: csr.challenge } : r.credential;
  if (credential.kind === "token") {
    const t = pki.token(hashToken(credential.token));
    if (!t) throw new EnrollError(401, "token-unknown", "the enrollment token is not one Cordon issued");
    if (t.usedAt) throw new EnrollError(401, "token-replayed", `the enrollment token was used on ${t.usedAt}`);
    if (t.expiresAt <= now.toISOString()) throw new EnrollError(401, "token-expired", `the enrollment token expired on ${t.expiresAt}`);
    if (t.site !== r.site) throw new EnrollError(401, "token-site", "the enrollment token is for another site");
    if (csr.macs.some((m) => m !== t.mac)) throw new EnrollError(403, "mac-mismatch", `the request names ${csr.macs.join(", ")}; the token is for ${t.mac}`);
    mac = t.mac;
    serial = t.deviceSerial;
    tokenId = t.id;
    via = `${r.via}-token`;
  } else {
    if (credential.chain.length === 0) throw new EnrollError(401, "no-client-certificate", "no client certificate was presented");
    let leaf: NodeCertificate;
    try {
      leaf = new NodeCertificate(credential.chain[0]);
    } catch {
      throw new EnrollError(401, "bad-client-certificate", "the client certificate is not X.509");
    }
    const fp = leaf.fingerprint256.replaceAll(":", "").toLowerCase();
    const ours = pki.certificates({ fingerprint: fp, source: "issued" })[0];
    if (ours && issuedBy(leaf, authority.issuer, now)) {
      if (r.mode !== "reenroll") throw new EnrollError(403, "use-reenroll", "a device holding Cordon's certificate renews it with simplereenroll");
      if (ours.revokedAt) throw new EnrollError(403, "revoked", `the certificate was revoked on ${ours.revokedAt}`);
      if (ours.replacedBy) throw new EnrollError(403, "replaced", "the certificate was already renewed; renew with the newest");
      if (!ours.mac) throw new EnrollError(403, "no-mac", "the certificate names no device");
      if (csr.macs.some((m) => m !== ours.mac)) throw new EnrollError(403, "mac-mismatch", `a renewal must name the same device (${ours.mac})`);
      mac = ours.mac;
      replaces = ours;
      via = `${r.via}-reenroll`;
    } else {
      if (r.mode === "reenroll") throw new EnrollError(403, "not-ours", "simplereenroll needs the current certificate Cordon issued");
      const vendor = authority.vendorCas.find((v) => issuedBy(leaf, new NodeCertificate(Buffer.from(v.rawData)), now));
      if (!vendor) throw new EnrollError(403, "untrusted-client-certificate", "the client certificate is neither Cordon's nor from a trusted vendor CA");
      const facts = describeCertificate(credential.chain[0]);
      if (!facts?.mac) throw new EnrollError(403, "no-mac", "the manufacturer certificate names no MAC (SAN urn:dev:mac or CN)");
      if (!store.findDevices(facts.mac).some((d) => d.site === r.site)) throw new EnrollError(403, "device-unseen", `${facts.mac} has not been seen at site ${r.site}`);
      if (csr.macs.some((m) => m !== facts.mac)) throw new EnrollError(403, "mac-mismatch", `the request names ${csr.macs.join(", ")}; the manufacturer certificate ${facts.mac}`);
      mac = facts.mac;
      via = `${r.via}-idevid`;
    }
  }
  const profile: IssuingProfile = profileFor(categoryOf(store, r.site, mac) ?? "unknown");
  const certificate = await issueCertificate(authority.signer, csr.publicKey, { mac, organisation: authority.organisation, site: r.site, serial }, { profile, now, crlUrl: authority.crlUrl });
  const der = new Uint8Array(certificate.rawData);
  const facts = describeCertificate(der)!;
  store.sql.transaction(() => {
    if (tokenId !== undefined && !pki.spendToken(tokenId, now.toISOString(), facts.fingerprint)) throw new EnrollError(401, "token-replayed", "the enrollment token was used meanwhile");
    pki.recordCertificate({ ...factsRow(facts, der, r.site, "issued", now), mac, issuedVia: via, issuedBy: `device ${mac}`, profile: profile.name });
    if (replaces) pki.markReplaced(replaces.fingerprint, facts.fingerprint);
  });
  recordChange(store, { principal: `device:${mac}`, name: `device ${mac}`, via: "api" }, {
    action: "certificate.issue", site: r.site, target: mac, detail: `certificate ${facts.serial} (${profile.name}, ${facts.key}, until ${facts.notAfter}) by ${via}${replaces ? `, replacing ${replaces.serial}` : ""}`,
  });
  return { certificate, facts, mac, via };
}

export function factsRow(f: CertificateFacts, der: Uint8Array, site: string, source: StoredCertificate["source"], now: Date): Omit<StoredCertificate, "id" | "revokedAt" | "revokedBy" | "revokeReason" | "replacedBy"> {
  return {
    fingerprint: f.fingerprint, serial: f.serial, issuer: f.issuer, subject: f.subject, site, mac: f.mac, source, key: f.key, signature: f.signature,
    notBefore: f.notBefore, notAfter: f.notAfter, weak: f.weak, der: Buffer.from(der).toString("base64"), firstSeen: now.toISOString(), lastSeen: now.toISOString(),
  };
}

// --- revocation and status ----------------------------------------------------------------

/** Revokes a certificate Cordon issued, by its fingerprint or serial (hex). */
export function revokeCertificate(store: Store, by: Actor, i: { certificate: string; reason?: string }, authority?: Authority): StoredCertificate {
  const reason = i.reason ?? "unspecified";
  if (!isRevokeReason(reason)) throw new InputError(`reason: one of unspecified, key-compromise, superseded, cessation-of-operation, privilege-withdrawn, affiliation-changed`);
  const id = i.certificate.toLowerCase().replaceAll(":", "");
  if (!/^[0-9a-f]{1,64}$/.test(id)) throw new InputError("certificate: a serial or SHA-256 fingerprint in hex");
  const pki = new PkiStore(store.sql);
  const found = [...pki.certificates({ fingerprint: id, source: "issued" }), ...pki.certificates({ serial: id, source: "issued" })];
  if (found.length === 0) throw new InputError(`no certificate Cordon issued has serial or fingerprint ${id}`);
  const c = found[0];
  if (c.revokedAt) throw new InputError(`certificate ${c.serial} was revoked on ${c.revokedAt} by ${c.revokedBy}`);
  const at = new Date().toISOString();
  pki.revoke(c.fingerprint, { at, by: by.name, reason });
  authority?.crlChanged();
  recordChange(store, by, { action: "certificate.revoke", site: c.site, target: c.mac ?? c.subject, detail: `certificate ${c.serial} revoked (${reason})` });
  return { ...c, revokedAt: at, revokedBy: by.name, revokeReason: reason };
}

/** Revokes every valid certificate Cordon issued to a device (a quarantine whose playbook says so). */
export function revokeDeviceCertificates(store: Store, by: Actor, site: string, mac: string, reason: RevokeReason, authority?: Authority): StoredCertificate[] {
  const now = new Date().toISOString();
  return new PkiStore(store.sql).certificates({ site, mac, source: "issued" }).filter((c) => !c.revokedAt && c.notAfter > now)
    .map((c) => revokeCertificate(store, by, { certificate: c.fingerprint, reason }, authority));
}

export interface CertificateStatus {
  serial: string;
  /** good, revoked, or unknown (not issued by Cordon), as OCSP (RFC 6960 §2.2) says. */
  status: "good" | "revoked" | "unknown";
  revokedAt?: string;
  reason?: string;
  notAfter?: string;
  mac?: string;
  checkedAt: string;
}

/** OCSP-style status of a certificate Cordon issued, by serial. */
export function certificateStatus(store: Store, serial: string): CertificateStatus {
  const s = serial.toLowerCase().replaceAll(":", "");
  if (!/^[0-9a-f]{1,40}$/.test(s)) throw new InputError("serial: hex, at most 20 octets");
  const c = new PkiStore(store.sql).certificates({ serial: s, source: "issued" })[0];
  const checkedAt = new Date().toISOString();
  if (!c) return { serial: s, status: "unknown", checkedAt };
  return { serial: s, status: c.revokedAt ? "revoked" : "good", ...(c.revokedAt ? { revokedAt: c.revokedAt, reason: c.revokeReason } : {}), notAfter: c.notAfter, mac: c.mac, checkedAt };
}

// --- the certificate inventory ------------------------------------------------------------

export interface InventoryCertificate {
  site: string;
  mac?: string;
  /** issued by Cordon, presented in EAP-TLS, or a device's TLS server certificate seen on the wire. */
  source: "issued" | "eap-tls" | "tls-server";
  serial?: string;
  fingerprint?: string;
  subject: string;
  issuer: string;
  notBefore?: string;
  notAfter?: string;
  key?: string;
  signature?: string;
  profile?: string;
  issuedVia?: string;
  /** valid, expiring (within 30 days), expired, not-yet-valid, revoked, or unknown (no validity seen). */
  status: "valid" | "expiring" | "expired" | "not-yet-valid" | "revoked" | "unknown";
  daysLeft?: number;
  /** For certificates Cordon issued: not-due, due, renewed, lapsed (expired unrenewed); n/a otherwise. */
  renewal: "not-due" | "due" | "renewed" | "lapsed" | "n/a";
  /** rsa-under-2048, sha1-signature, md5-signature, expired (a certificate still presented after its end). */
  weak: string[];
  revokedAt?: string;
  revokeReason?: string;
}

const DAY_MS = 86_400_000;

function statusOf(notBefore: string | undefined, notAfter: string | undefined, revokedAt: string | undefined, now: number): Pick<InventoryCertificate, "status" | "daysLeft"> {
  if (revokedAt) return { status: "revoked" };
  if (!notAfter) return { status: "unknown" };
  const daysLeft = Math.floor((Date.parse(notAfter) - now) / DAY_MS);
  if (Date.parse(notAfter) <= now) return { status: "expired", daysLeft };
  if (notBefore && Date.parse(notBefore) > now) return { status: "not-yet-valid", daysLeft };
  return { status: daysLeft < 30 ? "expiring" : "valid", daysLeft };
}

/** The key and signature names the TLS dissector records ("rsa 1024", "sha1WithRSAEncryption") read as weak or not. */
function weakOfSeen(key: string | undefined, signature: string | undefined): string[] {
  const out: string[] = [];
  const m = key ? /^rsa (\d+)$/.exec(key) : null;
  if (m && Number(m[1]) < 2048) out.push("rsa-under-2048");
  if (signature && /sha1|sha-1/i.test(signature)) out.push("sha1-signature");
  if (signature && /md5/i.test(signature)) out.push("md5-signature");
  return out;
}

/**
 * Every certificate Cordon knows of at a site (or all sites), optionally one device's: those it
 * issued, those supplicants presented in EAP-TLS, and the TLS server certificates devices
 * presented on the wire (from the tls.cert_* facts), each with its status and what is weak.
 */
export function certificateInventory(store: Store, o: { site?: string; mac?: string; now?: number } = {}): InventoryCertificate[] {
  const now = o.now ?? Date.now();
  const mac = o.mac === undefined ? undefined : canonicalMac(o.mac);
  if (o.mac !== undefined && !mac) throw new InputError(`"${o.mac.slice(0, 40)}" is not a MAC address`);
  const pki = new PkiStore(store.sql);
  const out: InventoryCertificate[] = [];
  for (const c of pki.certificates({ site: o.site, mac })) {
    const s = statusOf(c.notBefore, c.notAfter, c.revokedAt, now);
    const profile = c.profile;
    const renewBefore = c.source === "issued" ? renewBeforeDays(profile) : 0;
    const renewal: InventoryCertificate["renewal"] = c.source !== "issued" ? "n/a" : c.replacedBy ? "renewed" : s.status === "expired" ? "lapsed"
      : s.daysLeft !== undefined && s.daysLeft <= renewBefore ? "due" : "not-due";
    out.push({
      site: c.site, mac: c.mac, source: c.source, serial: c.serial, fingerprint: c.fingerprint, subject: c.subject, issuer: c.issuer, notBefore: c.notBefore, notAfter: c.notAfter,
      key: c.key, signature: c.signature, profile, issuedVia: c.issuedVia, ...s, renewal, weak: [...c.weak, ...(s.status === "expired" && c.source === "eap-tls" ? ["expired"] : [])],
      revokedAt: c.revokedAt, revokeReason: c.revokeReason,
    });
  }
  const devices = mac ? store.findDevices(mac).filter((d) => d.mac === mac) : store.devices(o.site);
  for (const d of devices) {
    if (o.site !== undefined && d.site !== o.site) continue;
    const fact = (kind: string): string | undefined => {
      let best: StoredFactLike | undefined;
      for (const f of d.facts) if (f.kind === kind && (!best || f.lastUs > best.lastUs)) best = f;
      return best?.value;
    };
    const subject = fact("tls.cert_subject");
    if (subject === undefined) continue;
    const validity = fact("tls.cert_validity")?.split("/");
    const key = fact("tls.cert_key");
    const signature = fact("tls.cert_signature");
    const s = statusOf(validity?.[0], validity?.[1], undefined, now);
    out.push({
      site: d.site, mac: d.mac ?? undefined, source: "tls-server", serial: fact("tls.cert_serial"), subject, issuer: fact("tls.cert_issuer") ?? "", notBefore: validity?.[0], notAfter: validity?.[1],
      key, signature, ...s, renewal: "n/a", weak: [...weakOfSeen(key, signature), ...(s.status === "expired" ? ["expired"] : [])],
    });
  }
  return out;
}

interface StoredFactLike {
  value: string;
  lastUs: number;
}

const EXPIRY_STEPS = [{ days: 1, severity: "high" }, { days: 7, severity: "medium" }, { days: 30, severity: "low" }] as const;

/**
 * Alerts for certificates of devices running out: within 30, 7 and 1 days (each step once per
 * certificate), and expired without a renewal. Certificates Cordon issued that were renewed or
 * revoked, and certificates already past their end when first seen, raise nothing new.
 */
export function raiseCertificateAlerts(store: Store, site?: string, now = Date.now()): Alert[] {
  const out: Alert[] = [];
  const seen = store.alertIds();
  for (const c of certificateInventory(store, { site, now })) {
    if (c.status === "revoked" || c.renewal === "renewed" || c.daysLeft === undefined || c.daysLeft >= 30) continue;
    const step = c.status === "expired" ? { days: 0, severity: "high" as const } : EXPIRY_STEPS.find((s) => c.daysLeft! < s.days);
    if (!step) continue;
    const who = c.mac ?? c.subject;
    const id = createHash("sha256").update(`certificate\n${c.fingerprint ?? `${c.site}|${who}|${c.serial}|${c.notAfter}`}\n${step.days}`).digest("hex").slice(0, 16);
    if (seen.has(id)) continue;
    const what = c.source === "tls-server" ? "TLS server certificate" : c.source === "issued" ? "certificate Cordon issued" : "EAP-TLS certificate";
    const title = step.days === 0 ? `The ${what} of ${who} expired on ${c.notAfter}${c.source === "issued" ? " and was not renewed" : ""}`
      : `The ${what} of ${who} expires in ${Math.max(c.daysLeft, 0)} day(s), on ${c.notAfter}`;
    out.push({
      id, detector: "certificate-expiry", class: "certificate", severity: step.severity, technique: "", site: c.site,
      ...(c.mac ? { source: c.mac, sourceMac: c.mac } : {}), title, firstUs: now * 1000, lastUs: now * 1000, count: 1, status: "open",
      evidence: { packets: [], flows: [], observations: [`${c.subject} issued by ${c.issuer}${c.serial ? `, serial ${c.serial}` : ""}; renewal: ${c.renewal}`] },
    });
  }
  if (out.length) store.saveAlerts(out);
  return out;
}

/** The site a token or a listing is for: the one named (a site name), else the database's only site. */
export function certificateSite(store: Store, site: string | undefined): string {
  if (site !== undefined) {
    if (!/^[A-Za-z0-9._-]{1,64}$/.test(site)) throw new InputError("site: 1 to 64 letters, digits, . _ -");
    return site;
  }
  const sites = store.sites();
  if (sites.length === 1) return sites[0];
  throw new InputError(sites.length === 0 ? "name the site (--site) the device will be at" : `name a site (--site): ${sites.join(", ")}`);
}

export function enrollTokens(store: Store, site?: string): (StoredToken & { state: "open" | "used" | "expired" })[] {
  const now = new Date().toISOString();
  return new PkiStore(store.sql).tokens(site).map((t) => ({ ...t, state: t.usedAt ? "used" : t.expiresAt <= now ? "expired" : "open" }));
}

// --- what serve's threads need --------------------------------------------------------------

/** What the thread that owns the sockets needs to run EAP-TLS and EST: plain data, it crosses threads. */
export interface PkiMaterial {
  /** Cordon's server certificate, then the CA chain (PEM), and its key (PKCS#8 PEM, in memory only). */
  serverCertPem: string;
  serverKeyPem: string;
  /** The issuing CA (device certificates are checked against it), PEM. */
  issuingPem: string;
  /** The issuing CA and its issuers, PEM, in order: what EST's cacerts hands out. */
  chainPem: string[];
  /** Vendor CAs whose device certificates (IDevID) may enroll, PEM. */
  vendorPems: string[];
  /** Serials of revoked certificates, hex. */
  revoked: string[];
  /** The SCEP RA's certificate, PEM (its key stays with the worker). */
  scepRaPem?: string;
}

/** Revoked serials of the CA in use (what EAP-TLS refuses). */
export function revokedSerials(store: Store, authority: Authority): string[] {
  return new PkiStore(store.sql).revoked(authority.signer.cert.subject).map((r) => r.serial);
}

/**
 * A server certificate for Cordon itself (EST over HTTPS, EAP-TLS), issued at start by the CA
 * to a key made now, which never leaves the process; then the trust material.
 */
export async function serverMaterial(store: Store, authority: Authority, names: readonly string[], site: string, now = new Date()): Promise<PkiMaterial> {
  const keys = await generateKeys("ecdsa-p256");
  const cert = await issueCertificate(authority.signer, keys.publicKey, { mac: "", commonName: names[0], dnsNames: [...names], organisation: authority.organisation, site }, { profile: SERVER_PROFILE, now });
  const der = Buffer.from(await webcrypto.subtle.exportKey("pkcs8", keys.privateKey));
  const serverKeyPem = createPrivateKey({ key: der, format: "der", type: "pkcs8" }).export({ type: "pkcs8", format: "pem" }) as string;
  const chainPem = authority.chain.map((c) => `${c.toString("pem")}\n`);
  return {
    serverCertPem: `${cert.toString("pem")}\n${chainPem[0]}`, serverKeyPem, issuingPem: chainPem[0], chainPem,
    vendorPems: authority.vendorCas.map((v) => `${v.toString("pem")}\n`), revoked: revokedSerials(store, authority),
  };
}

/** A client certificate a supplicant presented in EAP-TLS, into the inventory (seen again: its last-seen time). */
export function recordPresentedCertificate(store: Store, site: string, mac: string, der: Uint8Array, atMs: number): void {
  const facts = describeCertificate(der);
  if (!facts) return;
  // One Cordon issued keeps its row (and source); only when it was last seen moves.
  new PkiStore(store.sql).recordCertificate({ ...factsRow(facts, der, site, "eap-tls", new Date(atMs)), mac: facts.mac ?? mac });
}

// --- SCEP ---------------------------------------------------------------------------------------

const SCEP_RA_PROFILE: IssuingProfile = { name: "scep-ra", validityDays: 365, serverAuth: false, renewBeforeDays: 30 };

/**
 * The SCEP registration authority: an RSA certificate of the issuing CA that SCEP clients
 * encrypt their requests to and that signs the replies (an ECDSA CA cannot receive RSA key
 * transport, which every SCEP client uses). Kept like a CA key, sealed, and reused across
 * restarts so a device that pinned its fingerprint keeps working; a new one is made 30 days
 * before the old one ends. The key is returned in clear for the process only.
 */
export async function scepRa(store: Store, authority: Authority, passphrase: string, site: string, now = new Date()): Promise<ScepRa & { certPem: string }> {
  const pki = new PkiStore(store.sql);
  const current = pki.cas().find((c) => c.role === "scep-ra" && c.keyPem && Date.parse(c.notAfter) - now.getTime() > SCEP_RA_PROFILE.renewBeforeDays * DAY_MS);
  if (current) {
    const keyPem = createPrivateKey({ key: current.keyPem!, passphrase }).export({ type: "pkcs8", format: "pem" }) as string;
    return { cert: new NodeCertificate(current.certPem).raw, certPem: current.certPem, keyPem };
  }
  const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const cert = await issueCertificate(authority.signer, new x509.PublicKey(publicKey.export({ type: "spki", format: "der" })),
    { mac: "", commonName: `${authority.organisation} Cordon SCEP RA`, organisation: authority.organisation, site }, { profile: SCEP_RA_PROFILE, now, keyEncipherment: true });
  const certPem = cert.toString("pem");
  pki.replaceRa({ role: "scep-ra", certPem, keyPem: sealKeyObject(privateKey, passphrase), algorithm: "rsa-2048", subject: cert.subject, fingerprint: fingerprintOf(certPem),
    notAfter: cert.notAfter.toISOString(), source: "created", createdBy: "cordon serve", createdAt: now.toISOString() });
  recordChange(store, { principal: "cordon", name: "cordon", via: "playbook" }, { action: "ca.scep-ra", target: cert.subject, detail: `SCEP RA certificate ${cert.serialNumber} (RSA 2048) until ${cert.notAfter.toISOString()}` });
  return { cert: Buffer.from(cert.rawData), certPem, keyPem: privateKey.export({ type: "pkcs8", format: "pem" }) as string };
}

/** EnrollError codes as SCEP's failInfo: an algorithm, a CSR, or the request as a whole. */
function failInfoOf(e: EnrollError): FailInfo {
  return e.code === "bad-csr" ? FAIL_INFO.badRequest : e.code === "not-ours" || e.code === "revoked" || e.code === "replaced" ? FAIL_INFO.badCertId : FAIL_INFO.badRequest;
}

/**
 * One SCEP PKIOperation: the CertRep (DER) for a PKCSReq (the CSR's challenge password is the
 * one-time token), a RenewalReq (signed with the current certificate Cordon issued) or a
 * CertPoll (nothing is ever pending: badCertId). A message that is not a verifiable SCEP
 * request is an InputError (the listener answers 400).
 */
export async function scepOperation(store: Store, authority: Authority, ra: ScepRa, site: string, der: Buffer): Promise<{ reply: Buffer; outcome: string }> {
  let req;
  try {
    req = readScepRequest(der, ra);
  } catch (e) {
    throw new InputError(`not a SCEP request Cordon can verify: ${(e as Error).message}`);
  }
  const fail = (failInfo: FailInfo, why: string): { reply: Buffer; outcome: string } => ({ reply: certRep(req, ra, { failInfo }), outcome: `failure ${failInfo}: ${why}` });
  if (req.refused) return fail(req.refused.failInfo, req.refused.message);
  if (req.messageType === MESSAGE_TYPE.certPoll) return fail(FAIL_INFO.badCertId, "nothing is pending");
  if (!req.csr) return fail(FAIL_INFO.badRequest, `message type ${req.messageType} is not one Cordon answers`);
  const renewal = req.messageType === MESSAGE_TYPE.renewalReq;
  try {
    const issued = await enroll(store, authority, {
      site, csr: req.csr, via: "scep", mode: renewal ? "reenroll" : "enroll",
      credential: renewal ? { kind: "certificate", chain: [req.signer] } : { kind: "token", token: "" },
    });
    return { reply: certRep(req, ra, { issued: Buffer.from(certsOnly([issued.certificate])) }), outcome: `issued ${issued.facts.serial} to ${issued.mac}` };
  } catch (e) {
    if (!(e instanceof EnrollError)) throw e;
    return fail(failInfoOf(e), `${e.code}: ${e.message}`);
  }
}
