import type { Alert, Severity } from "../../model/alert.js";
import { printable } from "../../model/values.js";

/**
 * ArcSight Common Event Format: `CEF:0|Vendor|Product|Version|SignatureID|Name|Severity|Extension`.
 * Header fields escape "\" and "|"; extension values escape "\", "=" and line breaks. Other C0
 * and C1 controls and bidirectional overrides in device-controlled text become spaces.
 */
const SEVERITY: Record<Severity, number> = { low: 3, medium: 5, high: 8, critical: 10 };

const header = (s: string): string => printable(s.replace(/\\/g, "\\\\").replace(/\|/g, "\\|"));
const ext = (s: string): string => printable(s.replace(/\\/g, "\\\\").replace(/=/g, "\\=").replace(/\r/g, "\\r").replace(/\n/g, "\\n"));

export const CORDON_VERSION = "0.1.0";

export function cef(a: Alert & { device?: string }): string {
  const fields: [string, string | number | undefined][] = [
    ["rt", Math.floor(a.lastUs / 1000)], ["start", Math.floor(a.firstUs / 1000)], ["end", Math.floor(a.lastUs / 1000)], ["cnt", a.count],
    ["src", a.source && /^[\d.]+$|:/.test(a.source) && !/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/i.test(a.source) ? a.source : undefined],
    ["smac", a.sourceMac ?? (a.source && /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/i.test(a.source) ? a.source : undefined)],
    ["dst", a.target && /^[\d.]+$|:/.test(a.target) ? a.target : undefined], ["dhost", a.target && !/^[\d.]+$|:/.test(a.target) ? a.target : undefined],
    ["cat", a.class], ["act", a.status], ["externalId", a.id], ["cs1Label", "technique"], ["cs1", a.technique],
    ["cs2Label", "site"], ["cs2", a.site], ["cs3Label", "detector"], ["cs3", a.detector], ["msg", a.title],
  ];
  const extension = fields.filter(([, v]) => v !== undefined && v !== "").map(([k, v]) => `${k}=${ext(String(v))}`).join(" ");
  return `CEF:0|Cordon|Cordon|${CORDON_VERSION}|${header(`${a.detector}:${a.class}`)}|${header(a.title)}|${SEVERITY[a.severity]}|${extension}`;
}
