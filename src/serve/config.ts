import { X509Certificate } from "node:crypto";
import { createSecureContext } from "node:tls";
import { readFileSync } from "node:fs";
import { isLoopbackIp } from "../net/addr.js";
import { parse as parseYaml } from "yaml";
import { FieldError, prefixValue } from "../model/values.js";
import { NotifyConfigError, type Output, validateOutputs } from "../respond/notify/notify.js";
import { SNMP_KEYS, SnmpConfigError, type SnmpServeConfig, validateSnmp } from "../app/snmp-config.js";
import { PKI_KEYS, PkiConfigError, type PkiServeConfig, validatePki } from "./pki-config.js";
import { NAC_KEYS, NacConfigError, type NacServeConfig, type RespondConfig, validateNac, validateRespond } from "./nac-config.js";

/**
 * `cordon serve` configuration: a YAML file, then environment variables, then flags, each
 * overriding the one before. Validated once at start; every error names the key.
 */
export interface NetflowSourceConfig {
  name: string;
  host: string;
  port: number;
  site: string;
  templateLifetimeS: number;
  /** udp: NetFlow v5/v9 and IPFIX datagrams; tcp: IPFIX messages over TCP (RFC 7011 §10.4). */
  transport: "udp" | "tcp";
  /** Addresses and prefixes whose exports are decoded (canonical); empty: any, with a warning at start. */
  exporters: string[];
}

export interface CaptureSourceConfig {
  name: string;
  interface: string;
  filter: string;
  site: string;
  snaplen: number;
  /** Kernel capture buffer in MiB: what absorbs a pause of the pipeline (a write, a GC). */
  bufferMib: number;
}

export interface ZeekSourceConfig {
  name: string;
  dir: string;
  site: string;
  /** Keep reading as Zeek appends and rotates; false reads what is there and stops. */
  follow: boolean;
}

export interface HttpTls {
  cert: string;
  key: string;
  /** The leaf certificate's subject, and when it stops being valid (serve warns before). */
  subject: string;
  notAfter: Date;
}

export interface ServeConfig {
  db: string;
  site: string;
  logLevel: "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";
  /**
   * The local HTTP API. `token` comes from the variable `token_env` names; without one, serve
   * keeps its own in `<db>.token`. `allowedHosts`: Host names the API answers to besides
   * localhost, the loopback addresses and `host` (DNS rebinding is refused). `tls`: the
   * certificate chain and key (PEM) serve answers HTTPS with; without it serve listens on a
   * loopback address only, so no password or session cookie crosses a network in clear.
   */
  http: { host: string; port: number; token?: string; allowedHosts: string[]; tls?: HttpTls };
  /** How often live state (idle flows, inventory) is written, in seconds. */
  persistIntervalS: number;
  /**
   * A flow with no packet for this long ends. Shorter ends unanswered probes sooner: flow-based
   * detections (scans, brute force) and the responses to them come after the flows end.
   */
  flowIdleTimeoutS: number;
  /** Datagrams and frames waiting for the ingest worker beyond this are dropped and counted. */
  maxQueue: number;
  /** Record times further than this past the wall clock are clamped and counted (a forged year-2100 record). */
  clockSkewS: number;
  /** The ingest worker must answer within this many seconds, else serve exits non-zero for its supervisor to restart it. */
  watchdogS: number;
  /** Devices kept in memory; past it, saved devices quiet for an hour are let go (they stay stored). */
  maxDevices: number;
  /**
   * Finished flows kept in memory while the database cannot take them (PostgreSQL away); past
   * it, the oldest are let go and counted (`store.flows-dropped`).
   */
  maxHeldFlows: number;
  netflow: NetflowSourceConfig[];
  capture: CaptureSourceConfig[];
  zeek: ZeekSourceConfig[];
  /** Run the detectors on everything ingested (default true). */
  detect: boolean;
  /** Read loopback traffic as a network: devices and alerts (default false). */
  loopback: boolean;
  /** Where new alerts go. */
  notify: Output[];
  /** Indicator feeds (STIX 2.1 .json or CSV). */
  indicators: string[];
  /** The RADIUS server for MAB and accounting, and CoA to the NASes (off when absent). */
  nac?: NacServeConfig;
  /** Response playbooks (off when absent). */
  respond?: RespondConfig;
  /** SNMP polling, per subnet (off when absent). */
  snmp?: SnmpServeConfig;
  /** Cordon's CA: EAP-TLS (with nac), EST and SCEP enrollment, the CRL (off when absent). */
  pki?: PkiServeConfig;
  /** Advisory feeds serve fetches and imports (off when absent). */
  advisories?: { feeds: string[]; intervalS: number; timeoutMs: number };
}

