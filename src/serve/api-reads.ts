import { InputError } from "../app/errors.js";
import { deviceContext } from "../app/device-context.js";
import { eolRegister } from "../app/end-of-life.js";
import { deviceVulnerabilities, siteRisks, vulnerabilityView, vulnerableDevices } from "../app/vulnerabilities.js";
import { siteOverview } from "../app/overview.js";
import { certificateInventory, certificateStatus } from "../app/certificates.js";
import { assumptionRegister, blastView, findNode, trustAnalysis, trustPaths, trustWhatIf } from "../app/trust.js";
import type { TrustAnalysis } from "../trust/analyze.js";
import { FlowPairs } from "../store/flow-pairs.js";
import { FlowSummaries } from "../baseline/flow-summaries.js";
import { RecentFlows } from "../store/recent-flows.js";
import { graphJson } from "../trust/export.js";
import type { EdgeFamily } from "../trust/model.js";
import { compileFor, policyChanges, policyFileOf, policyListView, simulateStored, storedPolicy } from "../app/policies.js";
import { alertRowView, alertView, deviceDetailView, deviceListView, deviceRowView, findDevices, flowFilter, flowView, latestFlows, listAlertSummaries, listAlerts, listDeviceRows, listDevices, listPolicies } from "../app/queries.js";
import { NoSuchAlert, findAlert } from "../app/alerts.js";
import { AuditLog } from "../store/audit.js";
import type { NacStore } from "../store/nac.js";
import type { Store } from "../store/store.js";
import type { ApiOp, ApiRequest } from "./messages.js";

/**
 * The API's reads, answered by serve's reader thread (serve/api-reader.ts) on a read-only
 * connection of its own, so a person's click never waits behind the ingest worker's batches
 * (or its writes); every change goes to the ingest worker, which owns the writes.
 */

/** The operations that only read: the reader answers them. */
export const READ_OPS: ReadonlySet<ApiOp> = new Set<ApiOp>(["sites", "devices", "device", "device-context", "alerts", "alert", "policies", "policy-diff", "overview",
  "policy-simulate", "policy-compile", "flows", "decisions", "responses", "audit", "quarantines", "vulnerabilities", "device-vulnerabilities", "eol",
  "trust-graph", "trust-blast", "trust-amplifiers", "trust-paths", "trust-assumptions", "certs", "cert-status"]);

/**
 * The reads of flow history (a device's flows and context, the trust graph and what is
 * built on it): serve answers them on a reader thread of their own, which keeps the flow
 * summaries and pairs, so the other reads never wait behind them.
 */
export const FLOW_READ_OPS: ReadonlySet<ApiOp> = new Set<ApiOp>(["flows", "device-context", "trust-graph", "trust-blast", "trust-amplifiers", "trust-paths", "policy-diff"]);

/**
 * Which reader answers `op`: a read of flow history the flows reader (it keeps the summaries
 * and the newest flows); any other the reads reader, or the flows reader when that one has
 * nothing to answer and the reads reader has (two clicks at once are answered side by side;
 * such a read never queues behind a scan of flows).
 */
export function readerFor<R extends { waiting(): number }>(op: ApiOp, reads: R, flows: R): R {
  if (FLOW_READ_OPS.has(op)) return flows;
  return reads.waiting() > 0 && flows.waiting() === 0 ? flows : reads;
}

/** A refusal the API tells the caller as it is, with its status. */
export class Denied extends Error {
  constructor(readonly status: 401 | 403 | 404, message: string) {
    super(message);
  }
}

/**
 * How a failed operation is answered: refusals and input errors as they are (a `conflict`
 * error class, such as the responder's, as 409); anything else as 500, its detail (SQL
 * included) for the log only.
 */
export function apiFailure(e: unknown, conflict?: new (...a: never[]) => Error): { status: number; body: { error: string } } {
  if (e instanceof Denied) return { status: e.status, body: { error: e.message } };
  if (e instanceof InputError) return { status: 400, body: { error: e.message } };
  if (conflict && e instanceof conflict) return { status: 409, body: { error: e.message } };
  return { status: 500, body: { error: "internal error (the serve log has the detail)" } };
}

