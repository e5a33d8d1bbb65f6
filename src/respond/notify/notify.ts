import { readFileSync } from "node:fs";
import { type Alert, SEVERITIES, type Severity } from "../../model/alert.js";
import { appendJsonLines } from "./jsonl.js";
import { sendSyslog } from "./syslog.js";
import { sendWebhook } from "./webhook.js";

/**
 * Where alerts go: syslog (UDP or TCP), a JSON-lines file, a webhook. Each output has a
 * minimum severity; suppressed alerts go nowhere. Outputs are independent: one that fails is
 * counted and reported, and the others still deliver.
 */
/**
 * Who an output reaches: the SOC (every alert; the default) and/or the OT owners (responses
 * about devices in the highest criticality class and OT categories).
 */
export type Audience = "soc" | "ot";

export type Output = (
  | { syslog: { host: string; port: number; protocol: "udp" | "tcp"; facility?: number } }
  | { jsonl: string }
  | { webhook: { url: string; secret?: string; attempts?: number; backoff_ms?: number; dead_letter: string } }
) & { min_severity?: Severity; audience?: Audience[] };

export class NotifyConfigError extends Error {}

function knownKeys(o: Record<string, unknown>, allowed: readonly string[], at: string): void {
  for (const k of Object.keys(o)) if (!allowed.includes(k)) throw new NotifyConfigError(`${at}.${k}: unknown key (known: ${allowed.join(", ")})`);
}

function integer(o: Record<string, unknown>, k: string, at: string, min: number, max: number): void {
  const v = o[k];
  if (v !== undefined && (!Number.isInteger(v) || (v as number) < min || (v as number) > max)) throw new NotifyConfigError(`${at}.${k}: an integer from ${min} to ${max}`);
}

/**
 * Checks a list of outputs (from YAML or JSON); the message names the place. A webhook's
 * `secret_env` is read from `env`.
 */
