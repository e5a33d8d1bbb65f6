import { timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { RadiusStats } from "../nac/radius-server.js";
import type { NacSession } from "../nac/sessions.js";
import type { ApiOp } from "./messages.js";

/**
 * The local HTTP API of `cordon serve`: the actions the CLI takes on a running system
 * (quarantine, release, approve, reject) and what it reads (responses, RADIUS decisions and
 * sessions). Requests are JSON; with a token configured every route wants
 * `Authorization: Bearer TOKEN`. Operations that need the store go to the ingest worker.
 */

export interface ApiReply {
  status: number;
  body: unknown;
}

export interface ApiContext {
  token?: string;
  toWorker(op: ApiOp, body: Record<string, unknown>): Promise<ApiReply>;
  sessions(): NacSession[];
  radiusStats(): RadiusStats | undefined;
}

const MAX_BODY = 64 << 10;

function send(res: ServerResponse, r: ApiReply): void {
  res.writeHead(r.status, { "content-type": "application/json" });
  res.end(`${JSON.stringify(r.body)}\n`);
}

function authorised(req: IncomingMessage, token: string | undefined): boolean {
  if (!token) return true;
  const given = Buffer.from(/^Bearer (.+)$/.exec(req.headers.authorization ?? "")?.[1] ?? "");
  const want = Buffer.from(token);
  return given.length === want.length && timingSafeEqual(given, want);
}

function readBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new Error(`request body over ${MAX_BODY} bytes`));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on("end", () => {
      const text = Buffer.concat(chunks).toString("utf8").trim();
      if (text === "") return resolve({});
      try {
        const v = JSON.parse(text) as unknown;
        if (typeof v !== "object" || v === null || Array.isArray(v)) throw new Error("the body must be a JSON object");
        resolve(v as Record<string, unknown>);
      } catch (e) {
        reject(new Error(`bad JSON: ${(e as Error).message}`));
      }
    });
    req.on("error", reject);
  });
}

export function handleApi(req: IncomingMessage, res: ServerResponse, ctx: ApiContext): void {
  if (!authorised(req, ctx.token)) return send(res, { status: 401, body: { error: "a bearer token is required (CORDON_TOKEN for the CLI)" } });
  const url = new URL(req.url ?? "/", "http://localhost");
  const path = url.pathname;
  const query = Object.fromEntries(url.searchParams);
  const route = (method: string, p: RegExp): RegExpExecArray | null => (req.method === method ? p.exec(path) : null);
  const forward = (op: ApiOp, extra: Record<string, unknown> = {}): void => {
    const body = req.method === "POST" ? readBody(req) : Promise.resolve({});
    body.then((b) => ctx.toWorker(op, { ...query, ...b, ...extra })).then((r) => send(res, r), (e: Error) => send(res, { status: 400, body: { error: e.message } }));
  };
  let m: RegExpExecArray | null;
  if (route("GET", /^\/api\/nac\/sessions$/)) return send(res, { status: 200, body: ctx.sessions() });
  if (route("GET", /^\/api\/nac\/stats$/)) return send(res, { status: ctx.radiusStats() ? 200 : 404, body: ctx.radiusStats() ?? { error: "RADIUS is off: no nac section" } });
  if (route("GET", /^\/api\/nac\/decisions$/)) return forward("decisions");
  if (route("GET", /^\/api\/responses$/)) return forward("responses");
  if (route("POST", /^\/api\/quarantine$/)) return forward("quarantine");
  if (route("POST", /^\/api\/release$/)) return forward("release");
  if ((m = route("POST", /^\/api\/responses\/([0-9a-f]{16})\/(approve|reject)$/))) return forward(m[2] as ApiOp, { id: m[1] });
  send(res, { status: 404, body: { error: `no route ${req.method} ${path}` } });
}
