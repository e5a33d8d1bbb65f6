import type { Alert } from "../model/alert.js";

/** A suppression as matching needs it: every field that is set must match. */
export interface SuppressionRule {
  device?: string;
  detector?: string;
  peer?: string;
  expiresAt?: string;
}

/**
 * Whether a rule silences an alert at `nowIso`: the device matches the alert's device MAC or
 * acting host, the detector by name, the peer its target or acting host; an expired rule
 * silences nothing. Pure.
 */
export function suppresses(rule: SuppressionRule, a: Pick<Alert, "detector" | "source" | "sourceMac" | "target">, nowIso: string): boolean {
  if (rule.expiresAt !== undefined && rule.expiresAt <= nowIso) return false;
  const lower = (s: string | undefined): string | undefined => s?.toLowerCase();
  if (rule.device !== undefined && lower(rule.device) !== lower(a.sourceMac) && lower(rule.device) !== lower(a.source)) return false;
  if (rule.detector !== undefined && rule.detector !== a.detector) return false;
  if (rule.peer !== undefined && rule.peer !== a.target && rule.peer !== a.source) return false;
  return rule.device !== undefined || rule.detector !== undefined || rule.peer !== undefined;
}
