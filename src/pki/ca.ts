import { X509Certificate as NodeCertificate, createPrivateKey, createPublicKey, randomBytes } from "node:crypto";
import { x509 } from "./x509.js";
import { type KeyAlgorithm, KeyError, generateKeys, keyAlgorithmOf, openKey, sealKey, sealKeyObject, signingAlgorithm } from "./keys.js";

/**
 * Cordon's certificate authorities: a root that signs only the issuing CA, and the issuing CA
 * that signs devices, Cordon's own servers and CRLs; or an issuing CA imported from the
 * organisation's PKI (its chain up to a root, and its key). A CA's key lives only as encrypted
 * PKCS#8 (keys.ts); `CaSigner` is the opened issuing CA a process signs with.
 */

export class CaError extends Error {}

/** A CA as stored: its certificate and its sealed key. */
export interface SealedCa {
  role: "root" | "issuing";
  certPem: string;
  keyPem: string;
  algorithm: KeyAlgorithm;
  subject: string;
  notAfter: Date;
}

/** The opened issuing CA: what signs. `chain` is the issuing CA, then its issuers up to the root. */
export interface CaSigner {
  cert: x509.X509Certificate;
  key: CryptoKey;
  algorithm: KeyAlgorithm;
  chain: x509.X509Certificate[];
}

const DAY_MS = 86_400_000;

/** A positive 128-bit serial in hex (RFC 5280 §4.1.2.2: at most 20 octets, unpredictable). */
export function newSerial(): string {
  const b = randomBytes(16);
  b[0] = (b[0] & 0x7f) | 0x10;
  return b.toString("hex");
}

/** A distinguished name of our own making: every value escaped as RFC 4514 says. */
export function dn(parts: [string, string][]): string {
  return parts.map(([k, v]) => `${k}=${v.replace(/[\\,+"<>;=#]/g, (c) => `\\${c}`).replace(/^ | $/g, (c) => `\\${c}`)}`).join(", ");
}

async function caExtensions(publicKey: CryptoKey, pathLength: number, issuerKey?: CryptoKey): Promise<x509.Extension[]> {
  return [
    new x509.BasicConstraintsExtension(true, pathLength, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
    await x509.SubjectKeyIdentifierExtension.create(publicKey),
    ...(issuerKey ? [await x509.AuthorityKeyIdentifierExtension.create(issuerKey)] : []),
  ];
}

/**
 * A new root (20 years) and issuing CA (10 years) for `organisation`, both keys of `algorithm`,
 * sealed under `passphrase`.
 */
export async function createCa(organisation: string, algorithm: KeyAlgorithm, passphrase: string, now: Date): Promise<{ root: SealedCa; issuing: SealedCa }> {
  const rootKeys = await generateKeys(algorithm);
  const issuingKeys = await generateKeys(algorithm);
  const alg = signingAlgorithm(algorithm);
  const notBefore = new Date(now.getTime() - 5 * 60_000);
  const rootName = dn([["CN", `${organisation} Cordon Root CA`], ["O", organisation]]);
  const root = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: newSerial(), name: rootName, notBefore, notAfter: new Date(now.getTime() + 20 * 365 * DAY_MS), keys: rootKeys, signingAlgorithm: alg,
    extensions: await caExtensions(rootKeys.publicKey, 1),
  });
  const issuing = await x509.X509CertificateGenerator.create({
    serialNumber: newSerial(), subject: dn([["CN", `${organisation} Cordon Issuing CA`], ["O", organisation]]), issuer: root.subject,
    notBefore, notAfter: new Date(now.getTime() + 10 * 365 * DAY_MS), publicKey: issuingKeys.publicKey, signingKey: rootKeys.privateKey, signingAlgorithm: alg,
    extensions: await caExtensions(issuingKeys.publicKey, 0, rootKeys.publicKey),
  });
  const sealed = async (role: "root" | "issuing", cert: x509.X509Certificate, key: CryptoKey): Promise<SealedCa> => ({
    role, certPem: cert.toString("pem"), keyPem: await sealKey(key, passphrase), algorithm, subject: cert.subject, notAfter: cert.notAfter,
  });
  return { root: await sealed("root", root, rootKeys.privateKey), issuing: await sealed("issuing", issuing, issuingKeys.privateKey) };
}