export class ConfigError extends Error {}

const LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
/** The keys each section takes (examples/cordon.yaml has every one; a test checks). */
export const CONFIG_KEYS = {
  "": ["db", "site", "log_level", "http", "persist_interval_s", "flow_idle_timeout_s", "max_queue", "clock_skew_s", "watchdog_s", "max_devices", "max_held_flows", "netflow", "capture", "zeek", "detect", "loopback", "notify", "indicators", "nac", "respond", "snmp", "advisories", "pki"],
  advisories: ["feeds", "interval_s", "timeout_ms"],
  http: ["host", "port", "token_env", "allowed_hosts", "tls_cert", "tls_key"],
  "netflow[]": ["name", "host", "port", "site", "template_lifetime_s", "transport", "exporters"],
  "capture[]": ["name", "interface", "filter", "site", "snaplen", "buffer_mib"],
  "zeek[]": ["name", "dir", "site", "follow"],
  ...NAC_KEYS,
  ...SNMP_KEYS,
  ...PKI_KEYS,
} as const;

type Raw = Record<string, unknown>;

function isObject(v: unknown): v is Raw {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function unknownKeys(o: Raw, allowed: readonly string[], where: string): void {
  for (const k of Object.keys(o)) {
    if (!allowed.includes(k)) throw new ConfigError(`${where}${k}: unknown key (known: ${allowed.join(", ")})`);
  }
}

function str(o: Raw, key: string, where: string, dflt?: string): string {
  const v = o[key];
  if (v === undefined) {
    if (dflt !== undefined) return dflt;
    throw new ConfigError(`${where}${key}: required`);
  }
  if (typeof v !== "string" || v.length === 0) throw new ConfigError(`${where}${key}: must be a non-empty string`);
  return v;
}

function oneOf<T extends string>(o: Raw, key: string, where: string, allowed: readonly T[], dflt: T): T {
  const v = o[key];
  if (v === undefined) return dflt;
  if (typeof v !== "string" || !(allowed as readonly string[]).includes(v)) throw new ConfigError(`${where}${key}: must be one of ${allowed.join(", ")}`);
  return v as T;
}

function int(o: Raw, key: string, where: string, dflt: number, min: number, max: number): number {
  const v = o[key];
  if (v === undefined) return dflt;
  const n = typeof v === "string" && /^\d+$/.test(v) ? Number(v) : v;
  if (typeof n !== "number" || !Number.isInteger(n) || n < min || n > max) throw new ConfigError(`${where}${key}: must be an integer from ${min} to ${max}`);
  return n;
}

function list(o: Raw, key: string): Raw[] {
  const v = o[key];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new ConfigError(`${key}: must be a list`);
  return v.map((item, i) => {
    if (!isObject(item)) throw new ConfigError(`${key}[${i}]: must be a mapping`);
    return item;
  });
}

/** A list of addresses or CIDR prefixes, each parsed into its canonical spelling. */
function prefixList(o: Raw, key: string, where: string): string[] {
  const v = o[key];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new ConfigError(`${where}${key}: must be a list of addresses or prefixes`);
  return v.map((p, i) => {
    try {
      return prefixValue(p, `${where}${key}[${i}]`);
    } catch (e) {
      if (e instanceof FieldError) throw new ConfigError(e.message);
      throw e;
    }
  });
}

/**
 * Checks a parsed configuration (snake_case keys, as in the YAML file) and fills defaults;
 * secrets named by `*_env` keys are read from `env`.
 */
export function validateConfig(raw: unknown, env: NodeJS.ProcessEnv = process.env): ServeConfig {
  const o: Raw = raw === undefined || raw === null ? {} : (raw as Raw);
  if (!isObject(o)) throw new ConfigError("configuration must be a mapping");
  unknownKeys(o, CONFIG_KEYS[""], "");
  const site = str(o, "site", "", "default");
  const level = str(o, "log_level", "", "info");
  if (!(LEVELS as readonly string[]).includes(level)) throw new ConfigError(`log_level: must be one of ${LEVELS.join(", ")}`);
  const httpRaw = o.http === undefined ? {} : o.http;
  if (!isObject(httpRaw)) throw new ConfigError("http: must be a mapping");
  unknownKeys(httpRaw, CONFIG_KEYS.http, "http.");
  const allowedHosts = httpRaw.allowed_hosts === undefined ? [] : httpRaw.allowed_hosts;
  if (!Array.isArray(allowedHosts) || allowedHosts.some((h) => typeof h !== "string" || !/^[A-Za-z0-9.:-]{1,253}$/.test(h))) {
    throw new ConfigError("http.allowed_hosts: must be a list of host names or addresses");
  }
  const names = new Set<string>();
  const named = (kind: string, i: number, item: Raw, dflt: string): string => {
    const n = str(item, "name", `${kind}[${i}].`, dflt);
    if (names.has(n)) throw new ConfigError(`${kind}[${i}].name: "${n}" is used by another source`);
    names.add(n);
    return n;
  };
  const netflow = list(o, "netflow").map((n, i): NetflowSourceConfig => {
    const w = `netflow[${i}].`;
    unknownKeys(n, CONFIG_KEYS["netflow[]"], w);
    const transport = oneOf(n, "transport", w, ["udp", "tcp"] as const, "udp");
    const port = int(n, "port", w, transport === "tcp" ? 4739 : 2055, 0, 65535);
    return {
      name: named("netflow", i, n, transport === "tcp" ? `ipfix-tcp:${port}` : `netflow:${port}`), host: str(n, "host", w, "0.0.0.0"), port,
      site: str(n, "site", w, site), templateLifetimeS: int(n, "template_lifetime_s", w, 1800, 1, 86_400), transport,
      exporters: prefixList(n, "exporters", w),
    };
  });
  const capture = list(o, "capture").map((c, i): CaptureSourceConfig => {
    const w = `capture[${i}].`;
    unknownKeys(c, CONFIG_KEYS["capture[]"], w);
    const iface = str(c, "interface", w);
    if (!/^[\w.:@-]{1,15}$/.test(iface)) throw new ConfigError(`${w}interface: not an interface name`);
    return {
      name: named("capture", i, c, `capture:${iface}`), interface: iface, filter: c.filter === undefined ? "" : str(c, "filter", w),
      site: str(c, "site", w, site), snaplen: int(c, "snaplen", w, 65535, 64, 262_144),
      bufferMib: int(c, "buffer_mib", w, 64, 1, 4096),
    };
  });
  const zeek = list(o, "zeek").map((z, i): ZeekSourceConfig => {
    const w = `zeek[${i}].`;
    unknownKeys(z, CONFIG_KEYS["zeek[]"], w);
    const dir = str(z, "dir", w);
    if (z.follow !== undefined && typeof z.follow !== "boolean") throw new ConfigError(`${w}follow: must be true or false`);
    return { name: named("zeek", i, z, `zeek:${dir}`), dir, site: str(z, "site", w, site), follow: z.follow !== false };
  });
  if (o.detect !== undefined && typeof o.detect !== "boolean") throw new ConfigError("detect: must be true or false");
  if (o.loopback !== undefined && typeof o.loopback !== "boolean") throw new ConfigError("loopback: must be true or false");
  let notify: Output[] = [];
  try {
    notify = o.notify === undefined || o.notify === null ? [] : validateOutputs(o.notify, env);
  } catch (e) {
    if (e instanceof NotifyConfigError) throw new ConfigError(e.message);
    throw e;
  }
  const indicators = o.indicators === undefined || o.indicators === null ? [] : o.indicators;
  if (!Array.isArray(indicators) || indicators.some((f) => typeof f !== "string" || f === "")) throw new ConfigError("indicators: must be a list of file paths");
  let nac: NacServeConfig | undefined;
  let respond: RespondConfig | undefined;
  try {
    nac = validateNac(o.nac, site, env);
    respond = validateRespond(o.respond, nac);
  } catch (e) {
    if (e instanceof NacConfigError) throw new ConfigError(e.message);
    throw e;
  }
  let snmp: SnmpServeConfig | undefined;
  try {
    snmp = validateSnmp(o.snmp);
  } catch (e) {
    if (e instanceof SnmpConfigError) throw new ConfigError(e.message);
    throw e;
  }
  let pki: PkiServeConfig | undefined;
  try {
    pki = validatePki(o.pki, site, env);
  } catch (e) {
    if (e instanceof PkiConfigError) throw new ConfigError(e.message);
    throw e;
  }
  let advisories: ServeConfig["advisories"];
  if (o.advisories !== undefined && o.advisories !== null) {
    if (!isObject(o.advisories)) throw new ConfigError("advisories: must be a mapping");
    const a = o.advisories;
    unknownKeys(a, CONFIG_KEYS.advisories, "advisories.");
    if (!Array.isArray(a.feeds) || a.feeds.length === 0) throw new ConfigError("advisories.feeds: a list of URLs (CSAF documents, CVE records, NVD pages, the KEV catalogue)");
    const feeds = a.feeds.map((f, i) => {
      let u: URL | undefined;
      try {
        u = typeof f === "string" && f.length <= 2048 ? new URL(f) : undefined;
      } catch {
        u = undefined;
      }
      const loopback = u !== undefined && ["127.0.0.1", "[::1]", "localhost"].includes(u.hostname);
      if (!u || !(u.protocol === "https:" || (u.protocol === "http:" && loopback))) throw new ConfigError(`advisories.feeds[${i}]: an https URL (http only from a loopback mirror)`);
      return u.href;
    });
    advisories = { feeds, intervalS: int(a, "interval_s", "advisories.", 86_400, 300, 30 * 86_400), timeoutMs: int(a, "timeout_ms", "advisories.", 30_000, 1000, 600_000) };
  }
  const httpHost = str(httpRaw, "host", "http.", "127.0.0.1");
  const tls = httpTls(httpRaw.tls_cert === undefined ? undefined : str(httpRaw, "tls_cert", "http."), httpRaw.tls_key === undefined ? undefined : str(httpRaw, "tls_key", "http."));
  if (!tls && httpHost !== "localhost" && !isLoopbackIp(httpHost)) {
    throw new ConfigError(`http.host: ${httpHost} is not a loopback address: the API and console answer other hosts over TLS only (set http.tls_cert and http.tls_key)`);
  }
  let token: string | undefined;
  if (httpRaw.token_env !== undefined) {
    const name = str(httpRaw, "token_env", "http.");
    token = env[name];
    if (!token) throw new ConfigError(`http.token_env: the environment has no ${name}`);
  }
  return {
    detect: o.detect !== false, loopback: o.loopback === true, notify, indicators: indicators as string[], nac, respond, ...(snmp ? { snmp } : {}), ...(advisories ? { advisories } : {}), ...(pki ? { pki } : {}),
    db: str(o, "db", "", "./cordon.db"),
    site,
    logLevel: level as ServeConfig["logLevel"],
    http: { host: httpHost, port: int(httpRaw, "port", "http.", 9810, 0, 65535), token, allowedHosts: allowedHosts as string[], ...(tls ? { tls } : {}) },
    persistIntervalS: int(o, "persist_interval_s", "", 10, 1, 3600),
    flowIdleTimeoutS: int(o, "flow_idle_timeout_s", "", 120, 1, 3600),
    maxQueue: int(o, "max_queue", "", 100_000, 100, 10_000_000),
    clockSkewS: int(o, "clock_skew_s", "", 300, 1, 86_400),
    watchdogS: int(o, "watchdog_s", "", 60, 5, 3600),
    maxDevices: int(o, "max_devices", "", 200_000, 100, 100_000_000),
    maxHeldFlows: int(o, "max_held_flows", "", 1_000_000, 10_000, 100_000_000),
    netflow, capture, zeek,
  };
}

/** Environment variables that override the file: CORDON_<KEY> for the top-level scalars. */
const ENV: Record<string, (o: Raw, v: string) => void> = {
  CORDON_DB: (o, v) => (o.db = v),
  CORDON_SITE: (o, v) => (o.site = v),
  CORDON_LOG_LEVEL: (o, v) => (o.log_level = v),
  CORDON_HTTP_HOST: (o, v) => (o.http = { ...(isObject(o.http) ? o.http : {}), host: v }),
  CORDON_HTTP_PORT: (o, v) => (o.http = { ...(isObject(o.http) ? o.http : {}), port: v }),
  CORDON_PERSIST_INTERVAL_S: (o, v) => (o.persist_interval_s = v),
};

export interface ConfigOverrides {
  db?: string;
  site?: string;
  logLevel?: string;
  httpPort?: string;
  /** --netflow PORT (repeatable): a UDP NetFlow/IPFIX listener on all addresses. */
  netflowPorts?: string[];
  /** --ipfix-tcp PORT (repeatable): an IPFIX-over-TCP listener on all addresses. */
  ipfixTcpPorts?: string[];
  /** --capture IFACE (repeatable). */
  captureInterfaces?: string[];
  /** --zeek DIR (repeatable). */
  zeekDirs?: string[];
}

/** The file (if any), then the environment, then flags; then validation. */
export function loadConfig(path: string | undefined, env: NodeJS.ProcessEnv, flags: ConfigOverrides): ServeConfig {
  let raw: Raw = {};
  if (path !== undefined) {
    let text: string;
    try {
      text = readFileSync(path, "utf8");
    } catch (e) {
      throw new ConfigError(`${path}: ${(e as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (e as Error).message}`);
    }
    let parsed: unknown;
    try {
      parsed = parseYaml(text);
    } catch (e) {
      throw new ConfigError(`${path}: not valid YAML: ${(e as Error).message.split("\n")[0]}`);
    }
    if (parsed !== null && parsed !== undefined && !isObject(parsed)) throw new ConfigError(`${path}: must be a mapping of keys`);
    raw = (parsed as Raw | null) ?? {};
  }
  for (const [k, apply] of Object.entries(ENV)) if (env[k] !== undefined && env[k] !== "") apply(raw, env[k]!);
  if (flags.db !== undefined) raw.db = flags.db;
  if (flags.site !== undefined) raw.site = flags.site;
  if (flags.logLevel !== undefined) raw.log_level = flags.logLevel;
  if (flags.httpPort !== undefined) raw.http = { ...(isObject(raw.http) ? raw.http : {}), port: flags.httpPort };
  for (const p of flags.netflowPorts ?? []) raw.netflow = [...(Array.isArray(raw.netflow) ? raw.netflow : []), { port: p }];
  for (const p of flags.ipfixTcpPorts ?? []) raw.netflow = [...(Array.isArray(raw.netflow) ? raw.netflow : []), { port: p, transport: "tcp" }];
  for (const i of flags.captureInterfaces ?? []) raw.capture = [...(Array.isArray(raw.capture) ? raw.capture : []), { interface: i }];
  for (const d of flags.zeekDirs ?? []) raw.zeek = [...(Array.isArray(raw.zeek) ? raw.zeek : []), { dir: d }];
  return validateConfig(raw, env);
}

/**
 * The HTTPS certificate chain and key from their PEM files: both or neither; each must read and
 * parse, and the key must be the certificate's (Node's TLS checks the pair).
 */
function httpTls(certFile: string | undefined, keyFile: string | undefined): HttpTls | undefined {
  if (certFile === undefined && keyFile === undefined) return undefined;
  if (certFile === undefined || keyFile === undefined) throw new ConfigError("http.tls_cert and http.tls_key: give both, or neither");
  const read = (file: string, key: string): string => {
    try {
      return readFileSync(file, "utf8");
    } catch (e) {
      throw new ConfigError(`http.${key}: cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? "error"}`);
    }
  };
  const cert = read(certFile, "tls_cert");
  const key = read(keyFile, "tls_key");
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(cert);
  } catch {
    throw new ConfigError(`http.tls_cert: ${certFile} holds no PEM certificate`);
  }
  try {
    createSecureContext({ cert, key });
  } catch (e) {
    const why = /mismatch/i.test((e as Error).message) ? "is not the key of the certificate in http.tls_cert" : "holds no usable PEM private key";
    throw new ConfigError(`http.tls_key: ${keyFile} ${why}`);
  }
  return { cert, key, subject: leaf.subject.replace(/\n/g, ", "), notAfter: new Date(leaf.validTo) };
}
