import type { BehaviourModel } from "../classify/model.js";
import type { CompiledRule } from "../classify/rule.js";
import { loadRules } from "../classify/rules.js";
import { settleVerdicts } from "../classify/verdicts.js";
import { DetectionEngine } from "../detect/engine.js";
import { raiseIdentityChanges } from "../detect/identity-change.js";
import type { Indicators } from "../detect/indicators.js";
import { raiseNewDevices } from "../detect/new-device.js";
import type { Alert, Severity } from "../model/alert.js";
import type { FlowRecord } from "../model/flow-record.js";
import { type Pipeline, type PipelineConfig, createPipeline } from "../pipeline.js";
import type { Store } from "../store/store.js";
import type { Inventory } from "../inventory/inventory.js";
import { detectorsFor, priorCategoryById, saveDetected } from "./detections.js";

export interface SiteRunOptions {
  /** The site whose baselines and policy the detectors start from. */
  site: string;
  /** Run the detectors (default true). */
  detect?: boolean;
  /** Learning window of devices without a stored baseline (default 24 h). */
  learnWindowUs?: number;
  indicators?: Indicators;
  /** The behavioural model for devices the rules leave without a category; none when undefined. */
  model?: BehaviourModel;
  /** The pipeline's flow table and clock settings (serve's idle timeout and clock skew). */
  pipeline?: Omit<PipelineConfig, "detect">;
  /**
   * Read loopback traffic as a network: the all-zero MAC and loopback addresses are devices
   * and the detectors see it (simulator and lab captures recorded on lo). Off: a host talking
   * to itself is no device and raises no alert.
   */
  loopback?: boolean;
  /** A detector threw; it keeps running for the next event. */
  detectorFailed?: (detector: string, err: Error, count: number) => void;
  /**
   * serve: finished flows wait in memory, at most this many (the oldest go past it, counted),
   * and are written with the devices by `commit`, in one transaction. Unset (analyze): each
   * batch is written as it finishes.
   */
  holdFlows?: number;
}

/**
 * Stores the devices the inventory changed since it last saved them and tells it their ids;
 * a write that fails leaves them unsaved, to be written whole next time. Returns how many.
 */
export function saveInventory(store: Store, inventory: Inventory): number {
  const pending = inventory.unsaved();
  const ids = store.saveDevices(pending.map((p) => p.change));
  pending.forEach((p, i) => p.saved(ids[i]));
  return pending.length;
}

/**
 * One run of the pipeline over a site's traffic, the same for `analyze` (captures, once) and
 * serve's ingest worker (live sources, for as long as it runs): load what the store knows,
 * feed the pipeline, save devices (raising new devices and identity changes first), settle
 * verdicts, and store the alerts. The caller decides when each step runs; the steps and their
 * order are here, once.
 */
export class SiteRun {
  readonly pipeline: Pipeline;
  readonly engine: DetectionEngine | undefined;
  private readonly rules: readonly CompiledRule[] = loadRules();
  /**
   * What devices were known as before this run: an attack must not vouch for itself (a host
   * that stops a PLC is classified an engineering workstation by that very act).
   */
  private readonly priorCategories: Map<number, string>;
  /** Sites with an inventory: a site's first devices are all new, and not each an alert. */
  private readonly knownSites = new Set<string>();
  /** Finished flows not yet stored (`holdFlows`). */
  private held: FlowRecord[] = [];
  /** Flows let go unstored because more than `holdFlows` waited (the database was away that long). */
  flowsDropped = 0;

  constructor(private readonly store: Store, private readonly o: SiteRunOptions) {
    this.engine = o.detect === false ? undefined : new DetectionEngine(
      detectorsFor(store, o.site, { learnWindowUs: o.learnWindowUs, indicators: o.indicators }),
      (name, e, n) => o.detectorFailed?.(name, e, n),
      { loopback: o.loopback === true },
    );
    const sink = o.holdFlows === undefined ? (batch: FlowRecord[]) => store.saveFlows(batch) : (batch: FlowRecord[]) => this.hold(batch, o.holdFlows!);
    this.pipeline = createPipeline({ flows: sink }, { ...o.pipeline, loopback: o.loopback === true, ...(this.engine ? { detect: this.engine } : {}) });
    const stored = store.devices();
    for (const d of stored) this.knownSites.add(d.site);
    this.priorCategories = this.engine ? priorCategoryById(store) : new Map();
    this.pipeline.inventory.load(stored);
  }

