import { buildBaselines } from "../baseline/baseline.js";
import { DeviceIndex } from "../baseline/device-index.js";
import type { FlowRecord } from "../model/flow-record.js";
import { type GroupSpec, type LearnDevice, learnPolicy } from "../policy/learn.js";
import { type MudProfile, parseMud } from "../policy/mud/import.js";
import { resolvePolicy } from "../policy/resolve.js";
import { Store } from "../store/store.js";
import { NacStore } from "../store/nac.js";
import { addressesOf } from "../inventory/view.js";
import { type QuarantineSpan, leaveOutAttacks } from "../policy/clean-flows.js";
import { learnDevices } from "./site-devices.js";
import { type PolicyFile } from "./policies.js";

/**
 * A site's stored flows without those that took part in an attack or came from a device in
 * quarantine: the site's work, which learning and compensating controls learn from.
 */
export function siteWorkFlows(store: Store, site: string): ReturnType<typeof leaveOutAttacks> {
  return leaveOutAttacks(store.flowGroups(site), store.alerts().filter((a) => a.site === site), quarantineSpans(store, site), otStaff(store, site));
}

/** `cordon policy learn`: a policy from everything the database holds for a site. */
export function learnFromStore(store: Store, site: string, o: { manageAll?: boolean; groups?: GroupSpec[] } = {}): PolicyFile {
  // Flows that took part in an attack, or of a device in quarantine, are not the site's work.
  const { clean: flows, leftOut } = siteWorkFlows(store, site);
  const devices = learnDevices(store, site, flows);
  const mudProfiles = storedMudProfiles(store);
  const policy = learnPolicy(devices, flows, { name: `learned-${site}`, site, manageAll: o.manageAll, groups: o.groups, mudProfiles });
  const managed = new Set(policy.managed);
  const baselines = buildBaselines(devices, flows).devices.filter((b) => managed.has(b.key));
  for (const l of leftOut) policy.review.push(`${LEFT_OUT} ${l.flows} flow${l.flows === 1 ? "" : "s"} of ${l.reason}`);
  const immature = baselines.filter((b) => !b.mature);
  if (immature.length > 0) {
    policy.review.push(`${immature.length} of ${baselines.length} managed devices have baselines that are not mature yet (cordon baseline shows why): rare flows of theirs may be missing from this policy`);
  }
  return { policy, resolved: resolvePolicy(policy, devices, { controllers: wellKnownControllers(devices, flows) }) };
}

/** How review lines about flows left out of learning begin. */
export const LEFT_OUT = "left out of learning:";

/** Addresses of the site's engineering workstations and HMIs: programming and writing to PLCs is their work. */
function otStaff(store: Store, site: string): Set<string> {
  const categories = store.latestVerdicts();
  const overrides = store.overrides();
  const out = new Set<string>();
  for (const d of store.devices(site)) {
    const category = overrides.get(d.id)?.category ?? categories.get(d.id)?.category;
    if (category === "engineering-workstation" || category === "hmi") for (const ip of addressesOf(d)) out.add(ip);
  }
  return out;
}

/** When each of the site's devices was in quarantine, with its addresses. */
function quarantineSpans(store: Store, site: string): QuarantineSpan[] {
  const quarantined = new NacStore(store.sql).quarantines(true).filter((q) => q.site === site);
  if (quarantined.length === 0) return [];
  const ips = new Map(store.devices(site).filter((d) => d.mac).map((d) => [d.mac!, d.addresses.map((a) => a.ip)]));
  return quarantined.map((q) => ({ mac: q.mac, ips: ips.get(q.mac) ?? [], fromUs: Date.parse(q.since) * 1000, toUs: q.releasedAt ? Date.parse(q.releasedAt) * 1000 : undefined }));
}

/** The stored MUD profiles by URL (each was validated when imported). */
export function storedMudProfiles(store: Store): Map<string, MudProfile> {
  return new Map(store.mudProfiles().map((m) => [m.url, parseMud(JSON.parse(m.body) as unknown, m.url)]));
}

/**
 * The RFC 8520 well-known controller classes as the site shows them: the gateway is its
 * routers, the DNS and NTP controllers the devices that answered on UDP 53 and 123.
 */
export function wellKnownControllers(devices: readonly LearnDevice[], flows: readonly FlowRecord[]): Record<string, string[]> {
  const index = new DeviceIndex(devices);
  const serving = (port: number): string[] => [...new Set(flows.filter((f) => f.proto === 17 && f.dstPort === port && f.packetsDstToSrc > 0).flatMap((f) => index.dst(f)?.key ?? []))].sort();
  return {
    "urn:ietf:params:mud:gateway": devices.filter((d) => d.router).map((d) => d.key),
    "urn:ietf:params:mud:dns": serving(53),
    "urn:ietf:params:mud:ntp": serving(123),
  };
}
