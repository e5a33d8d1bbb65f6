import { readFileSync } from "node:fs";
import { buildBaselines } from "../baseline/baseline.js";
import { DnsView } from "../baseline/device-index.js";
import { type BehaviourOptions, behaviourDetector } from "../detect/behaviour.js";
import type { Detector } from "../detect/engine.js";
import { IndicatorError, type Indicators, emptyIndicators, indicatorDetector, parseIndicatorCsv, parseStixBundle } from "../detect/indicators.js";
import { policyViolationDetector } from "../detect/policy-violation.js";
import { allDetectors } from "../detect/registry.js";
import type { ResolvedPolicy } from "../policy/model.js";
import type { Store } from "../store/sqlite.js";
import { UsageError } from "./output.js";
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
      throw new UsageError(`${path}: ${(e as Error).message}`);
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
      if (e instanceof IndicatorError) throw new UsageError(e.message);
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
