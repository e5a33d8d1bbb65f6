import { createHash, timingSafeEqual } from "node:crypto";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { dirname, extname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { EventHub } from "./events.js";
import { type IncomingMessage, type Server, createServer as createHttpServer } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import swagger from "@fastify/swagger";
import { type TSchema, Type } from "@sinclair/typebox";
import type { Logger } from "pino";
import { ACTIONS, type Action, isRole, may } from "../app/permissions.js";
import { looksLikeUserToken } from "../app/users.js";
import { snakeKeys } from "../app/report-json.js";
import { TARGETS } from "../policy/compile/targets.js";
import { EDGE_FAMILIES } from "../trust/model.js";
import { FieldError, canonicalIp, intValue, macValue, nameValue, textValue } from "../model/values.js";
import { canonicalMac } from "../model/mac.js";
import type { RadiusStats } from "../nac/radius-server.js";
import type { NacSession } from "../nac/sessions.js";
import type { ApiOp, ApiRequest, Caller } from "./messages.js";

/**
 * The HTTP face of `cordon serve` (Fastify): /healthz and /metrics, and the API the CLI and
 * the console use: the actions on a running system (quarantine, release, approve, reject,
 * login) and what they read (responses, RADIUS decisions and sessions, the audit log). Every
 * route has a JSON schema for what it takes (TypeBox); `/api/openapi.json` is made from them.
 * Closed by default, in this order:
 *
 * 1. the Host header must name this server (a configured listen name, localhost or a
 *    loopback address), and an Origin or Sec-Fetch-Site header must not be another site's:
 *    403 (DNS rebinding, cross-site requests from a page the operator opened);
 * 2. who is asking: a user's API token, serve's own token, or a console session (cookie, and
 *    for a change its CSRF token): 401 (403 for a missing CSRF token);
 * 3. the route: 404 for an unknown path, 405 (with Allow) for a known path's other methods,
 *    HEAD answered wherever GET is; then the caller's role (app/permissions.ts): 403;
 * 4. a POST takes `application/json` only (415), parameters from the body only (a query string
 *    is a 400), at most 64 KiB (413); the schema refuses unknown keys and wrong types, and
 *    every field is then parsed into its canonical value here: a 400 names the field. Nothing
 *    unparsed reaches the worker.
 *
 * Errors are one JSON shape, `{ "error": TEXT, "field"?: NAME }`, and never carry SQL. Answers
 * are JSON in snake_case (app/report-json.ts).
 */

export interface ApiReply {
  status: number;
  body: unknown;
}

export interface ApiContext {
  token: string;
  /** Host names (lower case, without port) this server answers to. */
  hosts: ReadonlySet<string>;
  toWorker(op: ApiOp, request: ApiRequest, caller: Caller): Promise<ApiReply>;
  sessions(): NacSession[];
  radiusStats(): RadiusStats | undefined;
  log: Logger;
  /** GET /healthz: the status and the body. */
  health(): ApiReply;
  /** GET /metrics: Prometheus text. */
  metrics(): string;
  /** GET /api/status: the worker, the store, the pipeline's counters and each source's health. */
  status(): ApiReply;
  version: string;
  /** Live events for GET /api/events. */
  events: EventHub;
  /** HTTPS: the certificate chain and key (PEM). Without them, plain HTTP (serve listens on loopback only then). */
  tls?: { cert: string; key: string };
}

export const MAX_BODY = 64 << 10;

const SESSION_COOKIE = "cordon_session";
/** Login attempts one address may make per minute, whatever the names (the per-user lockout is in app/users.ts). */
const LOGINS_PER_MINUTE = 10;

/** The Host names the API answers to: the listen address unless a wildcard, loopback names, and the configured ones. */
export function apiHosts(listen: string, extra: readonly string[]): Set<string> {
  const hosts = new Set(["localhost", "127.0.0.1", "::1", ...extra.map((h) => h.toLowerCase())]);
  if (listen !== "0.0.0.0" && listen !== "::") hosts.add(listen.toLowerCase());
  return hosts;
}

class HttpError extends Error {
  constructor(readonly status: number, message: string, readonly field?: string, readonly headers: Record<string, string> = {}) {
    super(message);
  }
}

/** The host name of a Host header value ("name:port", "[v6]:port"), lower case. */
function hostName(h: string): string {
  const v6 = /^\[([^\]]+)\](?::\d+)?$/.exec(h);
  if (v6) return v6[1].toLowerCase();
  return h.replace(/:\d+$/, "").toLowerCase();
}

function checkSite(req: IncomingMessage, hosts: ReadonlySet<string>): void {
  const host = req.headers.host;
  if (!host || !hosts.has(hostName(host))) throw new HttpError(403, `Host "${String(host ?? "").slice(0, 100)}" is not a name of this server (http.allowed_hosts lists more)`);
  const fetchSite = req.headers["sec-fetch-site"];
  if (fetchSite === "cross-site" || fetchSite === "same-site") throw new HttpError(403, "cross-site requests are refused");
  const origin = req.headers.origin;
  if (origin !== undefined) {
    let name: string | undefined;
    try {
      const u = new URL(origin);
      if (u.protocol === "http:" || u.protocol === "https:") name = hostName(u.host);
    } catch {
      name = undefined;
    }
    if (name === undefined || !hosts.has(name)) throw new HttpError(403, "cross-origin requests are refused");
  }
}

const UNAUTHENTICATED = "a bearer token is required: a user's API token (cordon token add), or serve's own, which the CLI reads from CORDON_TOKEN or the file DB.token beside the database";

/** The console session cookie's value, when the request carries one. */
function sessionCookie(req: IncomingMessage): string | undefined {
  for (const part of (req.headers.cookie ?? "").split(";")) {
    const [k, v] = part.trim().split("=", 2);
    if (k === SESSION_COOKIE && v && /^[A-Za-z0-9_-]{43}$/.test(v)) return v;
  }
  return undefined;
}

