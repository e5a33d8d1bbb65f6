import { statSync } from "node:fs";
import { DetectionEngine } from "../detect/engine.js";
import type { Alert } from "../model/alert.js";
import { createPipeline } from "../pipeline.js";
import { INTERRUPTED, readCapture } from "../sources/capture.js";
import { captureFingerprint } from "../sources/fingerprint.js";
import { ErrorCounts } from "../sources/frame.js";
import type { Store, StoredDevice } from "../store/sqlite.js";
import type { BehaviourModel } from "../classify/model.js";
import { loadRules } from "../classify/rules.js";
import { settleVerdicts } from "../classify/verdicts.js";
import type { Inventory } from "../inventory/inventory.js";
import type { Indicators } from "../detect/indicators.js";
import { detectorsFor, priorCategoryById, saveDetected } from "../app/detections.js";
import { raiseIdentityChanges } from "../detect/identity-change.js";
import { raiseNewDevices } from "../detect/new-device.js";
import { classifiedView } from "../app/classification.js";
import { type Format, csv, table } from "./output.js";
import { Progress } from "./progress.js";

export interface AnalyzeStats {
  packets: number;
  bytes: number;
  flows: number;
  errors: Record<string, number>;
  /** Alerts raised (episodes), when detection ran. */
  alerts?: number;
}

export interface AnalyzeResult {
  stats: AnalyzeStats;
  /** Files that could not be read at all, with the reason. */
  unreadable: { path: string; reason: string }[];
  /** Files read partly, with the reason reading stopped. */
  partial: { path: string; reason: string }[];
  /** Reading was interrupted by the signal: the files after it were not read. */
  interrupted: boolean;
  /** Files not read because the store already holds their content, with what it was read as. */
  skipped: { path: string; readAs: string; readAt: string | null }[];
  /** The run's inventory in memory: everything stored, plus this run's flow behaviour per device. */
  inventory: Inventory;
  /** Alerts this run raised that the store did not hold before (what outputs should send). */
  newAlerts: Alert[];
}

export interface AnalyzeOptions {
  /** The behavioural model for devices the rules leave without a category; none when undefined. */
  model?: BehaviourModel;
  /** Run the detectors (default true). */
  detect?: boolean;
  /** Learning window of devices without a stored baseline (default 24 h). */
  learnWindowUs?: number;
  /** Indicator feeds to match. */
  indicators?: Indicators;
  /** Stops reading (SIGINT, SIGTERM): what was read so far is stored as after a whole run. */
  signal?: AbortSignal;
  /** Read files whose content the store has read before (their counters and flows add again). */
  again?: boolean;
}

/** Reads captures through the pipeline into the store; flows are written as they finish. */
export async function analyzeCaptures(store: Store, paths: string[], site: string, o: AnalyzeOptions = {}): Promise<AnalyzeResult> {
  const engine = o.detect === false ? undefined : new DetectionEngine(detectorsFor(store, site, { learnWindowUs: o.learnWindowUs, indicators: o.indicators }), (name, e, n) => process.stderr.write(`cordon: detector ${name} failed (${n} so far): ${e.message}\n`));
  const pipeline = createPipeline({ flows: (batch) => store.saveFlows(batch) }, engine ? { detect: engine } : {});
  const stored = store.devices();
  const hadDevices = stored.some((d) => d.site === site);
  // What devices were known as before this run: an attack must not vouch for itself (a host
  // that stops a PLC is classified an engineering workstation by that very act).
  const priorCategories = engine ? priorCategoryById(store) : new Map<number, string>();
  pipeline.inventory.load(stored);
  const progress = new Progress();
  const readErrors = new ErrorCounts();
  const result: AnalyzeResult = { stats: { packets: 0, bytes: 0, flows: 0, errors: {} }, unreadable: [], partial: [], inventory: pipeline.inventory, newAlerts: [], interrupted: false, skipped: [] };
  for (const path of paths) {
    if (o.signal?.aborted) {
      result.interrupted = true;
      break;
    }
    let size = 0;
    try {
      size = path === "-" ? 0 : statSync(path).size;
    } catch {
      size = 0;
    }
    // A file whose content was read to its end before would add its packets and flows twice.
    const contentHash = path === "-" ? undefined : captureFingerprint(path);
    const earlier = contentHash === undefined ? undefined : store.sourceWithContent(site, contentHash);
    if (earlier && !o.again) {
      result.skipped.push({ path, readAs: earlier.name, readAt: earlier.readAt });
      continue;
    }
    const before = { packets: pipeline.stats.packets, bytes: pipeline.stats.bytes, flows: pipeline.stats.flows };
    const errorsBefore = new Map(pipeline.stats.errors.counts);
    const fileErrors = new ErrorCounts();
    const firstUs = pipeline.now();
    pipeline.beginSource(path, site);
    const r = await readCapture(path, pipeline.push, fileErrors, (n) => progress.update(path, n, size, pipeline.stats.packets), o.signal);
    readErrors.mergeFrom(fileErrors);
    if (r.fatal === INTERRUPTED) result.interrupted = true;
    else if (r.fatal !== undefined) {
      if (r.frames === 0) result.unreadable.push({ path, reason: r.fatal });
      else result.partial.push({ path, reason: r.fatal });
      readErrors.add(r.frames === 0 ? "capture.unreadable" : "capture.stopped-early", r.fatal);
    }
    const errs: Record<string, number> = fileErrors.toJSON();
    for (const [k, v] of pipeline.stats.errors.counts) {
      const d = v - (errorsBefore.get(k) ?? 0);
      if (d > 0) errs[k] = d;
    }
    if (r.fatal && r.fatal !== INTERRUPTED) errs[r.frames === 0 ? "capture.unreadable" : "capture.stopped-early"] = 1;
    store.saveSource({
      name: path, site, kind: "capture", format: r.format ? `${r.format}${r.gzip ? "+gzip" : ""}` : undefined,
      firstUs: r.frames > 0 ? firstUs : undefined, lastUs: r.frames > 0 ? pipeline.now() : undefined,
      packets: pipeline.stats.packets - before.packets, bytes: pipeline.stats.bytes - before.bytes,
      flows: pipeline.stats.flows - before.flows, errors: errs, fatal: r.fatal,
      ...(r.fatal === undefined && contentHash !== undefined ? { contentHash, readAt: new Date().toISOString() } : {}),
    });
  }
  progress.done();
  pipeline.flush();
  if (engine && hadDevices) raiseNewDevices(engine, pipeline.inventory);
  if (engine) raiseIdentityChanges(engine, pipeline.inventory);
  store.saveInventory(pipeline.inventory);
  settleVerdicts(store, pipeline.inventory, loadRules(), pipeline.now(), o.model);
  const alerts = engine?.finish();
  if (alerts) result.newAlerts = saveDetected(store, alerts, pipeline.inventory, priorCategories);
  const errors = new ErrorCounts();
  errors.mergeFrom(readErrors);
  errors.mergeFrom(pipeline.stats.errors);
  result.stats = {
    packets: pipeline.stats.packets,
    bytes: pipeline.stats.bytes,
    flows: pipeline.stats.flows,
    errors: errors.toJSON(),
    ...(alerts !== undefined ? { alerts: alerts.length } : {}),
  };
  if (engine && engine.failures.size > 0) result.stats.errors["detector.failed"] = [...engine.failures.values()].reduce((a, b) => a + b, 0);
  return result;
}

