import { type KeyObject, createPrivateKey, webcrypto } from "node:crypto";

/**
 * Keys of Cordon's certificate authorities: made with WebCrypto (what @peculiar/x509 signs
 * with), kept as PKCS#8 encrypted under a passphrase (PBES2, AES-256-CBC, the format OpenSSL
 * reads with `openssl pkey -passin`), so the database never holds a CA key in clear.
 */

export type KeyAlgorithm = "ecdsa-p256" | "ecdsa-p384" | "rsa-2048" | "rsa-3072";
export const KEY_ALGORITHMS: readonly KeyAlgorithm[] = ["ecdsa-p256", "ecdsa-p384", "rsa-2048", "rsa-3072"];

/** The WebCrypto algorithm a key of this kind signs with (SHA-256, SHA-384 for P-384). */
export function signingAlgorithm(alg: KeyAlgorithm): RsaHashedImportParams | EcKeyImportParams & { hash: string } {
  switch (alg) {
    case "ecdsa-p256": return { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" };
    case "ecdsa-p384": return { name: "ECDSA", namedCurve: "P-384", hash: "SHA-384" };
    case "rsa-2048":
    case "rsa-3072": return { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" };
  }
}

export async function generateKeys(alg: KeyAlgorithm): Promise<CryptoKeyPair> {
  const params = alg.startsWith("rsa")
    ? { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256", publicExponent: new Uint8Array([1, 0, 1]), modulusLength: alg === "rsa-2048" ? 2048 : 3072 }
    : signingAlgorithm(alg);
  return (await webcrypto.subtle.generateKey(params, true, ["sign", "verify"])) as CryptoKeyPair;
}

export class KeyError extends Error {}

const MIN_PASSPHRASE = 12;

/** Checks a CA passphrase is one: long enough to resist guessing the encrypted key offline. */
export function checkPassphrase(passphrase: string): void {
  if (passphrase.length < MIN_PASSPHRASE) throw new KeyError(`the CA passphrase must have at least ${MIN_PASSPHRASE} characters`);
}

/** A private key as encrypted PKCS#8 PEM. */
export async function sealKey(key: CryptoKey, passphrase: string): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey("pkcs8", key));
  return sealKeyObject(createPrivateKey({ key: der, format: "der", type: "pkcs8" }), passphrase);
}

export function sealKeyObject(key: KeyObject, passphrase: string): string {
  checkPassphrase(passphrase);
  return key.export({ type: "pkcs8", format: "pem", cipher: "aes-256-cbc", passphrase }) as string;
}

/** The kind of a key (for a key read from a file or the database). */
export function keyAlgorithmOf(pem: string | Buffer, passphrase?: string): KeyAlgorithm {
  const k = createPrivateKey(passphrase === undefined ? { key: pem } : { key: pem, passphrase });
  const d = k.asymmetricKeyDetails ?? {};
  if (k.asymmetricKeyType === "ec" && d.namedCurve === "prime256v1") return "ecdsa-p256";
  if (k.asymmetricKeyType === "ec" && d.namedCurve === "secp384r1") return "ecdsa-p384";
  if (k.asymmetricKeyType === "rsa" && d.modulusLength === 2048) return "rsa-2048";
  if (k.asymmetricKeyType === "rsa" && d.modulusLength === 3072) return "rsa-3072";
  throw new KeyError(`a ${k.asymmetricKeyType} key${d.namedCurve ? ` on ${d.namedCurve}` : d.modulusLength ? ` of ${d.modulusLength} bits` : ""} is not one a Cordon CA signs with (${KEY_ALGORITHMS.join(", ")})`);
}

/**
 * Opens an encrypted (or, for an import, plain) PEM private key into a WebCrypto signing key.
 * A wrong passphrase is a KeyError that says so, never OpenSSL's text.
 */
export async function openKey(pem: string | Buffer, passphrase: string | undefined): Promise<{ key: CryptoKey; algorithm: KeyAlgorithm }> {
  let algorithm: KeyAlgorithm;
  let der: Buffer;
  try {
    algorithm = keyAlgorithmOf(pem, passphrase);
    const k = createPrivateKey(passphrase === undefined ? { key: pem } : { key: pem, passphrase });
    der = k.export({ type: "pkcs8", format: "der" });
  } catch (e) {
    if (e instanceof KeyError) throw e;
    const code = (e as { code?: string }).code ?? "";
    if (/BAD_DECRYPT|bad decrypt|INTERRUPTED_OR_CANCELLED|passphrase/i.test(`${code} ${(e as Error).message}`)) throw new KeyError("the CA key cannot be opened: wrong passphrase");
    throw new KeyError("the CA key cannot be read: not a PEM private key");
  }
  const key = await webcrypto.subtle.importKey("pkcs8", der, signingAlgorithm(algorithm), false, ["sign"]);
  return { key, algorithm };
}