/** The person the CLI names (its operating-system user), or the principal itself. */
function serviceCaller(req: IncomingMessage): Caller {
  const named = req.headers["x-cordon-actor"];
  let actor = "api-token";
  if (named !== undefined) {
    if (typeof named !== "string" || !/^[A-Za-z0-9_.@-]{1,64}$/.test(named)) throw new HttpError(400, "X-Cordon-Actor: a user name of 1 to 64 letters, digits and _ . @ -", "x-cordon-actor");
    actor = named;
  }
  return { principal: "api-token", actor, peer: req.socket.remoteAddress ?? "unknown", role: "admin" };
}

/**
 * Who is asking: a console session (its cookie; a change also needs the CSRF token the login
 * gave, which a page of another site cannot read), serve's own token (the host's
 * administrator: the CLI beside the database, naming its operating-system user), or a user's
 * API token, looked up by the worker (which holds the store). Anything else is 401.
 */
async function authenticate(req: IncomingMessage, ctx: ApiContext): Promise<Caller> {
  const peer = req.socket.remoteAddress ?? "unknown";
  const cookie = req.headers.authorization === undefined ? sessionCookie(req) : undefined;
  if (cookie !== undefined) {
    const r = await ctx.toWorker("authenticate", { session: cookie }, { principal: "session", actor: "session", peer, role: "viewer" });
    const who = r.body as { user?: unknown; role?: unknown; csrf?: unknown };
    if (r.status !== 200 || typeof who.user !== "string" || !isRole(who.role) || typeof who.csrf !== "string") throw new HttpError(401, "the session ended or expired: log in again");
    if (req.method !== "GET" && req.method !== "HEAD") {
      const sent = Buffer.from(String(req.headers["x-csrf-token"] ?? ""));
      const want = Buffer.from(who.csrf);
      if (sent.length !== want.length || !timingSafeEqual(sent, want)) throw new HttpError(403, "X-CSRF-Token: missing or wrong (the login answer gives it)");
    }
    return { principal: `session:${who.user}`, actor: who.user, peer, role: who.role, csrf: who.csrf };
  }
  const given = /^Bearer ([\x21-\x7e]{1,512})$/.exec(req.headers.authorization ?? "")?.[1] ?? "";
  const a = Buffer.from(given);
  const want = Buffer.from(ctx.token);
  if (a.length === want.length && timingSafeEqual(a, want)) return serviceCaller(req);
  if (!looksLikeUserToken(given)) throw new HttpError(401, UNAUTHENTICATED, undefined, { "www-authenticate": "Bearer" });
  const r = await ctx.toWorker("authenticate", { token: given }, { principal: "token", actor: "token", peer, role: "viewer" });
  const who = r.body as { user?: unknown; role?: unknown };
  if (r.status !== 200 || typeof who.user !== "string" || !isRole(who.role)) {
    throw new HttpError(r.status === 503 ? 503 : 401, r.status === 503 ? "the ingest worker is not running" : "the token is unknown, expired or revoked, or its user is disabled", undefined, { "www-authenticate": "Bearer" });
  }
  return { principal: `user:${who.user}`, actor: who.user, peer, role: who.role };
}

// --- Schemas: what each route takes. Text stays text here; the handlers parse it into canonical values. ---

const text = (max: number): TSchema => Type.String({ maxLength: max });
const NUMBER = Type.String({ maxLength: 20, description: "a whole number" });
const SITE = Type.Optional(Type.String({ maxLength: 64, description: "a site name (default: serve's site)" }));
const MAC = Type.String({ maxLength: 64, description: "a MAC address in any switch spelling" });
const ERROR = Type.Object({ error: Type.String(), field: Type.Optional(Type.String()) });
const RESPONSE_ID = Type.Object({ id: Type.String({ pattern: "^[0-9a-f]{4,16}$", description: "a response id, or a unique prefix of 4 characters or more" }) }, { additionalProperties: false });
const closed = (props: Record<string, TSchema>): TSchema => Type.Object(props, { additionalProperties: false });

interface RouteSpec {
  method: "GET" | "POST";
  url: string;
  summary: string;
  needs: Action;
  /** The answer is a file ({ filename, text }) sent as text to save, not JSON. */
  download?: boolean;
  querystring?: TSchema;
  params?: TSchema;
  body?: TSchema;
  /** The worker's operation and its request, every field parsed; or an answer made here. */
  handle(i: { query: Record<string, string | undefined>; params: Record<string, string>; body: Record<string, unknown>; caller: Caller }, ctx: ApiContext): { op: ApiOp; request: ApiRequest } | ApiReply;
}

const limitOf = (v: string | undefined, dflt: number): number => (v === undefined ? dflt : intValue(v, "limit", 1, 10_000));
const siteOf = (v: unknown): string | undefined => (v === undefined ? undefined : nameValue(v, "site"));

const CURSOR = Type.String({ maxLength: 2048, description: "the next page's cursor, from the page before" });
const ALERT_ID = Type.Object({ id: Type.String({ pattern: "^[0-9a-z-]{4,64}$", description: "an alert id, or a unique prefix of 4 characters or more" }) }, { additionalProperties: false });
const POLICY_ID = Type.Object({ id: Type.String({ pattern: "^[0-9]{1,12}$", description: "a stored policy version's id" }) }, { additionalProperties: false });
const oneOf = <T extends string>(v: string | undefined, field: string, allowed: readonly T[]): T | undefined => {
  if (v === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(v)) throw new FieldError(field, `one of ${allowed.join(", ")}`);
  return v as T;
};
const fail = (field: string, what: string): never => {
  throw new FieldError(field, what);
};
const FAMILIES = Object.keys(EDGE_FAMILIES);
/** Edge families as a comma list, each one the model knows. */
const familiesOf = (v: string | undefined): string[] | undefined => {
  if (v === undefined) return undefined;
  const list = v.split(",").map((f) => f.trim());
  for (const f of list) if (!FAMILIES.includes(f)) fail("families", `a comma list of ${FAMILIES.join(", ")}`);
  return list;
};
/** A device named by MAC (any switch spelling) or address, canonical. */
const deviceOf = (v: unknown, field: string): string => canonicalMac(String(v)) ?? canonicalIp(String(v)) ?? fail(field, "a MAC or an IP address");