  private hold(batch: FlowRecord[], max: number): void {
    for (const f of batch) this.held.push(f);
    if (this.held.length > max) {
      const over = this.held.length - max;
      this.held.splice(0, over);
      this.flowsDropped += over;
      this.pipeline.stats.errors.add("store.flows-dropped", `more than ${max} flows waited for the database`, over);
    }
  }

  /** Finished flows waiting to be stored (`holdFlows`). */
  heldFlows(): number {
    return this.held.length;
  }

  /**
   * Stores, in one transaction, the flows held (`holdFlows`), the devices changed since the last
   * save (new ones get their store ids) and whatever `also` writes (serve: the followed logs'
   * positions). Before that, devices never stored are raised as new devices (on sites that had an
   * inventory), and the identity changes the inventory recorded as identity-change alerts. Only
   * once the transaction is committed are flows and devices taken as stored: a failure (the
   * database away) leaves everything to be written, whole, by the next call.
   */
  /** Returns how many devices were saved. */
  commit(also?: () => void): number {
    const inventory = this.pipeline.inventory;
    if (this.engine) {
      raiseNewDevices(this.engine, inventory, (site) => this.knownSites.has(site));
      raiseIdentityChanges(this.engine, inventory);
    }
    const pending = inventory.unsaved();
    const flows = this.held;
    let ids: number[] = [];
    this.store.sql.transaction(() => {
      this.store.saveFlows(flows);
      ids = this.store.saveDevices(pending.map((p) => p.change));
      also?.();
    });
    if (this.held === flows) this.held = [];
    pending.forEach((p, i) => p.saved(ids[i]));
    for (const d of inventory.devices.values()) this.knownSites.add(d.site);
    return pending.length;
  }

  /** Stores the changed devices (and held flows): `commit` with nothing else. */
  saveDevices(): void {
    this.commit();
  }

  /** Verdicts for the devices whose evidence changed them (stored devices only: save first). */
  settle(): void {
    settleVerdicts(this.store, this.pipeline.inventory, this.rules, this.pipeline.now(), this.o.model);
  }

  /**
   * Stores the alerts raised so far (episodes still open are upserted again as they grow; with
   * `final`, every episode is closed first) and lets finished episodes go from memory. Returns
   * the alerts the store did not hold before: what the outputs should send.
   */
  saveAlerts(final: boolean): Alert[] {
    if (!this.engine) return [];
    const alerts = final ? this.engine.finish() : this.engine.book.all();
    const fresh = saveDetected(this.store, alerts, this.pipeline.inventory, this.priorCategories);
    if (!final) this.engine.book.dropFinished(this.pipeline.now());
    return fresh;
  }

  /** The end of a run: every flow out of the table, devices saved, verdicts settled, every alert stored. */
  finish(): { newAlerts: Alert[]; alerts: number | undefined; alertsBySeverity: Partial<Record<Severity, number>> | undefined } {
    this.pipeline.flush();
    this.saveDevices();
    this.settle();
    const newAlerts = this.saveAlerts(true);
    const all = this.engine?.book.all();
    const bySeverity: Partial<Record<Severity, number>> = {};
    for (const a of all ?? []) bySeverity[a.severity] = (bySeverity[a.severity] ?? 0) + 1;
    return { newAlerts, alerts: all?.length, alertsBySeverity: all ? bySeverity : undefined };
  }

  /** Detector failures so far, all detectors together. */
  detectorFailures(): number {
    return [...(this.engine?.failures.values() ?? [])].reduce((a, b) => a + b, 0);
  }
}
