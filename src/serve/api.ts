import { timingSafeEqual } from "node:crypto";
import { ACTIONS, type Action, isRole, may } from "../app/permissions.js";
import { looksLikeUserToken } from "../app/users.js";
import { snakeKeys } from "../app/report-json.js";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "pino";
import { FieldError, intValue, macValue, nameValue, onlyKeys, textValue } from "../model/values.js";
import type { RadiusStats } from "../nac/radius-server.js";
import type { NacSession } from "../nac/sessions.js";
import type { ApiOp, ApiRequest, Caller } from "./messages.js";

/**
 * The local HTTP API of `cordon serve`: the actions the CLI takes on a running system
 * (quarantine, release, approve, reject) and what it reads (responses, RADIUS decisions and
 * sessions, the audit log). Closed by default, in this order:
 *
 * 1. the Host header must name this server (a configured listen name, localhost or a
 *    loopback address), and an Origin or Sec-Fetch-Site header must not be another site's:
 *    403 (DNS rebinding, cross-site requests from a page the operator opened);
 * 2. `Authorization: Bearer TOKEN` (always required; serve makes a token at first start): 401;
 * 3. the route: 404 for an unknown path, 405 (with Allow) for a known path's other methods,
 *    HEAD answered wherever GET is;
 * 4. a POST takes `application/json` only (415), parameters from the body only (a query string
 *    is a 400), at most 64 KiB (413); every field is parsed into its canonical value here and
 *    an unknown or invalid one is a 400 naming it. Nothing unparsed reaches the worker.
 *
 * Errors are one JSON shape, `{ "error": TEXT, "field"?: NAME }`, and never carry SQL.
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
}

export const MAX_BODY = 64 << 10;

const SESSION_COOKIE = "cordon_session";
/** Login attempts one address may make per minute, whatever the names (the per-user lockout is in app/users.ts). */
const LOGINS_PER_MINUTE = 10;
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

/**
 * POST /api/login {name, password}: a console session in an httpOnly, SameSite=Strict cookie
 * (Secure once serve speaks TLS), and the CSRF token in the answer. POST /api/logout ends it.
 */
async function loginRoute(req: IncomingMessage, res: ServerResponse, ctx: ApiContext, path: string): Promise<void> {
  if (req.method !== "POST") throw new HttpError(405, `${path} takes POST`, undefined, { allow: "POST" });
  const peer = req.socket.remoteAddress ?? "unknown";
  const caller: Caller = { principal: "login", actor: "login", peer, role: "viewer" };
  if (path === "/api/logout") {
    const cookie = sessionCookie(req);
    if (cookie !== undefined) await ctx.toWorker("logout", { session: cookie }, caller);
    return send(req, res, { status: 200, body: { ok: true } }, { "set-cookie": `${SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0` });
  }
  if (!loginAllowed(peer)) throw new HttpError(429, `more than ${LOGINS_PER_MINUTE} logins a minute from ${peer}: wait a minute`, undefined, { "retry-after": "60" });
  const b = await readBody(req);
  onlyKeys(b, ["name", "password"]);
  const name = textValue(b.name, "name", 64);
  const password = typeof b.password === "string" && b.password.length > 0 && b.password.length <= 1024 ? b.password : undefined;
  if (password === undefined) throw new FieldError("password", "a password of 1 to 1024 characters");
  const r = await ctx.toWorker("login", { name, password }, caller);
  if (r.status !== 200) return send(req, res, r);
  const s = r.body as { session: string; csrf: string; user: string; role: string; expiresAt: string };
  const maxAge = Math.max(0, Math.round((Date.parse(s.expiresAt) - Date.now()) / 1000));
  send(req, res, { status: 200, body: { user: s.user, role: s.role, csrf: s.csrf, expiresAt: s.expiresAt } },
    { "set-cookie": `${SESSION_COOKIE}=${s.session}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${maxAge}` });
}

/** Host names every serve answers to, whatever it listens on. */
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

