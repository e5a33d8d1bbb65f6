import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { InputError } from "./errors.js";

/**
 * Secrets kept in configuration encrypted (SNMP communities and v3 keys): `sealed:v1:` and the
 * base64 of a 12-byte nonce, the AES-256-GCM ciphertext and its 16-byte tag, under a key kept
 * in a file of its own (32 random bytes, base64, mode 0600). `cordon secret init` makes the key,
 * `cordon secret seal` seals a value read from standard input; serve opens them at start. A
 * value that is not sealed, or was sealed under another key, is refused, never used as given.
 */

const PREFIX = "sealed:v1:";
const NONCE = 12;
const TAG = 16;
const MAX_SECRET = 1024;

export function isSealed(value: string): boolean {
  return value.startsWith(PREFIX);
}

/** Makes a new key file; refuses to overwrite one (values sealed under it would be lost). */
export function makeKeyFile(path: string): void {
  if (existsSync(path)) throw new InputError(`${path} exists: a new key would make every value sealed under it unreadable`);
  writeFileSync(path, `${randomBytes(32).toString("base64")}\n`, { mode: 0o600, flag: "wx" });
  chmodSync(path, 0o600);
}

export function readKeyFile(path: string): Buffer {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new InputError(`secret key ${path}: ${(e as Error).message}`);
  }
  const key = Buffer.from(text.trim(), "base64");
  if (key.length !== 32 || key.toString("base64") !== text.trim()) throw new InputError(`secret key ${path}: not 32 bytes of base64 ('cordon secret init' makes one)`);
  return key;
}

export function seal(key: Buffer, secret: string): string {
  if (secret.length === 0 || secret.length > MAX_SECRET) throw new InputError(`a secret is 1 to ${MAX_SECRET} characters`);
  const nonce = randomBytes(NONCE);
  const cipher = createCipheriv("aes-256-gcm", key, nonce);
  const body = Buffer.concat([cipher.update(secret, "utf8"), cipher.final()]);
  return PREFIX + Buffer.concat([nonce, body, cipher.getAuthTag()]).toString("base64");
}

/** The secret a sealed value holds; `what` names it in the error (the config key). */
export function unseal(key: Buffer, value: string, what: string): string {
  if (!isSealed(value)) throw new InputError(`${what}: not a sealed value ('cordon secret seal' makes one): secrets are not kept in clear`);
  const raw = Buffer.from(value.slice(PREFIX.length), "base64");
  if (raw.length < NONCE + TAG + 1 || raw.length > NONCE + TAG + 4 * MAX_SECRET) throw new InputError(`${what}: a sealed value of the wrong length`);
  const decipher = createDecipheriv("aes-256-gcm", key, raw.subarray(0, NONCE));
  decipher.setAuthTag(raw.subarray(raw.length - TAG));
  try {
    return Buffer.concat([decipher.update(raw.subarray(NONCE, raw.length - TAG)), decipher.final()]).toString("utf8");
  } catch {
    throw new InputError(`${what}: cannot be opened with this key (sealed under another key, or changed)`);
  }
}
