import type { ResponseRecord } from "../model/response.js";
import { reportJson } from "../app/report-json.js";
import { canonicalMac } from "../model/mac.js";
import { readToken, tokenPath } from "../app/api-token.js";
import { cliActor } from "./actor.js";
import { listMoves, listNacDecisions, listNacSessions, listQuarantines } from "../app/queries.js";
import type { Store } from "../store/store.js";
import { UsageError, shortIds, table } from "./output.js";
import { dbPath } from "./options.js";

/**
 * `cordon quarantine`, `release` and `respond`: actions on a running `cordon serve`, through
 * its local HTTP API (it owns the RADIUS and CoA sockets and the packet rings). `cordon nac`
 * reads what the store kept: RADIUS decisions per device and the sessions.
 */

export const DEFAULT_SERVER = "http://127.0.0.1:9810";

/** Thrown when no serve answers; the message says how to start one. */
export class NoServerError extends Error {}

/**
 * A request to the running serve's API, with its bearer token (CORDON_TOKEN, else the file
 * serve keeps beside the database `db`) and the operating-system user as the person acting.
 */
export async function callServe(server: string, method: "GET" | "POST", path: string, body: Record<string, unknown> | undefined, db: string): Promise<unknown> {
  const headers: Record<string, string> = { "x-cordon-actor": cliActor() };
  if (method === "POST") headers["content-type"] = "application/json";
  const token = process.env.CORDON_TOKEN || readToken(tokenPath(db));
  if (token) headers.authorization = `Bearer ${token}`;
  let res: Response;
  try {
    res = await fetch(new URL(path, server), { method, headers, body: body ? JSON.stringify(body) : undefined, signal: AbortSignal.timeout(60_000) });
  } catch (e) {
    const cause = (e as { cause?: { code?: string } }).cause?.code ?? (e as Error).message;
    if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS/.test(cause)) throw new Error(`${server} answers with a certificate this machine does not trust (${cause}): give its CA's PEM file in NODE_EXTRA_CA_CERTS`);
    throw new NoServerError(`no cordon serve is running at ${server} (${cause}): start one with 'cordon serve', or name another with --server URL or CORDON_SERVER`);
  }
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error(`${server}${path}: HTTP ${res.status}, not JSON: ${text.slice(0, 200)}`);
  }
  if (res.status === 401 && !token) throw new Error(`${server} wants the API token: set CORDON_TOKEN, or name serve's database with --db (its token is in ${tokenPath(db)})`);
  if (!res.ok) throw new Error(`${(parsed as { error?: string }).error ?? `HTTP ${res.status}`}`);
  return parsed;
}

export function macArgument(v: string | undefined, what: string): string {
  if (!v) throw new UsageError(`${what} needs a MAC`);
  const mac = canonicalMac(v);
  if (!mac) throw new UsageError(`"${v}" is not a MAC address`);
  return mac;
}

export function renderResponse(r: Omit<ServedResponse, "created_at">): string {
  const lines = [`response ${r.id}: ${r.status}`, `  ${r.title}`, `  device ${r.mac} at ${r.site}, ${r.category}, ${r.criticality}`];
  if (r.evidence) lines.push(`  evidence: ${r.evidence}`);
  for (const s of r.steps) lines.push(`  ${s.at}  ${s.action}: ${s.outcome}${s.by ? ` (${s.by})` : ""} — ${s.detail}`);
  return lines.join("\n");
}

/** A response as serve's API sends it: the record, its keys in snake_case. */
export type ServedResponse = Pick<ResponseRecord, "id" | "status" | "mac" | "site" | "title" | "criticality" | "category" | "trigger" | "steps" | "evidence"> & { created_at: string };

export function renderResponses(list: ServedResponse[], format: "table" | "json", wide = false): string {
  if (format === "json") return reportJson(list);
  if (list.length === 0) return "no responses";
  const short = shortIds(list.map((r) => r.id));
  return table(["id", "status", "created", "device", "criticality", "trigger", "title"], list.map((r) => [wide ? r.id : short.get(r.id), r.status, r.created_at, r.mac, r.criticality, r.trigger, r.title]), { wide, flex: ["title"] });
}

/** `cordon nac log`, `sessions`, `quarantines`, `moves` and `pending`, from the store (no running serve needed). */
export function renderNac(store: Store, sub: string | undefined, o: { device?: string; site?: string; limit?: number; format: "table" | "json"; wide?: boolean }): string {
  if (sub === "log") {
    const mac = o.device ? macArgument(o.device, "--device") : undefined;
    const list = listNacDecisions(store, { mac, site: o.site, limit: o.limit });
    if (o.format === "json") return reportJson(list);
    if (list.length === 0) return mac ? `no RADIUS decisions for ${mac}` : "no RADIUS decisions";
    return table(["at", "last", "times", "mac", "nas", "port", "state", "vlan", "identity", "reason"], list.map((d) => [d.at, d.lastAt ?? "", d.count ?? 1, d.mac, d.nas, d.nasPortId ?? "", d.accept ? d.state : `${d.state} (reject)`, d.vlan ?? "", d.identity ?? "", d.reason]), { wide: o.wide, wideOnly: ["last"] });
  }
  if (sub === "sessions") {
    const list = listNacSessions(store);
    if (o.format === "json") return reportJson(list);
    if (list.length === 0) return "no sessions";
    return table(["mac", "site", "nas", "port", "ip", "status", "last"], list.map((s) => [s.mac, s.site, s.nas, s.nasPortId ?? "", s.ip ?? "", s.status, s.lastAt]), { wide: o.wide });
  }
  if (sub === "quarantines") {
    const list = listQuarantines(store);
    if (o.format === "json") return reportJson(list);
    if (list.length === 0) return "no quarantines";
    return table(["mac", "site", "since", "by", "reason", "released"], list.map((q) => [q.mac, q.site, q.since, q.by, q.reason, q.releasedAt ? `${q.releasedAt} by ${q.releasedBy}: ${q.releaseNote}` : ""]), { wide: o.wide, flex: ["reason", "released"] });
  }
  if (sub === "pending" || sub === "moves") {
    const list = listMoves(store, { pending: sub === "pending", limit: o.limit });
    if (o.format === "json") return reportJson(list);
    if (list.length === 0) return sub === "pending" ? "no group moves wait for a decision" : "no group moves";
    return table(["id", "at", "site", "mac", "from", "to", "rights", "status", "decided", "reason"], list.map((m) => [m.id, m.at, m.site, m.mac, m.from ?? "(no group)", m.to, m.rights, m.status,
      m.decidedBy ? `${m.decidedBy} ${m.decidedAt}` : "", m.reason]), { wide: o.wide, wideOnly: ["rights", "decided"], flex: ["reason", "from", "to"] });
  }
  throw new UsageError(`nac takes log, sessions, quarantines, moves, pending, approve or reject${sub ? `, not "${sub}"` : ""}`);
}

/** `cordon quarantine|release MAC --reason TEXT`: the request to the running serve, and its answer. */
export async function askServe(action: "quarantine" | "release", values: { reason?: string; server?: string; site?: string; db?: string }, positionals: string[]): Promise<unknown> {
  const mac = macArgument(positionals[0], action);
  if (!values.reason) throw new UsageError(`${action} needs --reason TEXT`);
  const server = values.server ?? process.env.CORDON_SERVER ?? DEFAULT_SERVER;
  return callServe(server, "POST", `/api/${action}`, { mac, reason: values.reason, ...(values.site ? { site: values.site } : {}) }, dbPath(values.db));
}