function send(req: IncomingMessage, res: ServerResponse, r: ApiReply, headers: Record<string, string> = {}): void {
  // The API's JSON has the key style of every report: snake_case (app/report-json.ts).
  const text = `${JSON.stringify(snakeKeys(r.body))}\n`;
  res.writeHead(r.status, { "content-type": "application/json", "cache-control": "no-store", "x-content-type-options": "nosniff", "content-length": Buffer.byteLength(text), ...headers });
  res.end(req.method === "HEAD" ? undefined : text);
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

/**
 * Who is asking: serve's own token (the host's administrator: the CLI beside the database,
 * naming its operating-system user), or a user's API token, looked up by the worker (which
 * holds the store). Anything else is 401.
 */
/** The console session cookie's value, when the request carries one. */
function sessionCookie(req: IncomingMessage): string | undefined {
  for (const part of (req.headers.cookie ?? "").split(";")) {
    const [k, v] = part.trim().split("=", 2);
    if (k === SESSION_COOKIE && v && /^[A-Za-z0-9_-]{43}$/.test(v)) return v;
  }
  return undefined;
}

async function authenticate(req: IncomingMessage, ctx: ApiContext): Promise<Caller> {
  const peer = req.socket.remoteAddress ?? "unknown";
  const cookie = req.headers.authorization === undefined ? sessionCookie(req) : undefined;
  if (cookie !== undefined) {
    // A browser sends the cookie by itself: a change also needs the CSRF token the login gave,
    // which a page of another site cannot read.
    const r = await ctx.toWorker("authenticate", { session: cookie }, { principal: "session", actor: "session", peer, role: "viewer" });
    const who = r.body as { user?: unknown; role?: unknown; csrf?: unknown };
    if (r.status !== 200 || typeof who.user !== "string" || !isRole(who.role) || typeof who.csrf !== "string") throw new HttpError(401, "the session ended or expired: log in again");
    if (req.method !== "GET" && req.method !== "HEAD") {
      const sent = Buffer.from(String(req.headers["x-csrf-token"] ?? ""));
      const want = Buffer.from(who.csrf);
      if (sent.length !== want.length || !timingSafeEqual(sent, want)) throw new HttpError(403, "X-CSRF-Token: missing or wrong (the login answer gives it)");
    }
    return { principal: `session:${who.user}`, actor: who.user, peer, role: who.role };
  }
  const given = /^Bearer ([\x21-\x7e]{1,512})$/.exec(req.headers.authorization ?? "")?.[1] ?? "";
  const a = Buffer.from(given);
  const want = Buffer.from(ctx.token);
  if (a.length === want.length && timingSafeEqual(a, want)) return callerOf(req);
  if (!looksLikeUserToken(given)) throw new HttpError(401, UNAUTHENTICATED, undefined, { "www-authenticate": "Bearer" });
  const r = await ctx.toWorker("authenticate", { token: given }, { principal: "token", actor: "token", peer, role: "viewer" });
  const who = r.body as { user?: unknown; role?: unknown };
  if (r.status !== 200 || typeof who.user !== "string" || !isRole(who.role)) {
    throw new HttpError(r.status === 503 ? 503 : 401, r.status === 503 ? "the ingest worker is not running" : "the token is unknown, expired or revoked, or its user is disabled", undefined, { "www-authenticate": "Bearer" });
  }
  return { principal: `user:${who.user}`, actor: who.user, peer, role: who.role };
}

/** The person the CLI names (its operating-system user), or the principal itself. */
function callerOf(req: IncomingMessage): Caller {
  const named = req.headers["x-cordon-actor"];
  let actor = "api-token";
  if (named !== undefined) {
    if (typeof named !== "string" || !/^[A-Za-z0-9_.@-]{1,64}$/.test(named)) throw new HttpError(400, "X-Cordon-Actor: a user name of 1 to 64 letters, digits and _ . @ -", "x-cordon-actor");
    actor = named;
  }
  const peer = req.socket.remoteAddress ?? "unknown";
  return { principal: "api-token", actor, peer, role: "admin" };
}

function readBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  const type = (req.headers["content-type"] ?? "").split(";")[0].trim().toLowerCase();
  if (type !== "application/json") return Promise.reject(new HttpError(415, "the body must be application/json"));
  const declared = Number(req.headers["content-length"] ?? 0);
  if (declared > MAX_BODY) return Promise.reject(new HttpError(413, `the body is over ${MAX_BODY} bytes`, undefined, { connection: "close" }));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on("data", (c: Buffer) => {
      if (over) return;
      size += c.length;
      if (size > MAX_BODY) {
        over = true;
        chunks.length = 0;
        reject(new HttpError(413, `the body is over ${MAX_BODY} bytes`, undefined, { connection: "close" }));
        return;
      }
      chunks.push(c);
    });
    req.on("end", () => {
      if (over) return;
      const text = Buffer.concat(chunks).toString("utf8");
      let v: unknown;
      try {
        v = JSON.parse(text);
      } catch {
        return reject(new HttpError(400, "the body is not valid JSON"));
      }
      if (typeof v !== "object" || v === null || Array.isArray(v)) return reject(new HttpError(400, "the body must be a JSON object"));
      resolve(v as Record<string, unknown>);
    });
    req.on("error", reject);
  });
}

type Query = Record<string, string>;

interface Route {
  path: RegExp;
  /** What the caller's role must allow (app/permissions.ts); the worker checks the device's tier on top. */
  needs: Action;
  get?: (q: Query, m: RegExpExecArray, caller: Caller) => ApiRequest | ApiReply;
  post?: (b: Record<string, unknown>, m: RegExpExecArray) => ApiRequest;
  op: ApiOp;
}

const site = (v: unknown): string | undefined => (v === undefined ? undefined : nameValue(v, "site"));

