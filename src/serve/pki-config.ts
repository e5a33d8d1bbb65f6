import { readFileSync } from "node:fs";

/**
 * The `pki` section of `cordon serve`: the CA serve signs with (its passphrase from a file or
 * CORDON_CA_PASSPHRASE, never the configuration itself), the names on Cordon's own server
 * certificate (EST and EAP-TLS), the CRL's address written into issued certificates, and the
 * enrollment listeners: EST (and SCEP, and the CRL) over HTTPS, and SCEP and the CRL over
 * plain HTTP for devices that fetch them that way. With a `nac` section too, the RADIUS
 * server answers EAP-TLS.
 */
export interface PkiServeConfig {
  passphrase: string;
  /** DNS names of Cordon's server certificate; the first is its CN. */
  names: string[];
  crlUrl?: string;
  /** The site enrolled devices belong to. */
  site: string;
  est?: { host: string; port: number };
  http?: { host: string; port: number };
  /** The largest request body an enrollment listener reads. */
  maxBodyBytes: number;
}

export class PkiConfigError extends Error {}

export const PKI_KEYS = {
  pki: ["passphrase_file", "names", "crl_url", "site", "est", "http", "max_body_bytes"],
  "pki.est": ["host", "port"],
  "pki.http": ["host", "port"],
} as const;

type Raw = Record<string, unknown>;
const isObject = (v: unknown): v is Raw => typeof v === "object" && v !== null && !Array.isArray(v);

function keys(o: Raw, allowed: readonly string[], where: string): void {
  for (const k of Object.keys(o)) if (!allowed.includes(k)) throw new PkiConfigError(`${where}${k}: unknown key (known: ${allowed.join(", ")})`);
}

function listener(v: unknown, where: string, port: number): { host: string; port: number } | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isObject(v)) throw new PkiConfigError(`${where}: must be a mapping (host, port)`);
  keys(v, PKI_KEYS["pki.est"], `${where}.`);
  const host = v.host ?? "0.0.0.0";
  if (typeof host !== "string" || !/^[0-9A-Fa-f.:]{2,45}$/.test(host)) throw new PkiConfigError(`${where}.host: an address to listen on`);
  const p = v.port ?? port;
  if (typeof p !== "number" || !Number.isInteger(p) || p < 0 || p > 65535) throw new PkiConfigError(`${where}.port: an integer from 0 to 65535`);
  return { host, port: p };
}

export function validatePki(raw: unknown, site: string, env: NodeJS.ProcessEnv): PkiServeConfig | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (!isObject(raw)) throw new PkiConfigError("pki: must be a mapping");
  keys(raw, PKI_KEYS.pki, "pki.");
  let passphrase: string | undefined;
  if (raw.passphrase_file !== undefined) {
    if (typeof raw.passphrase_file !== "string") throw new PkiConfigError("pki.passphrase_file: a file path");
    try {
      passphrase = readFileSync(raw.passphrase_file, "utf8").replace(/\r?\n$/, "");
    } catch (e) {
      throw new PkiConfigError(`pki.passphrase_file: cannot read ${raw.passphrase_file} (${(e as NodeJS.ErrnoException).code ?? "error"})`);
    }
  } else passphrase = env.CORDON_CA_PASSPHRASE;
  if (passphrase === undefined) throw new PkiConfigError("pki: the CA passphrase: set pki.passphrase_file, or CORDON_CA_PASSPHRASE in the environment");
  if (passphrase.length < 12) throw new PkiConfigError("pki: the CA passphrase must have at least 12 characters");
  const names = raw.names === undefined ? ["cordon"] : raw.names;
  if (!Array.isArray(names) || names.length === 0 || names.length > 16 || names.some((n) => typeof n !== "string" || !/^[A-Za-z0-9]([A-Za-z0-9.-]{0,252})$/.test(n))) {
    throw new PkiConfigError("pki.names: a list of 1 to 16 DNS names");
  }
  let crlUrl: string | undefined;
  if (raw.crl_url !== undefined) {
    let u: URL | undefined;
    try {
      u = typeof raw.crl_url === "string" && raw.crl_url.length <= 512 ? new URL(raw.crl_url) : undefined;
    } catch {
      u = undefined;
    }
    if (!u || u.protocol !== "http:") throw new PkiConfigError("pki.crl_url: an http URL (relying parties fetch CRLs over plain HTTP: the CRL is signed)");
    crlUrl = u.href;
  }
  const pkiSite = raw.site === undefined ? site : raw.site;
  if (typeof pkiSite !== "string" || !/^[A-Za-z0-9._-]{1,64}$/.test(pkiSite)) throw new PkiConfigError("pki.site: a site name");
  const max = raw.max_body_bytes ?? 16_384;
  if (typeof max !== "number" || !Number.isInteger(max) || max < 1024 || max > 1_048_576) throw new PkiConfigError("pki.max_body_bytes: an integer from 1024 to 1048576");
  const est = listener(raw.est, "pki.est", 8443);
  const http = listener(raw.http, "pki.http", 8080);
  return { passphrase, names: names as string[], ...(crlUrl ? { crlUrl } : {}), site: pkiSite, ...(est ? { est } : {}), ...(http ? { http } : {}), maxBodyBytes: max };
}
