import { statSync } from "node:fs";
import { DetectionEngine } from "../detect/engine.js";
import { escalateOtOperations } from "../detect/ot-operation.js";
import { allDetectors } from "../detect/registry.js";
import type { Alert } from "../model/alert.js";
import { suppresses } from "../detect/suppress.js";
import { createPipeline } from "../pipeline.js";
import { readCapture } from "../sources/capture.js";
import { ErrorCounts } from "../sources/frame.js";
import type { Store, StoredDevice, StoredOverride, StoredVerdict } from "../store/sqlite.js";
import { speaksOt } from "../classify/classify.js";
import type { BehaviourModel } from "../classify/model.js";
import { loadRules } from "../classify/rules.js";
import { type Category, defaultCriticality } from "../classify/taxonomy.js";
import { settleVerdicts } from "../classify/verdicts.js";
import { type Inventory, ownAddresses } from "../inventory/inventory.js";
import { deviceView } from "../inventory/view.js";
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
  /** The run's inventory in memory: everything stored, plus this run's flow behaviour per device. */
  inventory: Inventory;
}

export interface AnalyzeOptions {
  /** The behavioural model for devices the rules leave without a category; none when undefined. */
  model?: BehaviourModel;
  /** Run the detectors (default true). */
  detect?: boolean;
}

/** Reads captures through the pipeline into the store; flows are written as they finish. */
export async function analyzeCaptures(store: Store, paths: string[], site: string, o: AnalyzeOptions = {}): Promise<AnalyzeResult> {
  const engine = o.detect === false ? undefined : new DetectionEngine(allDetectors(), (name, e, n) => process.stderr.write(`cordon: detector ${name} failed (${n} so far): ${e.message}\n`));
  const pipeline = createPipeline({ flows: (batch) => store.saveFlows(batch) }, engine ? { detect: engine } : {});
  pipeline.inventory.load(store.devices());
  const progress = new Progress();
  const readErrors = new ErrorCounts();
  const result: AnalyzeResult = { stats: { packets: 0, bytes: 0, flows: 0, errors: {} }, unreadable: [], partial: [], inventory: pipeline.inventory };
  for (const path of paths) {
    let size = 0;
    try {
      size = path === "-" ? 0 : statSync(path).size;
    } catch {
      size = 0;
    }
    const before = { packets: pipeline.stats.packets, bytes: pipeline.stats.bytes, flows: pipeline.stats.flows };
    const errorsBefore = new Map(pipeline.stats.errors.counts);
    const fileErrors = new ErrorCounts();
    const firstUs = pipeline.now();
    pipeline.beginSource(path, site);
    const r = await readCapture(path, pipeline.push, fileErrors, (n) => progress.update(path, n, size, pipeline.stats.packets));
    readErrors.mergeFrom(fileErrors);
    if (r.fatal !== undefined) {
      if (r.frames === 0) result.unreadable.push({ path, reason: r.fatal });
      else result.partial.push({ path, reason: r.fatal });
      readErrors.add(r.frames === 0 ? "capture.unreadable" : "capture.stopped-early", r.fatal);
    }
    const errs: Record<string, number> = fileErrors.toJSON();
    for (const [k, v] of pipeline.stats.errors.counts) {
      const d = v - (errorsBefore.get(k) ?? 0);
      if (d > 0) errs[k] = d;
    }
    if (r.fatal) errs[r.frames === 0 ? "capture.unreadable" : "capture.stopped-early"] = 1;
    store.saveSource({
      name: path, site, kind: "capture", format: r.format ? `${r.format}${r.gzip ? "+gzip" : ""}` : undefined,
      firstUs: r.frames > 0 ? firstUs : undefined, lastUs: r.frames > 0 ? pipeline.now() : undefined,
      packets: pipeline.stats.packets - before.packets, bytes: pipeline.stats.bytes - before.bytes,
      flows: pipeline.stats.flows - before.flows, errors: errs, fatal: r.fatal,
    });
  }
  progress.done();
  pipeline.flush();
  store.saveInventory(pipeline.inventory);
  settleVerdicts(store, pipeline.inventory, loadRules(), pipeline.now(), o.model);
  const alerts = engine ? finishDetection(store, engine, pipeline.inventory) : undefined;
  const errors = new ErrorCounts();
  errors.mergeFrom(readErrors);
  errors.mergeFrom(pipeline.stats.errors);
  result.stats = {
    packets: pipeline.stats.packets,
    bytes: pipeline.stats.bytes,
    flows: pipeline.stats.flows,
    errors: errors.toJSON(),
    ...(alerts !== undefined ? { alerts } : {}),
  };
  if (engine && engine.failures.size > 0) result.stats.errors["detector.failed"] = [...engine.failures.values()].reduce((a, b) => a + b, 0);
  return result;
}

