import type { BehaviourModel } from "../classify/model.js";
import type { CompiledRule } from "../classify/rule.js";
import { loadRules } from "../classify/rules.js";
import { settleVerdicts } from "../classify/verdicts.js";
import { DetectionEngine } from "../detect/engine.js";
import { raiseIdentityChanges } from "../detect/identity-change.js";
import type { Indicators } from "../detect/indicators.js";
import { raiseNewDevices } from "../detect/new-device.js";
import type { Alert } from "../model/alert.js";
import { type Pipeline, type PipelineConfig, createPipeline } from "../pipeline.js";
import type { Store } from "../store/sqlite.js";
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
  /** A detector threw; it keeps running for the next event. */
  detectorFailed?: (detector: string, err: Error, count: number) => void;
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

  constructor(private readonly store: Store, private readonly o: SiteRunOptions) {
    this.engine = o.detect === false ? undefined : new DetectionEngine(
      detectorsFor(store, o.site, { learnWindowUs: o.learnWindowUs, indicators: o.indicators }),
      (name, e, n) => o.detectorFailed?.(name, e, n),
    );
    this.pipeline = createPipeline({ flows: (batch) => store.saveFlows(batch) }, { ...o.pipeline, ...(this.engine ? { detect: this.engine } : {}) });
    const stored = store.devices();
    for (const d of stored) this.knownSites.add(d.site);
    this.priorCategories = this.engine ? priorCategoryById(store) : new Map();
    this.pipeline.inventory.load(stored);
  }

  /**
   * Stores the devices (new ones get their store ids). Before that, devices never stored are
   * raised as new devices (on sites that had an inventory) and the identity changes the
   * inventory recorded since the last save as identity-change alerts.
   */
  saveDevices(): void {
    const inventory = this.pipeline.inventory;
    if (this.engine) {
      raiseNewDevices(this.engine, inventory, (site) => this.knownSites.has(site));
      raiseIdentityChanges(this.engine, inventory);
    }
    this.store.saveInventory(inventory);
    for (const d of inventory.devices.values()) this.knownSites.add(d.site);
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
  finish(): { newAlerts: Alert[]; alerts: number | undefined } {
    this.pipeline.flush();
    this.saveDevices();
    this.settle();
    const newAlerts = this.saveAlerts(true);
    return { newAlerts, alerts: this.engine?.book.all().length };
  }

  /** Detector failures so far, all detectors together. */
  detectorFailures(): number {
    return [...(this.engine?.failures.values() ?? [])].reduce((a, b) => a + b, 0);
  }
}
