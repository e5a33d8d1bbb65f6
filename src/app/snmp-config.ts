import { FieldError, canonicalIp, macValue, prefixValue } from "../model/values.js";
import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import { InputError } from "./errors.js";
import { readKeyFile, unseal } from "./sealed-secrets.js";
import { DEFAULT_POLL, type SnmpPollConfig, type SnmpSubnet } from "./snmp-poll.js";
import type { SnmpCredential } from "../sources/snmp/poller.js";

/**
 * The `snmp` section of the configuration file (serve's): SNMP polling is off unless a subnet is listed,
 * and each subnet carries its own credentials, sealed (`cordon secret seal`) under the key file
 * `key_file` names; a secret in clear is refused.
 */

export class SnmpConfigError extends Error {}

export const SNMP_KEYS = {
  snmp: ["key_file", "interval_s", "rate", "timeout_ms", "retries", "max_rows", "parallel", "port", "subnets"],
  "snmp.subnets[]": ["prefix", "version", "community", "user", "auth_protocol", "auth_key", "priv_protocol", "priv_key", "hosts", "allow_fragile"],
} as const;

export interface SnmpServeConfig extends SnmpPollConfig {
  /** Seconds between serve's rounds (0: serve does not poll; `cordon snmp poll` from a timer does). */
  intervalS: number;
}

type Raw = Record<string, unknown>;
const isObject = (v: unknown): v is Raw => typeof v === "object" && v !== null && !Array.isArray(v);

function keys(o: Raw, allowed: readonly string[], where: string): void {
  for (const k of Object.keys(o)) if (!allowed.includes(k)) throw new SnmpConfigError(`${where}${k}: unknown key (known: ${allowed.join(", ")})`);
}

function int(o: Raw, k: string, where: string, dflt: number, min: number, max: number): number {
  const v = o[k];
  if (v === undefined) return dflt;
  const n = typeof v === "string" && /^\d+$/.test(v) ? Number(v) : v;
  if (typeof n !== "number" || !Number.isInteger(n) || n < min || n > max) throw new SnmpConfigError(`${where}${k}: must be an integer from ${min} to ${max}`);
  return n;
}

function str(o: Raw, k: string, where: string): string {
  const v = o[k];
  if (typeof v !== "string" || v.length === 0) throw new SnmpConfigError(`${where}${k}: required text`);
  return v;
}

function oneOf<T extends string>(o: Raw, k: string, where: string, allowed: readonly T[], dflt?: T): T {
  const v = o[k] ?? dflt;
  if (typeof v !== "string" || !(allowed as readonly string[]).includes(v)) throw new SnmpConfigError(`${where}${k}: must be one of ${allowed.join(", ")}`);
  return v as T;
}

function field<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof FieldError || e instanceof InputError) throw new SnmpConfigError(e.message);
    throw e;
  }
}

function credential(s: Raw, where: string, key: Buffer | undefined): SnmpCredential {
  const version = oneOf(s, "version", where, ["v2c", "v3"] as const);
  const secret = (k: string): string => {
    if (!key) throw new SnmpConfigError(`snmp.key_file: required to open ${where}${k}`);
    return field(() => unseal(key, str(s, k, where), `${where}${k}`));
  };
  if (version === "v2c") {
    for (const k of ["user", "auth_key", "priv_key"]) if (s[k] !== undefined) throw new SnmpConfigError(`${where}${k}: for version v3 only`);
    return { version, community: secret("community") };
  }
  if (s.community !== undefined) throw new SnmpConfigError(`${where}community: for version v2c only`);
  // v3 is authPriv only: a poll that reads firmware and forwarding tables is not sent in clear.
  return {
    version,
    user: str(s, "user", where).slice(0, 64),
    authProtocol: oneOf(s, "auth_protocol", where, ["md5", "sha", "sha224", "sha256", "sha384", "sha512"] as const, "sha"),
    authKey: secret("auth_key"),
    privProtocol: oneOf(s, "priv_protocol", where, ["des", "aes", "aes256b", "aes256r"] as const, "aes"),
    privKey: secret("priv_key"),
  };
}

function list(v: unknown, where: string): unknown[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new SnmpConfigError(`${where}: must be a list`);
  return v;
}

/** The `snmp` section, or undefined when absent (no polling). */
export function validateSnmp(raw: unknown): SnmpServeConfig | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (!isObject(raw)) throw new SnmpConfigError("snmp: must be a mapping");
  keys(raw, SNMP_KEYS.snmp, "snmp.");
  const key = raw.key_file === undefined ? undefined : field(() => readKeyFile(str(raw, "key_file", "snmp.")));
  const subnets: SnmpSubnet[] = list(raw.subnets, "snmp.subnets").map((s, i) => {
    const where = `snmp.subnets[${i}].`;
    if (!isObject(s)) throw new SnmpConfigError(`snmp.subnets[${i}]: must be a mapping`);
    keys(s, SNMP_KEYS["snmp.subnets[]"], where);
    const prefix = field(() => prefixValue(s.prefix, `${where}prefix`));
    const hosts = list(s.hosts, `${where}hosts`).map((h, j) => {
      const ip = typeof h === "string" ? canonicalIp(h) : undefined;
      if (!ip) throw new SnmpConfigError(`${where}hosts[${j}]: not an IP address`);
      return ip;
    });
    const allowFragile = list(s.allow_fragile, `${where}allow_fragile`).map((h, j) => {
      const ip = typeof h === "string" ? canonicalIp(h) : undefined;
      return ip ?? field(() => macValue(h, `${where}allow_fragile[${j}]`));
    });
    return { prefix, credential: credential(s, where, key), hosts, allowFragile };
  });
  if (subnets.length === 0) throw new SnmpConfigError("snmp.subnets: list at least one subnet to poll (polling is opt-in per subnet)");
  return {
    subnets,
    intervalS: raw.interval_s === 0 || raw.interval_s === "0" ? 0 : int(raw, "interval_s", "snmp.", 21_600, 60, 30 * 86_400),
    parallel: int(raw, "parallel", "snmp.", DEFAULT_POLL.parallel, 1, 64),
    limits: {
      ratePerSecond: int(raw, "rate", "snmp.", DEFAULT_POLL.limits.ratePerSecond, 1, 100),
      timeoutMs: int(raw, "timeout_ms", "snmp.", DEFAULT_POLL.limits.timeoutMs, 100, 60_000),
      retries: int(raw, "retries", "snmp.", DEFAULT_POLL.limits.retries, 0, 5),
      maxRows: int(raw, "max_rows", "snmp.", DEFAULT_POLL.limits.maxRows, 10, 1_000_000),
      port: int(raw, "port", "snmp.", DEFAULT_POLL.limits.port, 1, 65535),
    },
  };
}

/** The `snmp` section of a configuration file, for `cordon snmp poll`; errors name the file. */
export function readSnmpConfig(path: string): SnmpServeConfig | undefined {
  let doc: unknown;
  try {
    doc = parseYaml(readFileSync(path, "utf8"));
  } catch (e) {
    throw new InputError(`${path}: ${(e as Error).message.split("\n")[0]}`);
  }
  if (!isObject(doc)) throw new InputError(`${path}: must be a mapping of keys`);
  try {
    return validateSnmp(doc.snmp);
  } catch (e) {
    if (e instanceof SnmpConfigError) throw new InputError(`${path}: ${e.message}`);
    throw e;
  }
}