export function validateOutputs(v: unknown, env: NodeJS.ProcessEnv = process.env): Output[] {
  if (!Array.isArray(v)) throw new NotifyConfigError("notify: expected a list of outputs");
  return v.map((o, i) => {
    const at = `notify[${i}]`;
    if (typeof o !== "object" || o === null) throw new NotifyConfigError(`${at}: expected an object`);
    const x = o as Record<string, unknown>;
    knownKeys(x, ["syslog", "jsonl", "webhook", "min_severity", "audience"], at);
    if (x.min_severity !== undefined && !SEVERITIES.includes(x.min_severity as Severity)) throw new NotifyConfigError(`${at}.min_severity: one of ${SEVERITIES.join(", ")}`);
    if (x.audience !== undefined && (!Array.isArray(x.audience) || x.audience.length === 0 || x.audience.some((a) => a !== "soc" && a !== "ot"))) {
      throw new NotifyConfigError(`${at}.audience: a list of soc and/or ot`);
    }
    const kinds = ["syslog", "jsonl", "webhook"].filter((k) => k in x);
    if (kinds.length !== 1) throw new NotifyConfigError(`${at}: exactly one of syslog, jsonl, webhook`);
    if ("syslog" in x) {
      const s = x.syslog as Record<string, unknown>;
      if (typeof s !== "object" || s === null) throw new NotifyConfigError(`${at}.syslog: expected host, port and protocol`);
      knownKeys(s, ["host", "port", "protocol", "facility"], `${at}.syslog`);
      if (typeof s.host !== "string") throw new NotifyConfigError(`${at}.syslog.host: expected a host`);
      if (!Number.isInteger(s.port) || (s.port as number) < 1 || (s.port as number) > 65535) throw new NotifyConfigError(`${at}.syslog.port: expected a port`);
      if (s.protocol !== "udp" && s.protocol !== "tcp") throw new NotifyConfigError(`${at}.syslog.protocol: udp or tcp`);
      integer(s, "facility", `${at}.syslog`, 0, 23);
    } else if ("jsonl" in x) {
      if (typeof x.jsonl !== "string" || x.jsonl === "") throw new NotifyConfigError(`${at}.jsonl: expected a file path`);
    } else {
      const w = x.webhook as Record<string, unknown>;
      if (typeof w !== "object" || w === null) throw new NotifyConfigError(`${at}.webhook: expected url and dead_letter`);
      knownKeys(w, ["url", "secret", "secret_env", "secret_file", "attempts", "backoff_ms", "dead_letter"], `${at}.webhook`);
      if (typeof w.url !== "string" || !/^https?:\/\//.test(w.url)) throw new NotifyConfigError(`${at}.webhook.url: expected an http(s) URL`);
      integer(w, "attempts", `${at}.webhook`, 1, 20);
      integer(w, "backoff_ms", `${at}.webhook`, 0, 600_000);
      if (typeof w.dead_letter !== "string") throw new NotifyConfigError(`${at}.webhook.dead_letter: a file for alerts that could not be delivered`);
      // The signing secret from the environment or a file, so configuration files can be shared without it.
      const given = ["secret", "secret_env", "secret_file"].filter((k) => w[k] !== undefined);
      if (given.length > 1) throw new NotifyConfigError(`${at}.webhook: one of secret, secret_env, secret_file`);
      if (w.secret_env !== undefined) {
        const v = typeof w.secret_env === "string" ? env[w.secret_env] : undefined;
        if (!v) throw new NotifyConfigError(`${at}.webhook.secret_env: the environment has no ${String(w.secret_env)}`);
        w.secret = v;
      } else if (w.secret_file !== undefined) {
        let v = "";
        try {
          v = typeof w.secret_file === "string" ? readFileSync(w.secret_file, "utf8").trim() : "";
        } catch (e) {
          throw new NotifyConfigError(`${at}.webhook.secret_file: ${(e as Error).message}`);
        }
        if (!v) throw new NotifyConfigError(`${at}.webhook.secret_file: empty`);
        w.secret = v;
      }
      if (w.secret !== undefined && (typeof w.secret !== "string" || w.secret.length < 16)) throw new NotifyConfigError(`${at}.webhook.secret: at least 16 characters`);
    }
    return x as unknown as Output;
  });
}

export interface NotifyResult {
  sent: number;
  deadLettered: number;
  failures: string[];
}

/**
 * Sends alerts to the outputs that take them: SOC outputs always, OT-owner outputs when
 * `ot` says the alerts concern OT devices. Each output's minimum severity applies.
 */
export async function notify(outputs: readonly Output[], alerts: readonly Alert[], to: { ot?: boolean } = {}): Promise<NotifyResult> {
  const result: NotifyResult = { sent: 0, deadLettered: 0, failures: [] };
  const live = alerts.filter((a) => a.status !== "suppressed" && a.status !== "routine");
  const reaches = (out: Output): boolean => (out.audience ?? ["soc"]).includes("soc") || (to.ot === true && out.audience!.includes("ot"));
  for (const [i, o] of outputs.entries()) {
    if (!reaches(o)) continue;
    const min = SEVERITIES.indexOf(o.min_severity ?? "low");
    const chosen = live.filter((a) => SEVERITIES.indexOf(a.severity) >= min);
    if (chosen.length === 0) continue;
    try {
      if ("syslog" in o) await sendSyslog(o.syslog, chosen);
      else if ("jsonl" in o) appendJsonLines(o.jsonl, chosen);
      else {
        const w = o.webhook;
        result.deadLettered += await sendWebhook({ url: w.url, secret: w.secret, attempts: w.attempts, backoffMs: w.backoff_ms, deadLetter: w.dead_letter }, chosen);
      }
      result.sent += chosen.length;
    } catch (e) {
      result.failures.push(`notify[${i}]: ${(e as Error).message}`);
    }
  }
  return result;
}
