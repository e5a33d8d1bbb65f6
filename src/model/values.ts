import { isIPv4, isIPv6 } from "node:net";
import { canonicalMac } from "./mac.js";

/**
 * Canonical values at Cordon's edges: everything that arrives (API bodies and queries, CLI
 * arguments, configuration, log and flow records) is parsed here into one spelling before it is
 * stored, compared or written into a ruleset, a command or a log line. A value that does not
 * parse is a `FieldError` naming the field; nothing of it is kept. Pure.
 */

export class FieldError extends Error {
  constructor(readonly field: string, message: string) {
    super(`${field}: ${message}`);
  }
}

/** A MAC in canonical form (lower case, colons), from any spelling switches use. */
export function macValue(v: unknown, field: string): string {
  const mac = typeof v === "string" && v.length <= 32 ? canonicalMac(v) : undefined;
  if (mac === undefined) throw new FieldError(field, "not a MAC address");
  return mac;
}

/**
 * An IP address in its canonical text: IPv4 dotted quad without leading zeros, IPv6 lower case
 * and compressed as `URL` writes it (RFC 5952). Zone ids and prefixes are refused.
 */
export function ipValue(v: unknown, field: string): string {
  const ip = typeof v === "string" ? canonicalIp(v) : undefined;
  if (ip === undefined) throw new FieldError(field, "not an IP address");
  return ip;
}

/** The canonical text of an IPv4 or IPv6 address, or undefined when `s` is neither. */
export function canonicalIp(s: string): string | undefined {
  if (s.length > 45) return undefined;
  if (isIPv4(s)) return s.split(".").map((o) => String(Number(o))).join(".");
  if (!isIPv6(s) || s.includes("%")) return undefined;
  return new URL(`http://[${s}]/`).hostname.slice(1, -1);
}

/** An address or CIDR prefix ("10.0.0.0/8", "fd00::/8", "192.0.2.7"), canonical, host bits kept as given. */
export function prefixValue(v: unknown, field: string): string {
  if (typeof v !== "string") throw new FieldError(field, "not an address or prefix");
  const [addr, len, extra] = v.split("/");
  const ip = canonicalIp(addr);
  const max = ip === undefined ? 0 : ip.includes(":") ? 128 : 32;
  if (ip === undefined || extra !== undefined || (len !== undefined && !(/^\d{1,3}$/.test(len) && Number(len) <= max))) {
    throw new FieldError(field, "not an address or prefix");
  }
  return len === undefined ? ip : `${ip}/${Number(len)}`;
}

/** Names of sites, sources, NASes and the like: letters, digits and `_ . : @ -`, 1–64 characters. */
export function nameValue(v: unknown, field: string): string {
  if (typeof v !== "string" || !/^[A-Za-z0-9_.:@-]{1,64}$/.test(v)) throw new FieldError(field, "a name of 1 to 64 letters, digits and _ . : @ -");
  return v;
}

/** C0 and C1 controls, DEL, and the bidirectional overrides and isolates (Trojan Source). */
const CONTROLS = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** Text a person wrote (a reason, a note): required, at most `max` characters, no control characters. */
export function textValue(v: unknown, field: string, max = 500): string {
  if (typeof v !== "string" || v.trim() === "") throw new FieldError(field, "required text");
  if (v.length > max) throw new FieldError(field, `at most ${max} characters`);
  if (CONTROLS.test(v)) {
    CONTROLS.lastIndex = 0;
    throw new FieldError(field, "control characters are not allowed");
  }
  return v.trim();
}

/** Device-controlled text for a log line, syslog or CEF: control and bidi characters become spaces. */
export function printable(s: string): string {
  return s.replace(CONTROLS, " ");
}

/** A whole number from `min` to `max`, from a JSON number or a decimal string (a query value). */
export function intValue(v: unknown, field: string, min: number, max: number): number {
  const n = typeof v === "string" && /^-?\d{1,15}$/.test(v) ? Number(v) : v;
  if (typeof n !== "number" || !Number.isInteger(n) || n < min || n > max) throw new FieldError(field, `a whole number from ${min} to ${max}`);
  return n;
}

/** A value from a closed list. */
export function oneOfValue<T extends string>(v: unknown, field: string, allowed: readonly T[]): T {
  if (typeof v !== "string" || !(allowed as readonly string[]).includes(v)) throw new FieldError(field, `one of ${allowed.join(", ")}`);
  return v as T;
}

/** Only the named keys: anything else in a body is an error, so a typo is not silently ignored. */
export function onlyKeys(o: Record<string, unknown>, allowed: readonly string[], where = ""): void {
  for (const k of Object.keys(o)) if (!allowed.includes(k)) throw new FieldError(`${where}${k}`, `unknown field (known: ${allowed.join(", ") || "none"})`);
}

/**
 * A CSV cell as RFC 4180 and OWASP's CSV-injection rule want it: a cell that begins with
 * `= + - @`, a tab or a carriage return is prefixed with `'` so a spreadsheet does not read it
 * as a formula; quotes, commas and line breaks are quoted.
 */
export function csvCell(v: string): string {
  const t = /^[=+\-@\t\r]/.test(v) ? `'${v}` : v;
  return /[",\n\r]/.test(t) ? `"${t.replace(/"/g, '""')}"` : t;
}
