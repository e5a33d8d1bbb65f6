import { buildBaselines } from "../baseline/baseline.js";
import { DnsView } from "../baseline/device-index.js";
import { type BehaviourOptions, behaviourDetector } from "../detect/behaviour.js";
import type { Detector } from "../detect/engine.js";
import { allDetectors } from "../detect/registry.js";
import type { Store } from "../store/sqlite.js";
import { learnDevices } from "./site-devices.js";

const element = (e: { direction: string; peer: string; proto: string; port: number }): string => `${e.direction}|${e.peer}|${e.proto}|${e.port}`;

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
    for (const a of d.dnsAnswers) {
      const [, type, data] = a.split(" ");
      if ((type === "A" || type === "AAAA") && data) names.set(data, dns.nameFor(data)!);
    }
  }
  return {
    prior: new Map(b.devices.map((d) => [d.key, { category: d.category, elements: d.elements.map(element), outP95: d.volume.outP95 }])),
    categories: new Map(b.categories.map((c) => [c.category, c.elements.map(element)])),
    routers: new Set(devices.filter((d) => d.router && d.mac).map((d) => d.mac!)),
    names, learnWindowUs,
  };
}

/** Every detector for a run at a site: the stateless set and the behavioural one with its baselines. */
export function detectorsFor(store: Store, site: string, learnWindowUs?: number): Detector[] {
  return [...allDetectors(), behaviourDetector(storedBehaviour(store, site, learnWindowUs))];
}