const ROUTES: Route[] = [
  {
    path: /^\/api\/nac\/decisions$/, op: "decisions", needs: "read",
    get: (q) => {
      onlyKeys(q, ["site", "mac", "limit"]);
      return { site: site(q.site), mac: q.mac === undefined ? undefined : macValue(q.mac, "mac"), limit: q.limit === undefined ? 100 : intValue(q.limit, "limit", 1, 10_000) };
    },
  },
  {
    path: /^\/api\/responses$/, op: "responses", needs: "read",
    get: (q) => {
      onlyKeys(q, ["limit"]);
      return { limit: q.limit === undefined ? 1000 : intValue(q.limit, "limit", 1, 10_000) };
    },
  },
  {
    path: /^\/api\/audit$/, op: "audit", needs: "read",
    get: (q) => {
      onlyKeys(q, ["limit", "before"]);
      return { limit: q.limit === undefined ? 100 : intValue(q.limit, "limit", 1, 10_000), before: q.before === undefined ? undefined : intValue(q.before, "before", 1, Number.MAX_SAFE_INTEGER) };
    },
  },
  {
    path: /^\/api\/quarantine$/, op: "quarantine", needs: "quarantine",
    post: (b) => {
      onlyKeys(b, ["mac", "reason", "site"]);
      return { mac: macValue(b.mac, "mac"), reason: textValue(b.reason, "reason"), site: site(b.site) };
    },
  },
  {
    path: /^\/api\/release$/, op: "release", needs: "quarantine",
    post: (b) => {
      onlyKeys(b, ["mac", "reason", "site"]);
      return { mac: macValue(b.mac, "mac"), reason: textValue(b.reason, "reason"), site: site(b.site) };
    },
  },
  {
    path: /^\/api\/responses\/([0-9a-f]{4,16})\/approve$/, op: "approve", needs: "response.approve",
    post: (b, m) => {
      onlyKeys(b, ["note"]);
      return { id: m[1], reason: b.note === undefined ? undefined : textValue(b.note, "note") };
    },
  },
  {
    path: /^\/api\/responses\/([0-9a-f]{4,16})\/reject$/, op: "reject", needs: "response.approve",
    post: (b, m) => {
      onlyKeys(b, ["reason"]);
      return { id: m[1], reason: textValue(b.reason, "reason") };
    },
  },
];

/** Reads that the main thread answers itself. */
const LOCAL: { path: RegExp; get: (ctx: ApiContext) => ApiReply }[] = [
  { path: /^\/api\/nac\/sessions$/, get: (ctx) => ({ status: 200, body: ctx.sessions() }) },
  { path: /^\/api\/nac\/stats$/, get: (ctx) => (ctx.radiusStats() ? { status: 200, body: ctx.radiusStats() } : { status: 404, body: { error: "RADIUS is off: no nac section" } }) },
];

export function handleApi(req: IncomingMessage, res: ServerResponse, ctx: ApiContext): void {
  const fail = (e: unknown): void => {
    if (e instanceof HttpError) {
      if (e.status === 413) res.once("finish", () => req.socket.destroySoon());
      return send(req, res, { status: e.status, body: e.field ? { error: e.message, field: e.field } : { error: e.message } }, e.headers);
    }
    if (e instanceof FieldError) return send(req, res, { status: 400, body: { error: e.message, field: e.field } });
    ctx.log.error({ err: e, path: req.url?.slice(0, 200) }, "api request failed");
    send(req, res, { status: 500, body: { error: "internal error (the serve log has the detail)" } });
  };
  void (async () => {
    checkSite(req, ctx.hosts);
    const bare = (req.url ?? "").split("?")[0];
    if (bare === "/api/login" || bare === "/api/logout") return loginRoute(req, res, ctx, bare);
    const caller = await authenticate(req, ctx);
    let url: URL;
    try {
      url = new URL(req.url ?? "/", "http://localhost");
    } catch {
      throw new HttpError(400, "not a valid request target");
    }
    const path = url.pathname;
    const method = req.method === "HEAD" ? "GET" : req.method;
    const local = LOCAL.find((l) => l.path.test(path));
    if (local) {
      if (method !== "GET") throw new HttpError(405, `${path} takes GET`, undefined, { allow: "GET, HEAD" });
      if ([...url.searchParams.keys()].length > 0) throw new HttpError(400, `${path} takes no query parameters`);
      return send(req, res, local.get(ctx));
    }
    let m: RegExpExecArray | null = null;
    const route = ROUTES.find((r) => (m = r.path.exec(path)) !== null);
    if (!route || !m) throw new HttpError(404, `no route ${path.slice(0, 200)}`);
    const match: RegExpExecArray = m;
    if (!may(caller.role, route.needs)) throw new HttpError(403, `${caller.actor} (${caller.role}) may not: ${ACTIONS[route.needs]}`);
    if (method === "GET" && route.get) {
      const query: Query = {};
      for (const [k, v] of url.searchParams) {
        if (k in query) throw new FieldError(k, "given more than once");
        query[k] = v;
      }
      const r = route.get(query, match, caller);
      return send(req, res, await ctx.toWorker(route.op, r as ApiRequest, caller));
    }
    if (method === "POST" && route.post) {
      if (url.search !== "") throw new HttpError(400, "parameters go in the JSON body, not the query string");
      const b = await readBody(req);
      return send(req, res, await ctx.toWorker(route.op, route.post(b, match), caller));
    }
    throw new HttpError(405, `${path} takes ${route.get ? "GET" : "POST"}`, undefined, { allow: route.get ? "GET, HEAD" : "POST" });
  })().catch(fail);
}
