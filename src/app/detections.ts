import { readFileSync } from "node:fs";
import { buildBaselines } from "../baseline/baseline.js";
import { DnsView } from "../baseline/device-index.js";
import { type BehaviourOptions, behaviourDetector } from "../detect/behaviour.js";
import { registeredDomain } from "../detect/dns.js";
import type { Detector } from "../detect/engine.js";
import { escalateOtOperations, markRoutineOt } from "../detect/ot-operation.js";
import { operationTarget } from "../model/ot-operation.js";
import type { Device } from "../inventory/device.js";
import { rateBehaviour } from "../detect/severity.js";
import { speaksOt } from "../classify/classify.js";
import { type Category, defaultCriticality } from "../classify/taxonomy.js";
import { suppresses } from "../detect/suppress.js";
import { type Inventory, ownAddresses } from "../inventory/inventory.js";
import type { Alert } from "../model/alert.js";
import { IndicatorError, type Indicators, emptyIndicators, indicatorDetector, parseIndicatorCsv, parseStixBundle } from "../detect/indicators.js";
import { policyViolationDetector } from "../detect/policy-violation.js";
import { allDetectors } from "../detect/registry.js";
import type { ResolvedPolicy } from "../policy/model.js";
import type { Store } from "../store/store.js";
import { InputError } from "./errors.js";
import { learnDevices } from "./site-devices.js";

/**
 * What the behavioural detector starts from: the site's baselines as the store holds them
 * before this run (per device and per category), its routers, and the DNS names its devices
 * resolved.
 */
export function storedBehaviour(store: Store, site: string, learnWindowUs?: number): BehaviourOptions {
  const flows = store.flowGroups(site);
  const devices = learnDevices(store, site, flows);
  const b = buildBaselines(devices, flows);
  const dns = new DnsView(devices);
  const names = new Map<string, string>();
  for (const d of devices) {
    for (const { type, data } of d.dnsAnswers) {
      if (type === "A" || type === "AAAA") names.set(data, dns.nameFor(data)!);
    }
  }
  const queried = new Map(devices.map((d) => [d.key, (d.dnsQueries ?? []).map(registeredDomain)]));
  const categoryDomains = new Map<string, Set<string>>();
  for (const d of devices) for (const q of queried.get(d.key)!) (categoryDomains.get(d.category) ?? categoryDomains.set(d.category, new Set()).get(d.category)!).add(q);
  return {
    prior: new Map(b.devices.map((d) => [d.key, { category: d.category, elements: d.elements, outP95: d.volume.outP95, domains: queried.get(d.key) ?? [], mature: d.mature }])),
    categoryDomains,
    categories: new Map(b.categories.map((c) => [c.category, c.elements])),
    routers: new Set(devices.filter((d) => d.router && d.mac).map((d) => d.mac!)),
    names, learnWindowUs,
  };
}

/** The policy a site's traffic is held to: its newest enforced version, else its newest approved one. */
function activePolicy(store: Store, site: string): { policy: ResolvedPolicy; label: string } | undefined {
  const mine = store.policies().filter((p) => p.site === site);
  const p = mine.find((x) => x.status === "enforced") ?? mine.find((x) => x.status === "approved");
  if (!p) return undefined;
  const body = JSON.parse(p.body) as { resolved: ResolvedPolicy };
  return { policy: body.resolved, label: `policy ${p.id} (${p.name} v${p.version}, ${p.status})` };
}

/** Indicator files: STIX 2.1 bundles (.json) or CSV (type,value[,note]). */
export function readIndicators(paths: readonly string[]): Indicators {
  const into = emptyIndicators();
  for (const path of paths) {
    let text: string;
    try {
      text = readFileSync(path, "utf8");
    } catch (e) {
      throw new InputError(`${path}: ${(e as Error).message}`);
    }
    try {
      if (path.endsWith(".json")) {
        let doc: unknown;
        try {
          doc = JSON.parse(text);
        } catch (e) {
          throw new IndicatorError(`${path}: not valid JSON: ${(e as Error).message}`);
        }
        parseStixBundle(doc, path, into);
      } else {
        parseIndicatorCsv(text, path, into);
      }
    } catch (e) {
      if (e instanceof IndicatorError) throw new InputError(e.message);
      throw e;
    }
  }
  return into;
}

export interface DetectionSetup {
  learnWindowUs?: number;
  indicators?: Indicators;
}

/**
 * Every detector for a run at a site: the stateless set, the behavioural one with its
 * baselines, the policy-violation one when the site has an approved or enforced policy, and
 * the indicator one when feeds are given.
 */
