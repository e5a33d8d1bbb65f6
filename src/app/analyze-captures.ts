import { accessSync, constants, statSync } from "node:fs";
import type { Alert, Severity } from "../model/alert.js";
import { INTERRUPTED, readCapture } from "../sources/capture.js";
import { captureFingerprint } from "../sources/fingerprint.js";
import { ErrorCounts } from "../net/error-counts.js";
import type { Store } from "../store/store.js";
import type { BehaviourModel } from "../classify/model.js";
import type { Inventory } from "../inventory/inventory.js";
import type { Indicators } from "../detect/indicators.js";
import { SiteRun } from "./site-run.js";

/**
 * The capture paths that cannot be read at all, each with why in a few words: not there, a
 * directory, not readable by this user. Standard input ("-") is always taken.
 */
export function unreadableCaptures(paths: readonly string[]): { path: string; reason: string }[] {
  const bad: { path: string; reason: string }[] = [];
  for (const path of paths) {
    if (path === "-") continue;
    try {
      if (statSync(path).isDirectory()) {
        bad.push({ path, reason: "is a directory (name the capture files in it, e.g. DIR/*.pcap)" });
        continue;
      }
      accessSync(path, constants.R_OK);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      bad.push({ path, reason: code === "ENOENT" ? "no such file" : code === "EACCES" ? "not readable (permission denied)" : (e as Error).message });
    }
  }
  return bad;
}

export interface AnalyzeStats {
  packets: number;
  bytes: number;
  flows: number;
  errors: Record<string, number>;
  /** Alerts raised (episodes), when detection ran. */
  alerts?: number;
  /** The same by severity (those with none are left out). */
  alertsBySeverity?: Partial<Record<Severity, number>>;
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
  /** Read loopback traffic as a network (`SiteRun`'s `loopback`). */
  loopback?: boolean;
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
  /** How far reading a file has got: frames read, its size, packets of the whole run so far. */
  progress?: (path: string, frames: number, size: number, packets: number) => void;
  /** A detector threw (it keeps running). */
  detectorFailed?: (detector: string, err: Error, count: number) => void;
}

/** Reads captures through the pipeline into the store; flows are written as they finish. */
export async function analyzeCaptures(store: Store, paths: string[], site: string, o: AnalyzeOptions = {}): Promise<AnalyzeResult> {
  const run = new SiteRun(store, { site, detect: o.detect, learnWindowUs: o.learnWindowUs, indicators: o.indicators, model: o.model, detectorFailed: o.detectorFailed, loopback: o.loopback });
  const pipeline = run.pipeline;
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
    const r = await readCapture(path, pipeline.push, fileErrors, (n) => o.progress?.(path, n, size, pipeline.stats.packets), o.signal);
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
  const { newAlerts, alerts, alertsBySeverity } = run.finish();
  result.newAlerts = newAlerts;
  const errors = new ErrorCounts();
  errors.mergeFrom(readErrors);
  errors.mergeFrom(pipeline.stats.errors);
  result.stats = {
    packets: pipeline.stats.packets,
    bytes: pipeline.stats.bytes,
    flows: pipeline.stats.flows,
    errors: errors.toJSON(),
    ...(alerts !== undefined ? { alerts, alertsBySeverity } : {}),
  };
  if (run.detectorFailures() > 0) result.stats.errors["detector.failed"] = run.detectorFailures();
  return result;
}