/** How long a site's trust graph is reused by the reads that follow: it is rebuilt from the store at most this often. */
const TRUST_REUSE_MS = 30_000;
const analyses = new WeakMap<Store, Map<string, { at: number; analysis: TrustAnalysis }>>();
/** The flow pairs folded so far per store: each rebuild reads only the flows stored since. */
const folded = new WeakMap<Store, FlowPairs>();
/** The devices' flow summaries folded so far per store (baseline/flow-summaries.ts): a device's context reads no flow history. */
const summaries = new WeakMap<Store, FlowSummaries>();

/** The flow summaries this reader keeps for `store`. */
export function flowSummariesOf(store: Store): FlowSummaries {
  let s = summaries.get(store);
  if (s === undefined) summaries.set(store, (s = new FlowSummaries()));
  return s;
}

/** The devices' newest flows kept so far per store (store/recent-flows.ts): a device's flows read no chunk. */
const recent = new WeakMap<Store, RecentFlows>();

/** The newest flows per end this reader keeps for `store`. */
export function recentFlowsOf(store: Store): RecentFlows {
  let r = recent.get(store);
  if (r === undefined) recent.set(store, (r = new RecentFlows()));
  return r;
}

/** The trust analysis of a site under its policy in force (or a version), built once per TRUST_REUSE_MS. */
function analysisOf(store: Store, site: string | undefined, policy?: string): TrustAnalysis {
  const cache = analyses.get(store) ?? new Map<string, { at: number; analysis: TrustAnalysis }>();
  analyses.set(store, cache);
  const key = `${site ?? ""}\t${policy ?? ""}`;
  const hit = cache.get(key);
  if (hit && Date.now() - hit.at < TRUST_REUSE_MS) return hit.analysis;
  const pairs = folded.get(store) ?? new FlowPairs();
  folded.set(store, pairs);
  const analysis = trustAnalysis(store, site, { policy, pairs });
  if (cache.size >= 8) cache.delete(cache.keys().next().value!);
  cache.set(key, { at: Date.now(), analysis });
  return analysis;
}