const ROUTES: RouteSpec[] = [
  {
    method: "GET", url: "/api/session", summary: "who is asking: user, role, and a console session's CSRF token", needs: "read", querystring: closed({}),
    handle: ({ caller }) => ({ status: 200, body: { user: caller.actor, role: caller.role, csrf: caller.csrf ?? null, may: (Object.keys(ACTIONS) as Action[]).filter((a) => may(caller.role, a)) } }),
  },
  {
    method: "POST", url: "/api/devices/:device/override", summary: "a person's category or criticality for a device (one of an OT tier: an OT engineer or an admin)", needs: "override",
    params: closed({ device: Type.String({ maxLength: 64 }) }), body: closed({ category: Type.Optional(text(64)), criticality: Type.Optional(text(64)), reason: text(500), site: SITE }),
    handle: ({ params, body }) => ({
      op: "override", request: {
        device: deviceOf(params.device, "device"), site: siteOf(body.site), reason: textValue(body.reason, "reason"),
        category: body.category === undefined ? undefined : nameValue(body.category, "category"), criticality: body.criticality === undefined ? undefined : textValue(body.criticality, "criticality", 64),
      },
    }),
  },
  {
    method: "GET", url: "/api/sites", summary: "the sites the store knows", needs: "read", querystring: closed({}),
    handle: () => ({ op: "sites", request: {} }),
  },
  {
    method: "GET", url: "/api/devices", summary: "devices with their effective classification, a page at a time", needs: "read",
    querystring: closed({ site: SITE, category: Type.Optional(text(64)), view: Type.Optional(Type.String({ maxLength: 10, description: "full (default), or row: the short form of a long table" })), limit: Type.Optional(NUMBER), after: Type.Optional(CURSOR) }),
    handle: ({ query }) => ({ op: "devices", request: { site: siteOf(query.site), category: query.category, view: oneOf(query.view, "view", ["full", "row"] as const), limit: limitOf(query.limit, 100), after: query.after } }),
  },
  {
    method: "GET", url: "/api/devices/:device", summary: "one device whole: facts with evidence, verdict and its history (by MAC or address)", needs: "read",
    params: closed({ device: Type.String({ maxLength: 64 }) }), querystring: closed({ site: SITE }),
    handle: ({ params, query }) => ({ op: "device", request: { device: deviceOf(params.device, "device"), site: siteOf(query.site) } }),
  },
  {
    method: "GET", url: "/api/devices/:device/context", summary: "what a device's page shows besides its facts: peers, baseline maturity, the policy in force for it (group, rules), its responses", needs: "read",
    params: closed({ device: Type.String({ maxLength: 64 }) }), querystring: closed({ site: SITE }),
    handle: ({ params, query }) => ({ op: "device-context", request: { device: deviceOf(params.device, "device"), site: siteOf(query.site) } }),
  },
  {
    method: "GET", url: "/api/vulnerabilities", summary: "devices with CVEs from the imported advisories, riskiest first: identity, risk and its parts, exposure of each vulnerable service under the policy in force", needs: "read",
    querystring: closed({ site: SITE, all: Type.Optional(Type.String({ maxLength: 5, description: "true: every device, not only those with CVEs" })), limit: Type.Optional(NUMBER) }),
    handle: ({ query }) => ({ op: "vulnerabilities", request: { site: siteOf(query.site), all: oneOf(query.all, "all", ["true", "false"] as const) === "true", limit: limitOf(query.limit, 1000) } }),
  },
  {
    method: "GET", url: "/api/devices/:device/vulnerabilities", summary: "one device's firmware and where it came from, its CVEs with reasons and remediations, risk, exposure and end-of-life decision", needs: "read",
    params: closed({ device: Type.String({ maxLength: 64 }) }), querystring: closed({ site: SITE }),
    handle: ({ params, query }) => ({ op: "device-vulnerabilities", request: { device: deviceOf(params.device, "device"), site: siteOf(query.site) } }),
  },
  {
    method: "GET", url: "/api/eol", summary: "the end-of-life register: decisions in force, the devices each covers, reviews due and overdue", needs: "read",
    querystring: closed({ site: SITE }),
    handle: ({ query }) => ({ op: "eol", request: { site: siteOf(query.site) } }),
  },
  {
    method: "POST", url: "/api/eol", summary: "record an end-of-life decision for a device or a model (appended and audited)", needs: "eol",
    body: closed({
      device: Type.Optional(Type.String({ maxLength: 64 })), model: Type.Optional(closed({ vendor: text(100), product: text(200) })),
      decision: text(32), owner: text(100), rationale: text(1000), review_by: text(10), replace_by: Type.Optional(text(10)), vendor_support: Type.Optional(text(200)), site: SITE,
    }),
    handle: ({ body }) => {
      const opt = (v: unknown, field: string, max: number): string | undefined => (v === undefined ? undefined : textValue(v, field, max));
      const model = body.model as { vendor: unknown; product: unknown } | undefined;
      return {
        op: "eol-set", request: {
          site: siteOf(body.site), device: body.device === undefined ? undefined : deviceOf(body.device, "device"),
          eol: {
            model: model ? { vendor: textValue(model.vendor, "model.vendor", 100), product: textValue(model.product, "model.product", 200) } : undefined,
            decision: textValue(body.decision, "decision", 32), owner: textValue(body.owner, "owner", 100), rationale: textValue(body.rationale, "rationale", 1000),
            reviewBy: textValue(body.review_by, "review_by", 10), replaceBy: opt(body.replace_by, "replace_by", 10), vendorSupport: opt(body.vendor_support, "vendor_support", 200),
          },
        },
      };
    },
  },
  {
    method: "POST", url: "/api/eol/review", summary: "review the end-of-life decision in force for a device or model: keep it, with the next review date", needs: "eol",
    body: closed({ target: text(320), next_review: text(10), note: text(1000), site: SITE }),
    handle: ({ body }) => {
      const target = textValue(body.target, "target", 320);
      return { op: "eol-review", request: { site: siteOf(body.site), reason: textValue(body.note, "note", 1000), eol: { target: target.startsWith("model:") ? target : deviceOf(target, "target"), reviewBy: textValue(body.next_review, "next_review", 10) } } };
    },
  },
  {
    method: "POST", url: "/api/vulnerabilities/compensate", summary: "propose a policy version opening vulnerable services only to the peers that use them; a KEV on a life-safety device also proposes its quarantine", needs: "policy.propose",
    body: closed({ device: Type.Optional(Type.String({ maxLength: 64 })), site: SITE }),
    handle: ({ body }) => ({ op: "compensate", request: { site: siteOf(body.site), device: body.device === undefined ? undefined : deviceOf(body.device, "device") } }),
  },
  {
    method: "GET", url: "/api/trust/graph", summary: "the site's trust graph: nodes, and edges of every family with their evidence, first and last seen, and whether stale", needs: "read",
    querystring: closed({ site: SITE, families: Type.Optional(Type.String({ maxLength: 100, description: `a comma list of ${FAMILIES.join(", ")}` })), fresh: Type.Optional(Type.String({ maxLength: 5, description: "true: leave stale edges out" })) }),
    handle: ({ query }) => ({ op: "trust-graph", request: { site: siteOf(query.site), trust: { families: familiesOf(query.families), fresh: oneOf(query.fresh, "fresh", ["true", "false"] as const) === "true" } } }),
  },
  {
    method: "GET", url: "/api/trust/nodes/:node/blast", summary: "what an attacker who controls the node comes to control and reach, with the path to each, under the policy in force (or a policy version: a what-if)", needs: "read",
    params: closed({ node: Type.String({ maxLength: 200, description: "a node id (device:MAC, credential:..., sdk:...), a MAC, an address or a host name" }) }),
    querystring: closed({ site: SITE, policy: Type.Optional(Type.String({ pattern: "^[0-9]{1,12}$", description: "a policy version's id: the what-if" })) }),
    handle: ({ params, query }) => ({ op: "trust-blast", request: { site: siteOf(query.site), trust: { node: textValue(params.node, "node", 200), policy: query.policy } } }),
  },
  {
    method: "GET", url: "/api/trust/amplifiers", summary: "the nodes whose control reaches the most critical devices, highest weight first, each with its paths", needs: "read",
    querystring: closed({ site: SITE, policy: Type.Optional(Type.String({ pattern: "^[0-9]{1,12}$" })), top: Type.Optional(NUMBER) }),
    handle: ({ query }) => ({ op: "trust-amplifiers", request: { site: siteOf(query.site), trust: { policy: query.policy, top: query.top === undefined ? 20 : intValue(query.top, "top", 1, 1000) } } }),
  },
  {
    method: "GET", url: "/api/trust/paths", summary: "shortest paths from a zone (default internet) to devices of a tier (default the strictest), a category or one node, each hop with the rule that allows it", needs: "read",
    querystring: closed({ site: SITE, from: Type.Optional(text(40)), to: Type.Optional(text(200)), policy: Type.Optional(Type.String({ pattern: "^[0-9]{1,12}$" })), limit: Type.Optional(NUMBER) }),
    handle: ({ query }) => ({
      op: "trust-paths", request: {
        site: siteOf(query.site), limit: limitOf(query.limit, 50),
        trust: { from: query.from === undefined ? "internet" : nameValue(query.from, "from"), to: query.to === undefined ? "strict" : textValue(query.to, "to", 200), policy: query.policy },
      },
    }),
  },
  {
    method: "GET", url: "/api/certs", summary: "the certificate inventory: issued, presented in EAP-TLS, devices' TLS server certificates; status, renewal, what is weak", needs: "read",
    querystring: closed({ site: SITE, device: Type.Optional(Type.String({ maxLength: 64 })) }),
    handle: ({ query }) => ({ op: "certs", request: { site: siteOf(query.site), device: query.device } }),
  },
  {
    method: "GET", url: "/api/certs/:serial/status", summary: "OCSP-style status of a certificate Cordon issued: good, revoked (when, why) or unknown", needs: "read",
    params: closed({ serial: Type.String({ pattern: "^[0-9A-Fa-f:]{1,60}$" }) }),
    handle: ({ params }) => ({ op: "cert-status", request: { certificate: params.serial } }),
  },
  {
    method: "POST", url: "/api/certs/:certificate/revoke", summary: "revoke a certificate Cordon issued (serial or SHA-256 fingerprint): the CRL and EAP-TLS refuse it from then on (audited)", needs: "certificate.revoke",
    params: closed({ certificate: Type.String({ pattern: "^[0-9A-Fa-f:]{1,95}$" }) }),
    body: closed({ reason: Type.Optional(text(32)) }),
    handle: ({ params, body }) => ({ op: "cert-revoke", request: { certificate: params.certificate, ...(body.reason === undefined ? {} : { revokeReason: textValue(body.reason, "reason", 32) }) } }),
  },
  {
    method: "GET", url: "/api/trust/assumptions", summary: "declared trust assumptions with their review status and whether the traffic contradicts them", needs: "read",
    querystring: closed({ site: SITE }),
    handle: ({ query }) => ({ op: "trust-assumptions", request: { site: siteOf(query.site) } }),
  },
  {
    method: "POST", url: "/api/trust/assumptions", summary: "declare a trust assumption: subject (and object) in the graph, owner, reason, review date, and what the traffic must keep to (audited)", needs: "trust.assume",
    body: closed({
      subject: text(200), object: Type.Optional(text(200)), statement: text(500), owner: text(100), reason: text(1000), evidence: Type.Optional(text(1000)), review_by: text(10),
      only_hours: Type.Optional(text(5)), only_in_maintenance: Type.Optional(Type.Boolean()), site: SITE,
    }),
    handle: ({ body }) => ({
      op: "trust-assume", request: {
        site: siteOf(body.site), trust: {
          assumption: {
            subject: textValue(body.subject, "subject", 200), object: body.object === undefined ? undefined : textValue(body.object, "object", 200),
            statement: textValue(body.statement, "statement", 500), owner: textValue(body.owner, "owner", 100), reason: textValue(body.reason, "reason", 1000),
            evidence: body.evidence === undefined ? undefined : textValue(body.evidence, "evidence", 1000), reviewBy: textValue(body.review_by, "review_by", 10),
            onlyHours: body.only_hours === undefined ? undefined : textValue(body.only_hours, "only_hours", 5), onlyInMaintenance: body.only_in_maintenance === true,
          },
        },
      },
    }),
  },
  {
    method: "POST", url: "/api/trust/assumptions/:id/review", summary: "record a review of a trust assumption: what was found, and the next review date (audited)", needs: "trust.assume",
    params: Type.Object({ id: Type.String({ pattern: "^[0-9]{1,9}$", description: "an assumption's id" }) }, { additionalProperties: false }),
    body: closed({ note: text(1000), next_review: text(10) }),
    handle: ({ params, body }) => ({ op: "trust-review", request: { trust: { assumptionId: Number(params.id), nextReview: textValue(body.next_review, "next_review", 10) }, note: textValue(body.note, "note", 1000) } }),
  },
  {
    method: "GET", url: "/api/alerts", summary: "alerts, oldest first, a page at a time (default: open and acknowledged)", needs: "read",
    querystring: closed({
      site: SITE, class: Type.Optional(text(64)), status: Type.Optional(text(20)), min_severity: Type.Optional(text(10)), device: Type.Optional(text(64)),
      view: Type.Optional(Type.String({ maxLength: 10, description: "full (default), or row: without the evidence (GET /api/alerts/:id has it)" })), limit: Type.Optional(NUMBER), after: Type.Optional(CURSOR),
    }),
    handle: ({ query }) => ({
      op: "alerts", request: {
        site: siteOf(query.site), alertClass: query.class, limit: limitOf(query.limit, 100), after: query.after, view: oneOf(query.view, "view", ["full", "row"] as const),
        device: query.device === undefined ? undefined : deviceOf(query.device, "device"),
        status: oneOf(query.status, "status", ["open", "acknowledged", "resolved", "suppressed", "active", "all"] as const),
        minSeverity: oneOf(query.min_severity, "min_severity", ["low", "medium", "high", "critical"] as const),
      },
    }),
  },
  {
    method: "GET", url: "/api/alerts/:id", summary: "one alert whole, with its evidence: the flows, observations and packets behind it", needs: "read",
    params: ALERT_ID,
    handle: ({ params }) => ({ op: "alert", request: { id: params.id } }),
  },
  ...(["acknowledge", "resolve", "reopen"] as const).map((verb): RouteSpec => ({
    method: "POST", url: `/api/alerts/:id/${verb}`, summary: `${verb} an alert`, needs: "alert.move",
    params: ALERT_ID, body: closed({ note: Type.Optional(text(500)) }),
    handle: ({ params, body }) => ({ op: "alert-move", request: { id: params.id, to: verb === "acknowledge" ? "acknowledged" : verb === "resolve" ? "resolved" : "open", note: body.note === undefined ? undefined : textValue(body.note, "note") } }),
  })),
  {
    method: "POST", url: "/api/suppressions", summary: "silence a detector, device or peer, with a reason and an expiry", needs: "alert.move",
    body: closed({ device: Type.Optional(text(64)), detector: Type.Optional(text(64)), peer: Type.Optional(text(64)), reason: text(500), expires_at: Type.Optional(Type.String({ maxLength: 40, description: "a duration (7d, 12h, 30m) or an ISO 8601 time with its zone" })) }),
    handle: ({ body }) => ({
      op: "suppress", request: {
        device: body.device === undefined ? undefined : deviceOf(body.device, "device"),
        detector: body.detector === undefined ? undefined : nameValue(body.detector, "detector"),
        peer: body.peer === undefined ? undefined : (canonicalIp(String(body.peer)) ?? fail("peer", "an IP address")),
        note: textValue(body.reason, "reason"), expires: body.expires_at === undefined ? undefined : textValue(body.expires_at, "expires_at", 40),
      },
    }),
  },
  {
    method: "GET", url: "/api/flows", summary: "stored flows, newest first, filtered by device, protocol, port and time", needs: "read",
    querystring: closed({ site: SITE, device: Type.Optional(text(64)), protocol: Type.Optional(text(32)), port: Type.Optional(text(5)), from: Type.Optional(text(40)), until: Type.Optional(text(40)), limit: Type.Optional(NUMBER) }),
    handle: ({ query }) => ({
      op: "flows", request: {
        site: siteOf(query.site), limit: limitOf(query.limit, 100),
        flowFilter: { device: query.device === undefined ? undefined : deviceOf(query.device, "device"), protocol: query.protocol, port: query.port, from: query.from, until: query.until },
      },
    }),
  },
  {
    method: "GET", url: "/api/policies", summary: "stored policy versions, newest first", needs: "read", querystring: closed({ site: SITE }),
    handle: ({ query }) => ({ op: "policies", request: { site: siteOf(query.site) } }),
  },
  {
    method: "GET", url: "/api/policies/:id/diff", summary: "what a policy version changes against the one before it", needs: "read",
    params: POLICY_ID, querystring: closed({}),
    handle: ({ params }) => ({ op: "policy-diff", request: { id: params.id } }),
  },
  ...(["approve", "reject", "enforce"] as const).map((verb): RouteSpec => ({
    method: "POST", url: `/api/policies/:id/${verb}`, summary: `${verb} a policy version (one governing devices of an OT tier: an OT engineer, not its proposer)`, needs: "policy.approve",
    params: POLICY_ID, body: closed({ note: Type.Optional(text(500)) }),
    handle: ({ params, body }) => ({ op: "policy-move", request: { id: params.id, to: verb === "approve" ? "approved" : verb === "reject" ? "rejected" : "enforced", note: body.note === undefined ? undefined : textValue(body.note, "note") } }),
  })),
  {
    method: "GET", url: "/api/policies/:id/simulate", summary: "a policy version judged against the site's stored flows: what it would allow (per rule) and drop (grouped)", needs: "read",
    params: POLICY_ID, querystring: closed({ from: Type.Optional(Type.String({ maxLength: 40, description: "only flows still going since: a duration ago (7d, 12h) or an ISO time" })) }),
    handle: ({ params, query }) => ({ op: "policy-simulate", request: { id: params.id, from: query.from === undefined ? undefined : textValue(query.from, "from", 40) } }),
  },
  {
    method: "GET", url: "/api/policies/:id/compile", summary: "a policy version compiled for an enforcement point, as a file to download", needs: "read", download: true,
    params: POLICY_ID,
    querystring: closed({ target: Type.String({ maxLength: 20, description: TARGETS.join(", ") }), device: Type.Optional(Type.String({ maxLength: 128, description: "the device set of a port target (cisco-acl, dacl, per-user-acl, aruba, nas-filter-rule, mud)" })), mode: Type.Optional(Type.String({ maxLength: 10 })) }),
    handle: ({ params, query }) => ({
      op: "policy-compile", request: {
        id: params.id, target: oneOf(query.target, "target", TARGETS), deviceSet: query.device === undefined ? undefined : textValue(query.device, "device", 128),
        mode: oneOf(query.mode, "mode", ["monitor", "enforce"] as const),
      },
    }),
  },
  {
    method: "GET", url: "/api/nac/decisions", summary: "RADIUS decisions, newest first, with their reasons", needs: "read",
    querystring: closed({ site: SITE, mac: Type.Optional(MAC), limit: Type.Optional(NUMBER) }),
    handle: ({ query }) => ({ op: "decisions", request: { site: siteOf(query.site), mac: query.mac === undefined ? undefined : macValue(query.mac, "mac"), limit: limitOf(query.limit, 100) } }),
  },
  {
    method: "GET", url: "/api/responses", summary: "responses to alerts and people's quarantines, newest first", needs: "read",
    querystring: closed({ limit: Type.Optional(NUMBER) }),
    handle: ({ query }) => ({ op: "responses", request: { limit: limitOf(query.limit, 1000) } }),
  },
  {
    method: "GET", url: "/api/audit", summary: "the audit log, newest first", needs: "read",
    querystring: closed({ limit: Type.Optional(NUMBER), before: Type.Optional(NUMBER) }),
    handle: ({ query }) => ({ op: "audit", request: { limit: limitOf(query.limit, 100), before: query.before === undefined ? undefined : intValue(query.before, "before", 1, Number.MAX_SAFE_INTEGER) } }),
  },
  {
    method: "GET", url: "/api/nac/sessions", summary: "each MAC's last session at its NAS", needs: "read", querystring: closed({}),
    handle: (_i, ctx) => ({ status: 200, body: ctx.sessions() }),
  },
  {
    method: "GET", url: "/api/status", summary: "serve's health: the worker, the store, the pipeline's counters, and whether each source (NetFlow, capture, Zeek, RADIUS) is receiving", needs: "read", querystring: closed({}),
    handle: (_i, ctx) => ctx.status(),
  },
  {
    method: "GET", url: "/api/overview", summary: "a site at a glance: devices by category and criticality, open alerts by severity, alerts per day, responses waiting", needs: "read",
    querystring: closed({ site: SITE, days: Type.Optional(NUMBER) }),
    handle: ({ query }) => ({ op: "overview", request: { site: siteOf(query.site), days: query.days === undefined ? undefined : intValue(query.days, "days", 1, 366) } }),
  },
  {
    method: "GET", url: "/api/nac/stats", summary: "RADIUS counters, per NAS", needs: "read", querystring: closed({}),
    handle: (_i, ctx) => (ctx.radiusStats() ? { status: 200, body: ctx.radiusStats() } : { status: 404, body: { error: "RADIUS is off: no nac section" } }),
  },
  {
    method: "POST", url: "/api/quarantine", summary: "quarantine a device now (one of an OT tier: proposed, another person approves)", needs: "quarantine",
    body: closed({ mac: MAC, reason: text(500), site: SITE }),
    handle: ({ body }) => ({ op: "quarantine", request: { mac: macValue(body.mac, "mac"), reason: textValue(body.reason, "reason"), site: siteOf(body.site) } }),
  },
  {
    method: "GET", url: "/api/quarantines", summary: "the devices quarantined now: since when, by whom, why", needs: "read", querystring: closed({ site: SITE }),
    handle: ({ query }) => ({ op: "quarantines", request: { site: siteOf(query.site) } }),
  },
  {
    method: "POST", url: "/api/release", summary: "end a device's quarantine", needs: "quarantine",
    body: closed({ mac: MAC, reason: text(500), site: SITE }),
    handle: ({ body }) => ({ op: "release", request: { mac: macValue(body.mac, "mac"), reason: textValue(body.reason, "reason"), site: siteOf(body.site) } }),
  },
  {
    method: "POST", url: "/api/responses/:id/approve", summary: "approve a proposed response", needs: "response.approve",
    params: RESPONSE_ID, body: closed({ note: Type.Optional(text(500)) }),
    handle: ({ params, body }) => ({ op: "approve", request: { id: params.id, reason: body.note === undefined ? undefined : textValue(body.note, "note") } }),
  },
  {
    method: "POST", url: "/api/responses/:id/reject", summary: "reject a proposed response", needs: "response.approve",
    params: RESPONSE_ID, body: closed({ reason: text(500) }),
    handle: ({ params, body }) => ({ op: "reject", request: { id: params.id, reason: textValue(body.reason, "reason") } }),
  },
];