/**
 * Ends detection: OT operations from hosts the inventory does not know as engineering
 * workstations are escalated, suppressed alerts are marked so, and all are stored.
 */
function finishDetection(store: Store, engine: DetectionEngine, inventory: Inventory): number {
  const alerts = engine.finish();
  const verdicts = store.latestVerdicts();
  const overrides = store.overrides();
  // Devices by MAC and by their own addresses (routers' are left out: they act for others).
  const byKey = new Map<string, { id: number | undefined; category: string | undefined }>();
  for (const d of inventory.devices.values()) {
    if (d.router) continue;
    const id = d.storeId;
    const entry = { id, category: id === undefined ? undefined : overrides.get(id)?.category ?? verdicts.get(id)?.category };
    if (d.mac) byKey.set(`${d.site}|${d.mac}`, entry);
    for (const ip of ownAddresses(d)) byKey.set(`${d.site}|${ip}`, entry);
  }
  const deviceOf = (a: Alert): { id: number | undefined; category: string | undefined } | undefined =>
    (a.sourceMac ? byKey.get(`${a.site}|${a.sourceMac}`) : undefined) ?? (a.source ? byKey.get(`${a.site}|${a.source}`) : undefined);
  escalateOtOperations(alerts, (a) => deviceOf(a)?.category);
  const now = new Date().toISOString();
  const rules = store.suppressions();
  for (const a of alerts) if (rules.some((r) => suppresses(r, a, now))) a.status = "suppressed";
  store.saveAlerts(alerts.map((a) => ({ ...a, deviceId: deviceOf(a)?.id })));
  return alerts.length;
}

const DEVICE_COLUMNS = ["site", "mac", "ips", "category", "vendor", "model", "oui_vendor", "hostnames", "first_seen", "last_seen", "packets_out", "packets_in"];

/**
 * A device as the commands print it: what the traffic showed, the settled verdict (the
 * classifier's newest accepted one), and a person's override where there is one.
 */
export function classifiedView(d: StoredDevice, verdict: StoredVerdict | undefined, override?: StoredOverride): Record<string, unknown> {
  const category = (override?.category ?? verdict?.category ?? "unknown") as Category;
  return {
    ...deviceView(d),
    category,
    vendor: verdict?.vendor ?? null,
    model: verdict?.model ?? null,
    firmware: verdict?.firmware ?? null,
    confidence: verdict?.confidence ?? 0,
    criticality: override?.criticality ?? defaultCriticality(category, speaksOt(d.facts.map((f) => f.kind))),
    evidence: verdict?.evidence ?? [],
    ...(override ? { override: { category: override.category, criticality: override.criticality, reason: override.reason, set_by: override.setBy, set_at: override.setAt } } : {}),
  };
}

export function renderDevices(store: Store, format: Format, stats?: AnalyzeStats): string {
  const verdicts = store.latestVerdicts();
  const overrides = store.overrides();
  const devices = store.devices().map((d) => classifiedView(d, verdicts.get(d.id), overrides.get(d.id)));
  if (format === "json") {
    return JSON.stringify(stats ? { stats, devices } : devices, null, 2);
  }
  if (format === "csv") return csv(DEVICE_COLUMNS, devices.map((d) => DEVICE_COLUMNS.map((c) => d[c])));
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
  return out;
}