/** One read, through the application layer (app/queries.ts and the rest): lists come as a page and its cursor. */
export function readOp(store: Store, nacStore: NacStore, op: ApiOp, req: ApiRequest): unknown {
  switch (op) {
    case "sites": return { items: store.sites() };
    case "devices": {
      const q = { site: req.site, category: req.category, limit: req.limit, after: req.after };
      // The VLAN RADIUS last put each device in (none: not under NAC, or its port's own).
      const vlans = nacStore.vlans();
      const vlan = (d: { device: { site: string; mac: string | null } }): string | null => (d.device.mac !== null && vlans.get(`${d.device.site} ${d.device.mac}`)) || null;
      // "row": what a table of thousands shows (about a tenth of the whole view's bytes), read without what it leaves out.
      if (req.view === "row") {
        const rows = listDeviceRows(store, q);
        return { items: rows.items.map((d) => ({ ...deviceRowView(d), vlan: vlan(d) })), next: rows.next ?? null };
      }
      const page = listDevices(store, q);
      return { items: page.items.map((d) => ({ ...deviceListView(d), vlan: vlan(d) })), next: page.next ?? null };
    }
    case "device": {
      const found = findDevices(store, req.device!).filter((d) => req.site === undefined || d.device.site === req.site);
      if (found.length === 0) throw new Denied(404, `no device ${req.device}`);
      return { items: found.map(deviceDetailView) };
    }
    case "vulnerabilities": {
      const list = vulnerableDevices(store, req.site, req.all === true);
      return { items: list.slice(0, req.limit ?? 1000).map((v) => vulnerabilityView(v, false)), total: list.length, sites: siteRisks(list) };
    }
    case "device-vulnerabilities": {
      const found = deviceVulnerabilities(store, req.device!).filter((v) => req.site === undefined || v.site === req.site);
      if (found.length === 0) throw new Denied(404, `no device ${req.device}`);
      const eol = eolRegister(store, found[0]!.site).filter((e) => e.devices.some((d) => found.some((v) => v.key === d.key)));
      return { items: found.map((v) => ({ ...vulnerabilityView(v, true), eol: eol.filter((e) => e.devices.some((d) => d.key === v.key)) })) };
    }
    case "eol": return { items: eolRegister(store, req.site) };
    case "trust-graph": return graphJson(analysisOf(store, req.site).graph, { families: req.trust?.families as EdgeFamily[] | undefined, fresh: req.trust?.fresh });
    case "trust-blast": {
      const a = analysisOf(store, req.site, req.trust?.policy);
      return blastView(a.blast(findNode(a, req.trust!.node!)), true);
    }
    case "trust-amplifiers": {
      const a = analysisOf(store, req.site, req.trust?.policy);
      return { site: a.graph.site, reach_from: a.reach.label, items: a.amplifiers(req.trust?.top ?? 20).map((b) => blastView(b, false)) };
    }
    case "trust-paths": return trustPaths(analysisOf(store, req.site, req.trust?.policy), req.trust!.from!, req.trust!.to!, req.limit ?? 50);
    case "trust-assumptions": return { items: assumptionRegister(store, req.site) };
    case "certs": return { items: certificateInventory(store, { site: req.site, mac: req.device }) };
    case "cert-status": return certificateStatus(store, req.certificate!);
    case "device-context": {
      const found = findDevices(store, req.device!).filter((d) => req.site === undefined || d.device.site === req.site);
      if (found.length === 0) throw new Denied(404, `no device ${req.device}`);
      if (found.length > 1) throw new InputError(`${req.device} is a device at ${found.map((d) => d.device.site).join(" and ")}: name the site`);
      const d = found[0].device;
      return { ...deviceContext(store, d.site, d.key, { summaries: flowSummariesOf(store) }), responses: d.mac === null ? [] : nacStore.responses().filter((r) => r.mac === d.mac && r.site === d.site).slice(0, 50) };
    }
    case "alerts": {
      const q = { site: req.site, class: req.alertClass, status: req.status, minSeverity: req.minSeverity, device: req.device, limit: req.limit, after: req.after };
      // "row": the queue's rows without the evidence, which is most of an alert's bytes; GET /api/alerts/:id has it.
      if (req.view === "row") {
        const page = listAlertSummaries(store, q);
        return { items: page.items.map(alertRowView), next: page.next ?? null };
      }
      const page = listAlerts(store, q);
      return { items: page.items.map(alertView), next: page.next ?? null };
    }
    case "alert": {
      try {
        return alertView(findAlert(store, req.id!));
      } catch (e) {
        if (e instanceof NoSuchAlert) throw new Denied(404, e.message);
        throw e;
      }
    }
    case "policies": return { items: listPolicies(store, { site: req.site }).map(policyListView) };
    case "policy-diff": return { ...policyChanges(store, req.id!), trust: trustWhatIf(store, storedPolicy(store, req.id!)) };
    case "overview": return { ...siteOverview(store, { site: req.site, days: req.days }), responsesWaiting: nacStore.responses().filter((r) => r.status === "proposed").length };
    case "policy-simulate": return simulateStored(store, req.id!, { fromUs: req.from === undefined ? undefined : flowFilter({ from: req.from }).fromUs, maxDrops: 1000 });
    case "policy-compile": {
      const p = storedPolicy(store, req.id!);
      const text = compileFor(policyFileOf(p), req.target!, req.deviceSet, req.mode);
      const safe = (v: string): string => v.replace(/[^A-Za-z0-9._-]+/g, "_").slice(0, 60);
      return { filename: `${safe(p.name)}-v${p.version}-${req.target}${req.deviceSet ? `-${safe(req.deviceSet)}` : ""}.${req.target === "mud" ? "json" : "txt"}`, text };
    }
    // Newest first for a person looking at a device; the filter is parsed where the CLI's is.
    case "flows": {
      const latest = latestFlows(store, flowFilter({ ...req.flowFilter, site: req.site }), req.limit ?? 100, { recent: recentFlowsOf(store) });
      return { items: latest.flows.map(flowView), read: latest.read };
    }
    case "decisions": return nacStore.decisions({ site: req.site, mac: req.mac, limit: req.limit ?? 100 });
    case "responses": return nacStore.responses().slice(0, req.limit ?? 1000);
    case "quarantines": return nacStore.quarantines().filter((q) => req.site === undefined || q.site === req.site);
    case "audit": return new AuditLog(store.sql).list({ limit: req.limit ?? 100, beforeId: req.before });
    default: throw new Error(`${op} is not a read`);
  }
}