/** Every method a client might send; a known path answers its others with 405. */
const METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"] as const;

/** The field a schema error is about: the property named, else the path's last step. */
function fieldOf(e: FastifyError): string | undefined {
  const v = e.validation?.[0];
  if (!v) return undefined;
  const p = v.params as { missingProperty?: string; additionalProperty?: string };
  return p.additionalProperty ?? p.missingProperty ?? (v.instancePath.split("/").filter(Boolean).pop() || undefined);
}

function sendError(reply: FastifyReply, status: number, error: string, field?: string, headers: Record<string, string> = {}): FastifyReply {
  return reply.code(status).headers(headers).send(field ? { error, field } : { error });
}

declare module "fastify" {
  interface FastifyRequest {
    caller?: Caller;
  }
}

/** The HTTP server of serve, routes and hooks in place (not yet listening). */
export async function buildHttp(ctx: ApiContext): Promise<FastifyInstance> {
  const tls = ctx.tls;
  const app = Fastify({
    bodyLimit: MAX_BODY, return503OnClosing: true,
    // HTTPS when given a certificate, TLS 1.2 at least; a plain HTTP request to it is refused by the handshake.
    serverFactory: (handler) => (tls ? createHttpsServer({ cert: tls.cert, key: tls.key, minVersion: "TLSv1.2" }, handler) : createHttpServer(handler)) as Server,
    // Unknown keys are refused, not silently dropped, and nothing is coerced: a schema error is a 400.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: false, allErrors: false } },
    routerOptions: { maxParamLength: 100 },
  });
  // JSON only: a form or text/plain POST (no CORS preflight) is a 415.
  app.removeContentTypeParser("text/plain");
  await app.register(swagger, {
    openapi: {
      info: { title: "Cordon", version: ctx.version, description: "serve's API: every route, what it takes, and who may call it" },
      components: {
        securitySchemes: {
          token: { type: "http", scheme: "bearer", description: "a user's API token (cordon token add), or serve's own" },
          session: { type: "apiKey", in: "cookie", name: SESSION_COOKIE, description: "a console session (POST /api/login); a change also sends X-CSRF-Token" },
        },
      },
      security: [{ token: [] }, { session: [] }],
    },
  });

  app.get("/healthz", { schema: { hide: true } }, async (_req, reply) => {
    const h = ctx.health();
    return reply.code(h.status).send(h.body);
  });
  app.get("/metrics", { schema: { hide: true } }, async (_req, reply) => reply.type("text/plain; version=0.0.4").send(ctx.metrics()));

  app.addHook("onRequest", async (req) => {
    if (!req.url.startsWith("/api/")) return;
    checkSite(req.raw, ctx.hosts);
    const path = req.url.split("?")[0];
    if (path === "/api/login" || path === "/api/logout") return;
    req.caller = await authenticate(req.raw, ctx);
  });
  // The API's answers: JSON in snake_case, never stored by a browser. A read carries an ETag
  // of what it answered, so a poller that sends it back as If-None-Match gets a bodiless 304
  // while nothing changed.
  app.addHook("onSend", async (req, reply, payload) => {
    if (tls) reply.header("strict-transport-security", "max-age=31536000");
    if (!req.url.startsWith("/api/")) return payload;
    reply.header("cache-control", "no-store").header("x-content-type-options", "nosniff");
    if ((req.method !== "GET" && req.method !== "HEAD") || reply.statusCode !== 200 || typeof payload !== "string") return payload;
    const tag = `"${createHash("sha256").update(payload).digest("base64url").slice(0, 27)}"`;
    reply.header("etag", tag);
    const asked = req.headers["if-none-match"];
    if (typeof asked === "string" && asked.split(",").some((t) => t.trim().replace(/^W\//, "") === tag)) {
      reply.code(304).removeHeader("content-type").removeHeader("content-length");
      return "";
    }
    return payload;
  });

  const paths = new Map<string, Set<string>>();
  for (const r of ROUTES) {
    const s = paths.get(r.url) ?? new Set<string>();
    s.add(r.method);
    if (r.method === "GET") s.add("HEAD");
    paths.set(r.url, s);
    app.route({
      method: r.method, url: r.url,
      schema: { summary: r.summary, description: `Needs: ${ACTIONS[r.needs]}.`, ...(r.querystring ? { querystring: r.querystring } : {}), ...(r.params ? { params: r.params } : {}), ...(r.body ? { body: r.body } : {}), response: { "4xx": ERROR } },
      preValidation: async (req) => {
        if (r.method === "POST" && req.url.includes("?")) throw new HttpError(400, "parameters go in the JSON body, not the query string");
        if (!may(req.caller!.role, r.needs)) throw new HttpError(403, `${req.caller!.actor} (${req.caller!.role}) may not: ${ACTIONS[r.needs]}`);
      },
      handler: async (req: FastifyRequest, reply: FastifyReply) => {
        const caller = req.caller!;
        const done = r.handle({ query: (req.query ?? {}) as Record<string, string>, params: (req.params ?? {}) as Record<string, string>, body: (req.body ?? {}) as Record<string, unknown>, caller }, ctx);
        const answer = "op" in done ? await ctx.toWorker(done.op, done.request, caller) : done;
        if (r.download && answer.status === 200) {
          const file = answer.body as { filename: string; text: string };
          return reply.type("text/plain; charset=utf-8").header("content-disposition", `attachment; filename="${file.filename}"`).send(file.text);
        }
        return reply.code(answer.status).send(snakeKeys(answer.body));
      },
    });
  }

  app.post("/api/login", {
    schema: { summary: "log in: a console session cookie and the CSRF token", security: [], body: closed({ name: text(64), password: Type.String({ minLength: 1, maxLength: 1024 }) }), response: { "4xx": ERROR } },
  }, async (req, reply) => {
    const peer = req.socket.remoteAddress ?? "unknown";
    if (!loginAllowed(peer)) throw new HttpError(429, `more than ${LOGINS_PER_MINUTE} logins a minute from ${peer}: wait a minute`, undefined, { "retry-after": "60" });
    const b = req.body as { name: string; password: string };
    const r = await ctx.toWorker("login", { name: textValue(b.name, "name", 64), password: b.password }, { principal: "login", actor: "login", peer, role: "viewer" });
    if (r.status !== 200) return reply.code(r.status).send(r.body);
    const s = r.body as { session: string; csrf: string; user: string; role: string; expiresAt: string };
    const maxAge = Math.max(0, Math.round((Date.parse(s.expiresAt) - Date.now()) / 1000));
    // Secure over TLS; without TLS serve listens on loopback only (serve/config.ts).
    return reply.header("set-cookie", `${SESSION_COOKIE}=${s.session}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${maxAge}${tls ? "; Secure" : ""}`)
      .send(snakeKeys({ user: s.user, role: s.role, csrf: s.csrf, expiresAt: s.expiresAt }));
  });
  app.post("/api/logout", { schema: { summary: "end the console session", security: [] } }, async (req, reply) => {
    const cookie = sessionCookie(req.raw);
    if (cookie !== undefined) await ctx.toWorker("logout", { session: cookie }, { principal: "login", actor: "login", peer: req.socket.remoteAddress ?? "unknown", role: "viewer" });
    return reply.header("set-cookie", `${SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0${tls ? "; Secure" : ""}`).send({ ok: true });
  });
  paths.set("/api/login", new Set(["POST"]));
  paths.set("/api/logout", new Set(["POST"]));
  app.get("/api/events", { schema: { summary: "live events (text/event-stream): alert, response, devices", querystring: closed({}) } }, async (req, reply) => {
    reply.hijack();
    if (!ctx.events.subscribe(reply.raw)) {
      reply.raw.writeHead(503, { "content-type": "application/json" });
      reply.raw.end(`${JSON.stringify({ error: "too many event subscribers" })}\n`);
    }
  });
  paths.set("/api/events", new Set(["GET", "HEAD"]));
  app.get("/api/openapi.json", { schema: { summary: "this API's OpenAPI document", hide: true } }, async () => app.swagger());
  paths.set("/api/openapi.json", new Set(["GET", "HEAD"]));

  // A known path's other methods: 405 with Allow (after authentication, as every /api route).
  for (const [url, allowed] of paths) {
    const others = METHODS.filter((m) => !allowed.has(m));
    app.route({
      method: others, url, schema: { hide: true },
      handler: async () => {
        throw new HttpError(405, `${url} takes ${[...allowed].filter((m) => m !== "HEAD").join(", ")}`, undefined, { allow: [...allowed].join(", ") });
      },
    });
  }

  // The console: the files `vite build` wrote, read once at start and served from memory by
  // exact path (nothing from the request reaches the file system).
  const files = consoleFiles();
  app.get("/*", { schema: { hide: true } }, async (req, reply) => {
    const path = req.url.split("?")[0];
    if (path.startsWith("/api/")) return sendError(reply, 404, `no route ${path.slice(0, 200)}`);
    const f = files.get(path === "/" ? "/index.html" : path);
    if (!f) return reply.code(404).type("text/plain").send(files.size === 0 ? "the console is not built (npm run build)\n" : "not found\n");
    return reply.type(f.type).headers({
      "cache-control": path.startsWith("/assets/") ? "public, max-age=31536000, immutable" : "no-cache",
      "content-security-policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
      "x-frame-options": "DENY", "x-content-type-options": "nosniff", "referrer-policy": "no-referrer",
    }).send(f.body);
  });

  app.setNotFoundHandler(async (req, reply) => {
    if (req.url.startsWith("/api/")) return sendError(reply, 404, `no route ${req.url.split("?")[0].slice(0, 200)}`);
    return reply.code(404).type("text/plain").send("not found\n");
  });
  app.setErrorHandler(async (e: FastifyError | HttpError | FieldError, req, reply) => {
    if (e instanceof HttpError) {
      if (e.status === 413) reply.header("connection", "close");
      return sendError(reply, e.status, e.message, e.field, e.headers);
    }
    if (e instanceof FieldError) return sendError(reply, 400, e.message, e.field);
    const fe = e as FastifyError;
    if (fe.validation) {
      const field = fieldOf(fe);
      return sendError(reply, 400, `${field ?? fe.validationContext ?? "request"}: ${fe.validation[0]?.message ?? "not valid"}`, field);
    }
    const status = fe.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      if (status === 413) reply.header("connection", "close");
      return sendError(reply, status, fe.code === "FST_ERR_CTP_INVALID_MEDIA_TYPE" ? "the body must be application/json" : fe.code === "FST_ERR_CTP_BODY_TOO_LARGE" ? `the body is over ${MAX_BODY} bytes` : fe.message);
    }
    ctx.log.error({ err: e, path: req.url.slice(0, 200) }, "api request failed");
    return sendError(reply, 500, "internal error (the serve log has the detail)");
  });
  return app;
}

const loginAttempts = new Map<string, { startMs: number; n: number }>();

function loginAllowed(peer: string, nowMs = Date.now()): boolean {
  const a = loginAttempts.get(peer);
  if (!a || nowMs - a.startMs >= 60_000) {
    if (loginAttempts.size > 10_000) loginAttempts.clear();
    loginAttempts.set(peer, { startMs: nowMs, n: 1 });
    return true;
  }
  return ++a.n <= LOGINS_PER_MINUTE;
}

const TYPES: Record<string, string> = { ".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8", ".svg": "image/svg+xml", ".json": "application/json", ".ico": "image/x-icon", ".png": "image/png" };

/** The built console (dist/console, beside dist/src), by URL path; empty when it was not built. */
function consoleFiles(): Map<string, { type: string; body: Buffer }> {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "console");
  const out = new Map<string, { type: string; body: Buffer }>();
  const walk = (dir: string, prefix: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(dir, e.name), `${prefix}/${e.name}`);
      else if (e.isFile() && TYPES[extname(e.name)]) out.set(`${prefix}/${e.name}`, { type: TYPES[extname(e.name)], body: readFileSync(join(dir, e.name)) });
    }
  };
  if (existsSync(root)) walk(root, "");
  return out;
}
