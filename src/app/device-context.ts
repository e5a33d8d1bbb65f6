import { type BaselineElement, type DeviceBaseline, buildBaselines } from "../baseline/baseline.js";
import { DeviceIndex, type SiteDevice } from "../baseline/device-index.js";
import type { FlowSummaries } from "../baseline/flow-summaries.js";
import { parseDnsAnswer } from "../model/dns-answer.js";
import { endpointLabel } from "../policy/endpoint.js";
import type { Store, StoredDevice, StoredFlow } from "../store/store.js";
import { classificationOf } from "./classification.js";
import { policiesInForce } from "./policies.js";
import { InputError } from "./errors.js";

/**
 * What a person looking at one device needs besides its facts and verdict: whom it talks to
 * (its baseline's elements: peer, the peer's role, protocol, port, direction, volume), whether
 * that baseline is mature enough to judge by, and the policy in force for its site: the group
 * it is in, whether the policy governs it, and the rules that name its group.
 */
export interface DeviceContext {
  key: string;
  site: string;
  /** Where its baseline came from: the flow summaries a long-lived reader keeps, or its flows. */
  read: "summaries" | "flows";
  /** Flows read: from its flows, those touching it (the newest chunks' first, until MAX_FLOWS or more); from the summaries, those its baseline counts. */
  flowsRead: number;
  /** Its baseline may lack flows (MAX_FLOWS reached) or peers (a summary kept no more). */
  truncated: boolean;
  baseline: {
    mature: boolean;
    maturity: string;
    firstSeen: string | null;
    lastSeen: string | null;
    flows: number;
    activeHours: number;
    stability: number;
    initiatedShare: number;
    /** Flows by hour of day (UTC). */
    hours: number[];
  } | null;
  /** Its peers, busiest first (at most MAX_PEERS). */
  peers: (Omit<BaselineElement, "firstUs" | "lastUs"> & { firstSeen: string; lastSeen: string })[];
  policy: {
    id: number;
    name: string;
    version: number;
    status: string;
    mode: string;
    /** The groups the device is in; empty when learning left it out. */
    groups: string[];
    /** Whether the policy governs it (default deny for its traffic). */
    managed: boolean;
    rules: { id: string; from: string; to: string; proto: string; ports: string; comment: string }[];
  } | null;
}

const MAX_FLOWS = 200_000;
const MAX_PEERS = 200;
/** Peer addresses looked up in the inventory to name peers by category; the rest are named by address. */
const MAX_PEER_ADDRESSES = 5_000;
const iso = (us: number): string => new Date(us / 1000).toISOString();

/**
 * Flows a context read may fold into the summaries before it answers (about a second's
 * work, what reading a busy device's flows costs); past this (a reader that has just started
 * on a large store) it reads the device's flows instead, and the summaries catch up in the
 * background (serve/api-reader.ts).
 */
export const FOLD_IN_REQUEST = 500_000;

/**
 * The context of the device with this key (MAC, or ip:ADDRESS) at `site`. With `summaries`
 * (kept by a long-lived reader: baseline/flow-summaries.ts) its baseline and peers come from
 * them when they hold all of its flows; else from its flows, newest chunks first, up to
 * MAX_FLOWS. Both give the same answer (test/flow-summaries.test.ts).
 */
