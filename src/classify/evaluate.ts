import type { Category } from "./taxonomy.js";

export interface LabelledDevice {
  capture: string;
  mac: string;
  category: string;
  vendor: string;
}

export interface Prediction {
  category: Category;
  vendor?: string;
}

export interface Evaluation {
  devices: number;
  categoryCorrect: number;
  /** Devices whose label names a vendor (an empty label vendor is not scored). */
  vendorScored: number;
  vendorCorrect: number;
  unknown: number;
  /** true category → predicted category → count */
  confusion: Record<string, Record<string, number>>;
  /** Labelled devices their capture does not show at all: reported, not scored. */
  absent: { capture: string; mac: string }[];
  misses: { capture: string; mac: string; expected: string; got: string }[];
}

function words(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9]+/g, " ").trim();
}

/**
 * The maker's name, case-insensitive. A label may add the parent or platform in parentheses
 * ("Blink (Amazon)", "LSC Smart Connect (Tuya platform)"): either name counts.
 */
export function vendorMatches(label: string, got: string | undefined): boolean {
  if (!got) return false;
  const g = words(got);
  const whole = words(label);
  const names = [whole, words(label.replace(/\(.*\)/, "")), ...[...label.matchAll(/\(([^)]*)\)/g)].map((m) => words(m[1]))];
  return names.some((n) => n.length > 0 && (n === g || ` ${n} `.includes(` ${g} `) || ` ${g} `.includes(` ${n} `)));
}

/** Scores predictions against labels: accuracy, unknown rate, confusion matrix. Pure. */
export function evaluate(labels: LabelledDevice[], predict: (l: LabelledDevice) => Prediction | undefined): Evaluation {
  const e: Evaluation = { devices: 0, categoryCorrect: 0, vendorScored: 0, vendorCorrect: 0, unknown: 0, confusion: {}, misses: [], absent: [] };
  for (const l of labels) {
    const p = predict(l) ?? { category: "unknown" as Category };
    e.devices++;
    if (p.category === "unknown") e.unknown++;
    if (p.category === l.category) e.categoryCorrect++;
    else e.misses.push({ capture: l.capture, mac: l.mac, expected: `category ${l.category}`, got: p.category });
    const row = (e.confusion[l.category] ??= {});
    row[p.category] = (row[p.category] ?? 0) + 1;
    if (l.vendor) {
      e.vendorScored++;
      if (vendorMatches(l.vendor, p.vendor)) e.vendorCorrect++;
      else e.misses.push({ capture: l.capture, mac: l.mac, expected: `vendor ${l.vendor}`, got: p.vendor ?? "(none)" });
    }
  }
  return e;
}
