import { PrefixTable } from "../policy/prefix-table.js";
import { DEFAULT_LIMITS, pollTarget, type PollLimits, type SnmpCredential } from "../sources/snmp/poller.js";
import type { Store } from "../store/store.js";
import type { Observation } from "../model/observation.js";
import { classificationOf } from "./classification.js";
import { SiteRun } from "./site-run.js";

/**
 * SNMP polling a person turned on, subnet by subnet: the inventory's devices with an address
 * in an enabled subnet, and the hosts listed for it, are polled with that subnet's
 * credentials, at most `ratePerSecond` requests a second and one in flight per target. Devices
 * of fragile categories (PLCs, RTUs, protection relays, medical devices) are skipped unless
 * allowed one by one. What comes back is stored as observations, and verdicts are settled.
 */

export interface SnmpSubnet {
  prefix: string;
  credential: SnmpCredential;
  /** Hosts to poll although the inventory has not seen them (a switch that sends nothing). */
  hosts: string[];
  /** MACs or addresses of fragile devices a person allowed to be polled. */
  allowFragile: string[];
}

export interface SnmpPollConfig {
  subnets: SnmpSubnet[];
  limits: PollLimits;
  /** Targets polled at once (each still one request at a time). */
  parallel: number;
}

/** Categories whose devices are not polled unless allowed: old stacks fall over under unexpected traffic. */
export const FRAGILE_CATEGORIES: readonly string[] = ["plc", "rtu", "protection-relay", "medical-device"];

export interface SnmpPollReport {
  polled: { ip: string; requests: number; observations: number; error?: string }[];
  skipped: { ip: string; device: string; why: string }[];
}

interface Candidate {
  ip: string;
  subnet: SnmpSubnet;
}

/** The targets of one round: inventory devices in enabled subnets, and the listed hosts; fragile devices only when allowed. */
export function snmpTargets(store: Store, site: string, config: SnmpPollConfig): { targets: Candidate[]; skipped: SnmpPollReport["skipped"] } {
  const table = new PrefixTable(config.subnets.map((s) => [s.prefix, s] as const));
  const targets = new Map<string, Candidate>();
  const skipped: SnmpPollReport["skipped"] = [];
  const devices = [...store.eachDevice(site)];
  const verdicts = store.latestVerdicts(devices.map((d) => d.id));
  const overrides = store.overrides(devices.map((d) => d.id));
  for (const d of devices) {
    const category = classificationOf(d, verdicts.get(d.id), overrides.get(d.id)).category;
    for (const a of d.addresses) {
      const subnet = table.lookup(a.ip);
      if (!subnet || targets.has(a.ip)) continue;
      const allowed = subnet.allowFragile.includes(a.ip) || (d.mac !== null && subnet.allowFragile.includes(d.mac));
      if (FRAGILE_CATEGORIES.includes(category) && !allowed) {
        skipped.push({ ip: a.ip, device: d.key, why: `${category}: fragile; allow_fragile lists the devices that may be polled` });
        continue;
      }
      targets.set(a.ip, { ip: a.ip, subnet });
    }
  }
  for (const s of config.subnets) {
    for (const h of s.hosts) if (!targets.has(h) && !skipped.some((x) => x.ip === h)) targets.set(h, { ip: h, subnet: s });
  }
  return { targets: [...targets.values()], skipped };
}

/** One round: polls every target and hands each observation to `observe` (a pipeline's). */
export async function pollSnmpInto(store: Store, site: string, config: SnmpPollConfig, observe: (o: Observation) => void): Promise<SnmpPollReport> {
  const { targets, skipped } = snmpTargets(store, site, config);
  const report: SnmpPollReport = { polled: [], skipped };
  const queue = [...targets];
  const worker = async (): Promise<void> => {
    for (let t = queue.shift(); t; t = queue.shift()) {
      const r = await pollTarget(t.ip, site, t.subnet.credential, config.limits);
      for (const o of r.observations) observe(o);
      report.polled.push({ ip: r.ip, requests: r.requests, observations: r.observations.length, ...(r.error ? { error: r.error } : {}) });
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(config.parallel, queue.length)) }, worker));
  report.polled.sort((a, b) => (a.ip < b.ip ? -1 : a.ip > b.ip ? 1 : 0));
  return report;
}

/** One round for `cordon snmp poll`: polls every target and stores what they said, then settles verdicts. */
export async function pollSnmp(store: Store, site: string, config: SnmpPollConfig): Promise<SnmpPollReport> {
  const run = new SiteRun(store, { site, detect: false });
  const report = await pollSnmpInto(store, site, config, (o) => run.pipeline.observe(o));
  run.saveDevices();
  run.settle();
  return report;
}

export const DEFAULT_POLL: Omit<SnmpPollConfig, "subnets"> = { limits: DEFAULT_LIMITS, parallel: 4 };