export function detectorsFor(store: Store, site: string, o: DetectionSetup = {}): Detector[] {
  const list = [...allDetectors(), behaviourDetector(storedBehaviour(store, site, o.learnWindowUs))];
  const policy = activePolicy(store, site);
  if (policy) list.push(policyViolationDetector(policy.policy, policy.label));
  if (o.indicators) list.push(indicatorDetector(o.indicators));
  return list;
}

/** Each stored device's category (a person's override first). */
export function priorCategoryById(store: Store): Map<number, string> {
  const out = store.latestCategories();
  for (const [id, o] of store.overrides()) if (o.category) out.set(id, o.category);
  return out;
}

/**
 * Stores a run's alerts: OT operations from hosts the inventory did not know, before the run
 * (or, for devices new in it, by its verdict), as engineering workstations are escalated;
 * suppressed alerts are marked so; all are upserted. Returns those the store did not hold
 * (what outputs should send).
 */
const STRICT_IDENTITY = "severity: identity change on a life-safety/physical-process device -> high";

/**
 * When a device first did each operation to each target ("op to target", whatever register or
 * value it wrote), and whether the store held it when the run began; built when first asked.
 */
function operationsOf(d: Device): (value: string) => { firstUs: number; known: boolean } | undefined {
  let index: Map<string, { firstUs: number; known: boolean }> | undefined;
  return (value) => {
    if (!index) {
      index = new Map();
      for (const f of d.facts.get("ot.operation")?.values() ?? []) {
        const key = operationTarget(f.value);
        const old = index.get(key);
        index.set(key, { firstUs: Math.min(old?.firstUs ?? Infinity, f.firstUs), known: (old?.known ?? false) || f.known === true });
      }
    }
    return index.get(operationTarget(value));
  };
}

export function saveDetected(store: Store, alerts: Alert[], inventory: Inventory, priorCategories: Map<number, string>): Alert[] {
  // serve calls this at every persist: with nothing raised, no index of every device is built.
  if (alerts.length === 0) return [];
  // A device first seen in this run has only this run's verdict to go by.
  const current = priorCategoryById(store);
  // Devices by MAC and by their own addresses (routers' are left out: they act for others).
  const overrides = store.overrides();
  const byKey = new Map<string, { id: number | undefined; category: string | undefined; readonly criticality: string; declared?: string; firstDid(value: string): { firstUs: number; known: boolean } | undefined }>();
  for (const d of inventory.devices.values()) {
    if (d.router) continue;
    const id = d.storeId;
    const category = id === undefined ? undefined : priorCategories.get(id) ?? current.get(id);
    const override = id === undefined ? undefined : overrides.get(id);
    // Criticality is worked out only for the devices an alert names (serve builds this index of every device at each persist with alerts).
    let criticality: string | undefined;
    const entry = {
      id, category: override?.category ?? category, declared: override?.category, firstDid: operationsOf(d),
      get criticality(): string {
        return (criticality ??= override?.criticality ?? defaultCriticality((override?.category ?? category ?? "unknown") as Category, speaksOt(d.facts.keys())));
      },
    };
    if (d.mac) byKey.set(`${d.site}|${d.mac}`, entry);
    for (const ip of ownAddresses(d)) byKey.set(`${d.site}|${ip}`, entry);
  }
  const deviceOf = (a: Alert): (typeof byKey extends Map<string, infer V> ? V : never) | undefined =>
    (a.sourceMac ? byKey.get(`${a.site}|${a.sourceMac}`) : undefined) ?? (a.source ? byKey.get(`${a.site}|${a.source}`) : undefined);
  escalateOtOperations(alerts, (a) => deviceOf(a)?.category);
  // OT operations its actor is known to do are records, not alerts.
  markRoutineOt(alerts, deviceOf, store.maintenanceWindows().map((w) => ({ site: w.site, target: w.target, fromUs: Date.parse(w.startsAt) * 1000, toUs: Date.parse(w.endsAt) * 1000 })));
  // Behavioural findings are as severe as the device is critical (detect/severity.ts).
  rateBehaviour(alerts, deviceOf);
  // A device of the strictest tier that no longer looks like itself is as serious as it gets short of an attack seen.
  for (const a of alerts) {
    if (a.class === "identity-change" && a.detector === "identity-change" && a.severity === "medium" && deviceOf(a)?.criticality === "life-safety/physical-process") {
      a.severity = "high";
      if (!a.evidence.observations.includes(STRICT_IDENTITY)) a.evidence.observations.push(STRICT_IDENTITY);
    }
  }
  const now = new Date().toISOString();
  const rules = store.suppressions();
  for (const a of alerts) if (rules.some((r) => suppresses(r, a, now))) a.status = "suppressed";
  const known = store.alertIds();
  store.saveAlerts(alerts.map((a) => ({ ...a, deviceId: deviceOf(a)?.id })));
  return alerts.filter((a) => !known.has(a.id));
}
