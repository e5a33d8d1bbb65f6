/**
 * Reading fields of an advisory document that has not been validated (a document that fails
 * its schema is still read): every accessor checks the type and gives undefined otherwise, and
 * text is bounded, so a hostile file yields missing fields, never a crash or an unbounded value.
 */

import { printable } from "../../model/values.js";

export type Json = Record<string, unknown>;

const MAX_TEXT = 2048;

export function obj(v: unknown): Json | undefined {
  return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Json) : undefined;
}

export function arr(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

/** A string field, trimmed and cut to `max` characters; undefined when absent, empty or not text. */
export function str(v: unknown, max = MAX_TEXT): string | undefined {
  if (typeof v !== "string") return undefined;
  const t = printable(v).replace(/\s+/g, " ").trim();
  return t.length === 0 ? undefined : t.slice(0, max);
}

export function num(v: unknown): number | undefined {
  return typeof v === "number" && Number.isFinite(v) ? v : undefined;
}

/** `CVE-2024-8110`, upper case; undefined for anything else. */
export function cveId(v: unknown): string | undefined {
  const t = str(v, 40);
  return t && /^CVE-\d{4}-\d{4,}$/i.test(t) ? t.toUpperCase() : undefined;
}

/**
 * Ports an advisory's text names for the vulnerable service: `102/tcp`, `TCP port 502`,
 * `port 47808/udp`, `UDP port 161`. A bare `port 80` is TCP.
 */
export function servicesNamed(text: string): string[] {
  const found = new Set<string>();
  const re = /\b(?:(tcp|udp)\s+ports?\s+(\d{1,5})|ports?\s+(\d{1,5})\s*\/\s*(tcp|udp)|(\d{1,5})\s*\/\s*(tcp|udp)|ports?\s+(\d{1,5}))\b/gi;
  for (const m of text.matchAll(re)) {
    const proto = (m[1] ?? m[4] ?? m[6] ?? "tcp").toLowerCase();
    const port = Number(m[2] ?? m[3] ?? m[5] ?? m[7]);
    if (port >= 1 && port <= 65535) found.add(`${proto}/${port}`);
  }
  return [...found].sort();
}
