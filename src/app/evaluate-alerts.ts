import { InputError } from "./errors.js";
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import type { Alert } from "../model/alert.js";
import { Store } from "../store/store.js";
import { analyzeCaptures } from "./analyze-captures.js";

/** `expected-alerts.json`: hostile captures with the alert each must raise, benign ones with the classes they must not. */
interface ExpectedAlerts {
  hostile: { capture: string; class: string; source?: string; target?: string }[];
  benign: { capture: string; no_class: string[] }[];
}

export interface AlertEvaluation {
  /** Per expectation: whether an alert of its class, source and target was raised, and by which detector. */
  hostile: { capture: string; class: string; source?: string; target?: string; found: boolean; detector?: string }[];
  /** Per benign capture: the alerts of forbidden classes it raised. */
  benign: { capture: string; bad: string[] }[];
  /** Per detector: alerts that met an expectation, alerts of a forbidden class on benign traffic, precision and recall. */
  detectors: { detector: string; truePositives: number; falsePositives: number; expected: number; found: number; precision: number | null; recall: number | null }[];
}

const matches = (a: Pick<Alert, "class" | "source" | "target">, e: { class: string; source?: string; target?: string }): boolean =>
  a.class === e.class && (!e.source || a.source === e.source) && (!e.target || a.target === e.target);

async function alertsOf(path: string): Promise<Alert[]> {
  const store = new Store(":memory:");
  try {
    await analyzeCaptures(store, [path], "default");
    return store.alerts().map((a) => ({ ...a, sourceMac: undefined }));
  } finally {
    store.close();
  }
}

/**
 * Runs every capture of an expected-alerts file on its own (an in-memory database) and scores
 * the detectors: an alert is a true positive when it meets a hostile expectation (class,
 * acting host, target), a false positive when a benign capture must not raise its class; other
 * alerts on hostile captures are neither (a brute-forced FTP server also sees clear-text
 * passwords). Recall is per expectation, credited to the detector that met it.
 */
export async function evaluateAlerts(expectedPath: string): Promise<AlertEvaluation> {
  let doc: ExpectedAlerts;
  try {
    doc = JSON.parse(readFileSync(expectedPath, "utf8")) as ExpectedAlerts;
  } catch (e) {
    throw new InputError(`${expectedPath}: ${(e as Error).message}`);
  }
  if (!Array.isArray(doc.hostile) || !Array.isArray(doc.benign)) throw new InputError(`${expectedPath}: needs "hostile" and "benign" lists`);
  const base = dirname(expectedPath);
  const tally = new Map<string, { tp: number; fp: number; expected: number; found: number }>();
  const t = (d: string): { tp: number; fp: number; expected: number; found: number } => tally.get(d) ?? tally.set(d, { tp: 0, fp: 0, expected: 0, found: 0 }).get(d)!;
  const cache = new Map<string, Alert[]>();
  const run = async (capture: string): Promise<Alert[]> => cache.get(capture) ?? cache.set(capture, await alertsOf(resolve(base, capture))).get(capture)!;
  const hostile: AlertEvaluation["hostile"] = [];
  const detectorOfClass = new Map<string, string>();
  for (const h of doc.hostile) {
    const alerts = await run(h.capture);
    const hit = alerts.find((a) => matches(a, h));
    for (const a of alerts) detectorOfClass.set(a.class, a.detector);
    hostile.push({ ...h, found: hit !== undefined, detector: hit?.detector });
  }
  for (const h of hostile) {
    const d = h.detector ?? detectorOfClass.get(h.class) ?? h.class;
    t(d).expected++;
    if (h.found) t(d).found++;
  }
  for (const [capture, alerts] of cache) {
    const expectations = doc.hostile.filter((h) => h.capture === capture);
    for (const a of alerts) if (expectations.some((e) => matches(a, e))) t(a.detector).tp++;
  }
  const benign: AlertEvaluation["benign"] = [];
  for (const b of doc.benign) {
    const bad = (await run(b.capture)).filter((a) => b.no_class.includes(a.class));
    for (const a of bad) t(a.detector).fp++;
    benign.push({ capture: b.capture, bad: bad.map((a) => `${a.class}: ${a.title}`) });
  }
  const detectors = [...tally].sort(([a], [b]) => (a < b ? -1 : 1)).map(([detector, x]) => ({
    detector, truePositives: x.tp, falsePositives: x.fp, expected: x.expected, found: x.found,
    precision: x.tp + x.fp > 0 ? x.tp / (x.tp + x.fp) : null, recall: x.expected > 0 ? x.found / x.expected : null,
  }));
  return { hostile, benign, detectors };
}