export function deviceContext(store: Store, site: string, key: string, o: { summaries?: FlowSummaries } = {}): DeviceContext {
  const device = store.findDevices(key.startsWith("ip:") ? key.slice(3) : key).find((d) => d.site === site && d.key === key);
  if (!device) throw new InputError(`no device ${key} at site ${site}`);
  const ownIps = device.addresses.map((a) => a.ip);
  const own = new Set([...(device.mac ? [device.mac] : []), ...ownIps]);
  const summaries = o.summaries !== undefined && o.summaries.fold(store, site, FOLD_IN_REQUEST) && o.summaries.covers(site, ownIps) ? o.summaries : undefined;
  // Its flows, newest chunks first (each chunk filtered before decoding), up to the cap; none when the summaries answer.
  const kept: StoredFlow[] = [];
  let truncated = false;
  if (summaries === undefined) {
    for (const chunk of store.flowChunksTouching([...own], { site })) {
      if (kept.length >= MAX_FLOWS) {
        truncated = true;
        break;
      }
      for (const f of chunk.flows) kept.push(f);
    }
  }

  // The device and the devices it talked to, so peers are named by their category.
  const peerIps = new Set<string>();
  if (summaries === undefined) {
    for (const f of kept) for (const ip of [f.srcIp, f.dstIp]) if (!own.has(ip)) peerIps.add(ip);
  } else {
    for (const ip of summaries.peerAddresses(site, device.mac ?? undefined, ownIps)) if (!own.has(ip)) peerIps.add(ip);
  }
  const devices = new Map<string, StoredDevice>([[device.key, device]]);
  for (const d of store.devicesAtAddresses(site, [...peerIps].slice(0, MAX_PEER_ADDRESSES))) devices.set(d.key, d);
  const ids = [...devices.values()].map((d) => d.id);
  const verdicts = store.latestVerdicts(ids);
  const overrides = store.overrides(ids);
  const siteDevices: SiteDevice[] = [...devices.values()].map((d) => {
    const c = classificationOf(d, verdicts.get(d.id), overrides.get(d.id));
    return { key: d.mac ?? d.key, mac: d.mac ?? undefined, ips: c.addresses, category: c.category, router: d.router, dnsAnswers: d.facts.filter((x) => x.kind === "dns.answer").flatMap((x) => parseDnsAnswer(x.value) ?? []) };
  });
  let mine: Omit<DeviceBaseline, "volume"> | undefined;
  let flowsRead = kept.length;
  if (summaries === undefined) {
    mine = buildBaselines(siteDevices, kept).devices.find((b) => b.key === (device.mac ?? device.key));
  } else {
    const self = siteDevices.find((d) => d.key === (device.mac ?? device.key))!;
    const read = summaries.baselineOf(site, self, new DeviceIndex(siteDevices));
    mine = read.baseline;
    truncated = read.truncated;
    flowsRead = mine?.flows ?? 0;
  }

  const inForce = policiesInForce(store).find((p) => p.stored.site === site);
  let policy: DeviceContext["policy"] = null;
  if (inForce) {
    const p = inForce.file.policy;
    const groups = Object.entries(p.groups).filter(([, keys]) => keys.includes(device.key) || (device.mac !== null && keys.includes(device.mac))).map(([g]) => g);
    const names = (e: (typeof p.rules)[number]["from"]): boolean => e !== "any" && "group" in e && groups.includes(e.group);
    policy = {
      id: inForce.stored.id, name: p.name, version: p.version, status: inForce.stored.status, mode: p.mode, groups,
      managed: p.managed.includes(device.key) || (device.mac !== null && p.managed.includes(device.mac)),
      rules: p.rules.filter((r) => names(r.from) || names(r.to)).map((r) => ({
        id: r.id, from: endpointLabel(r.from), to: endpointLabel(r.to), proto: r.proto,
        ports: r.ports.map(([a, b]) => (a === b ? String(a) : `${a}-${b}`)).join(",") || "any", comment: r.comment,
      })),
    };
  }
  return {
    key: device.key, site, read: summaries === undefined ? "flows" : "summaries", flowsRead, truncated,
    baseline: mine ? {
      mature: mine.mature, maturity: mine.maturity, firstSeen: Number.isFinite(mine.window.firstUs) ? iso(mine.window.firstUs) : null,
      lastSeen: Number.isFinite(mine.window.lastUs) ? iso(mine.window.lastUs) : null, flows: mine.flows, activeHours: mine.activeHours,
      stability: mine.stability, initiatedShare: mine.initiatedShare, hours: mine.hours,
    } : null,
    peers: (mine?.elements ?? []).slice(0, MAX_PEERS).map(({ firstUs, lastUs, ...e }) => ({ ...e, firstSeen: iso(firstUs), lastSeen: iso(lastUs) })),
    policy,
  };
}