/** The PEM certificates in a text, in order; anything else in it is an error. */
export function pemCertificates(text: string, what: string): x509.X509Certificate[] {
  const blocks = text.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) throw new CaError(`${what} holds no PEM certificate`);
  if (blocks.length > 8) throw new CaError(`${what} holds ${blocks.length} certificates; a chain has at most 8`);
  return blocks.map((b, i) => {
    try {
      return new x509.X509Certificate(b);
    } catch {
      throw new CaError(`${what}: certificate ${i + 1} is not X.509`);
    }
  });
}

function isCa(c: x509.X509Certificate): boolean {
  const bc = c.getExtension(x509.BasicConstraintsExtension);
  const ku = c.getExtension(x509.KeyUsagesExtension);
  return !!bc?.ca && (!ku || (ku.usages & x509.KeyUsageFlags.keyCertSign) !== 0);
}

/**
 * An issuing CA imported from the organisation's PKI: `chainPem` is its certificate first, then
 * its issuers (the root last, or left out); `keyPem` its key (encrypted with `keyPassphrase`, or
 * plain). Checked: each is a CA, each signs the one before, the key is the certificate's, the
 * key is of a kind Cordon signs with, and it has not expired. The key is resealed under
 * Cordon's passphrase.
 */
export function importCa(chainPem: string, keyPem: string, keyPassphrase: string | undefined, passphrase: string, now: Date): { issuing: SealedCa; chain: string[] } {
  const chain = pemCertificates(chainPem, "the CA certificate file");
  chain.forEach((c, i) => {
    if (!isCa(c)) throw new CaError(`certificate ${i + 1} (${c.subject}) is not a CA certificate (basicConstraints cA and keyCertSign)`);
  });
  for (let i = 0; i + 1 < chain.length; i++) {
    const child = new NodeCertificate(Buffer.from(chain[i].rawData));
    const parent = new NodeCertificate(Buffer.from(chain[i + 1].rawData));
    if (!child.checkIssued(parent) || !child.verify(parent.publicKey)) throw new CaError(`certificate ${i + 2} (${chain[i + 1].subject}) did not sign certificate ${i + 1} (${chain[i].subject})`);
  }
  const leaf = chain[0];
  if (leaf.notAfter.getTime() <= now.getTime()) throw new CaError(`the issuing CA ${leaf.subject} expired on ${leaf.notAfter.toISOString()}`);
  let algorithm: KeyAlgorithm;
  let keyObject;
  try {
    algorithm = keyAlgorithmOf(keyPem, keyPassphrase);
    keyObject = createPrivateKey(keyPassphrase === undefined ? { key: keyPem } : { key: keyPem, passphrase: keyPassphrase });
  } catch (e) {
    if (e instanceof KeyError) throw new CaError(e.message);
    throw new CaError(keyPassphrase === undefined ? "the CA key cannot be read: not a PEM private key, or it is encrypted (give its passphrase)" : "the CA key cannot be opened with the passphrase given");
  }
  const certKey = new NodeCertificate(Buffer.from(leaf.rawData)).publicKey;
  const fromKey = createPublicKey(keyObject);
  if (!certKey.equals(fromKey)) throw new CaError(`the key is not the key of ${leaf.subject}`);
  return {
    issuing: { role: "issuing", certPem: leaf.toString("pem"), keyPem: sealKeyObject(keyObject, passphrase), algorithm, subject: leaf.subject, notAfter: leaf.notAfter },
    chain: chain.slice(1).map((c) => c.toString("pem")),
  };
}

/** Opens the issuing CA to sign with; `chain` are its issuers' PEM certificates, nearest first. */
export async function openCa(issuing: SealedCa, chain: readonly string[], passphrase: string): Promise<CaSigner> {
  const { key, algorithm } = await openKey(issuing.keyPem, passphrase);
  const cert = new x509.X509Certificate(issuing.certPem);
  return { cert, key, algorithm, chain: [cert, ...chain.map((p) => new x509.X509Certificate(p))] };
}