const DEVICE_COLUMNS = ["site", "mac", "ips", "category", "vendor", "model", "oui_vendor", "hostnames", "first_seen", "last_seen", "packets_out", "packets_in"];

/** The inventory as the commands print it: a table, CSV, or JSON, in pieces to write one after another. */
export function* renderDevices(store: Store, format: Format, stats?: AnalyzeStats): Generator<string> {
  const verdicts = store.latestVerdicts();
  const overrides = store.overrides();
  const view = (d: StoredDevice): Record<string, unknown> => classifiedView(d, verdicts.get(d.id), overrides.get(d.id));
  if (format === "json") {
    yield* devicesJson(store.eachDevice(), view, stats);
    return;
  }
  const devices = store.devices().map(view);
  if (format === "csv") {
    yield csv(DEVICE_COLUMNS, devices.map((d) => DEVICE_COLUMNS.map((c) => d[c])));
    return;
  }
  const rows = devices.map((d) => DEVICE_COLUMNS.map((c) => {
    if (c === "oui_vendor" && d.randomized_mac) return "(randomised MAC)";
    return d[c];
  }));
  let out = table(DEVICE_COLUMNS.map((c) => c.toUpperCase()), rows);
  if (stats) {
    const errs = Object.entries(stats.errors);
    out += `\n\n${stats.packets} packets, ${stats.bytes} bytes, ${devices.length} devices, ${stats.flows} flows`;
    out += errs.length === 0 ? ", no errors" : `\nerrors: ${errs.map(([k, v]) => `${k} ${v}`).join(", ")}`;
  }
  yield out;
}

/**
 * `JSON.stringify(stats ? { stats, devices } : devices, null, 2)`, written a device at a
 * time: the same text, without every device's view and the whole text in memory at once.
 */
export function* devicesJson<T>(devices: Iterable<T>, view: (d: T) => unknown, stats?: AnalyzeStats): Generator<string> {
  const indent = stats ? "    " : "  ";
  if (stats) yield `{\n  "stats": ${JSON.stringify(stats, null, 2).replace(/\n/g, "\n  ")},\n  "devices": `;
  // Each device is written at the depth it has in the whole: JSON.stringify indents it there
  // itself, inside a wrapper whose own text is cut off, instead of a second pass re-indenting.
  const [head, tail] = stats ? [`{\n  "d": [\n${indent}`.length, "\n  ]\n}".length] : [`[\n${indent}`.length, "\n]".length];
  let n = 0;
  for (const d of devices) {
    const nested = JSON.stringify(stats ? { d: [view(d)] } : [view(d)], null, 2);
    yield `${n++ === 0 ? "[\n" : ",\n"}${indent}${nested.slice(head, nested.length - tail)}`;
  }
  yield n === 0 ? "[]" : stats ? "\n  ]" : "\n]";
  if (stats) yield "\n}";
}
