import { createServer as createHttpServer } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { Server } from "node:http";
import type { PeerCertificate, TLSSocket } from "node:tls";
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import type { Logger } from "pino";
import type { PkiMaterial } from "../app/certificates.js";
import { base64Body, certsOnly, csrAttributes, fromBase64Body, pemChain } from "../pki/est.js";
import { x509 } from "../pki/x509.js";
import type { PkiRequest, ToMain } from "./messages.js";

/**
 * The enrollment listeners: SCEP (RFC 8894) and the CRL on both; EST (RFC 7030) over HTTPS
 * only, with Cordon's own server certificate,
 * asking every client for a certificate (its current one, or a manufacturer's IDevID) without
 * requiring one (a new device has none: it authenticates with its one-time token over HTTP
 * Basic); and the CRL. Runs on the thread that owns the sockets; the worker issues.
 *
 * Everything a client sends is bounded (`maxBodyBytes`) and checked before it is passed on:
 * the content type, base64, the credential. Each refusal is the protocol's status with a
 * plain-text reason, counted by kind and logged.
 */
export interface EnrollmentContext {
  material: PkiMaterial;
  ask(r: PkiRequest): Promise<Extract<ToMain, { type: "pki-result" }>>;
  log: Logger;
  maxBodyBytes: number;
}

export interface EnrollmentListener {
  app: FastifyInstance;
  /** Requests by outcome: issued, cacerts, csrattrs, crl, and each refusal. */
  stats: Record<string, number>;
}

const EST = "/.well-known/est";
const PKCS7 = "application/pkcs7-mime; smime-type=certs-only";
const MAX_TOKEN = 256;

/** The chain a TLS client presented, leaf first, DER in base64; empty when it presented none. */
function clientChain(req: FastifyRequest): string[] {
  const socket = req.raw.socket as TLSSocket;
  if (typeof socket.getPeerCertificate !== "function") return [];
  const out: string[] = [];
  let c = socket.getPeerCertificate(true) as PeerCertificate & { issuerCertificate?: PeerCertificate };
  while (c && c.raw && out.length < 8) {
    const b64 = c.raw.toString("base64");
    if (out.includes(b64)) break;
    out.push(b64);
    c = c.issuerCertificate as typeof c;
  }
  return out;
}

/** The password of HTTP Basic credentials (the enrollment token); undefined when there are none. */
function basicPassword(header: string | undefined): string | undefined {
  const m = header ? /^Basic ([A-Za-z0-9+/=]{1,512})$/.exec(header) : null;
  if (!m) return undefined;
  const text = Buffer.from(m[1], "base64").toString("utf8");
  const colon = text.indexOf(":");
  const password = colon < 0 ? "" : text.slice(colon + 1);
  return password.length > 0 && password.length <= MAX_TOKEN ? password : undefined;
}

export async function buildEnrollment(ctx: EnrollmentContext, tls: boolean): Promise<EnrollmentListener> {
  const m = ctx.material;
  const stats: Record<string, number> = {};
  const count = (k: string): void => {
    stats[k] = (stats[k] ?? 0) + 1;
  };
  const app = Fastify({
    bodyLimit: ctx.maxBodyBytes, return503OnClosing: true,
    serverFactory: (handler) => (tls
      ? createHttpsServer({ cert: m.serverCertPem, key: m.serverKeyPem, ca: [m.issuingPem, ...m.vendorPems], requestCert: true, rejectUnauthorized: false, minVersion: "TLSv1.2" }, handler)
      : createHttpServer(handler)) as Server,
  });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("application/pkcs10", { parseAs: "string", bodyLimit: ctx.maxBodyBytes }, (_req, body, done) => done(null, body));
  // SCEP PKIOperation bodies are DER; clients label them either way.
  app.addContentTypeParser(["application/x-pki-message", "application/octet-stream"], { parseAs: "buffer", bodyLimit: ctx.maxBodyBytes }, (_req, body, done) => done(null, body));
  const refuse = (reply: FastifyReply, status: number, code: string, why: string, extra: Record<string, string> = {}): FastifyReply => {
    count(`refused-${code}`);
    ctx.log.warn({ status, code, reason: why }, "enrollment request refused");
    return reply.code(status).headers({ "content-type": "text/plain; charset=utf-8", ...extra }).send(`${why}\n`);
  };
  app.setErrorHandler((e: Error & { statusCode?: number; code?: string }, _req, reply) => {
    const status = e.statusCode && e.statusCode >= 400 && e.statusCode < 500 ? e.statusCode : 500;
    if (status === 500) ctx.log.error({ err: e }, "enrollment request failed");
    // Fastify's own messages can quote what the client sent (its content type): said in our words.
    const why = status === 415 ? "unsupported content type (EST: application/pkcs10; SCEP: application/x-pki-message)" : status === 413 ? `body larger than ${ctx.maxBodyBytes} bytes`
      : status === 500 ? "internal error" : "bad request";
    return refuse(reply, status, status === 415 ? "content-type" : status === 413 ? "too-large" : status === 500 ? "internal" : "bad-request", why);
  });
  app.setNotFoundHandler((_req, reply) => refuse(reply, 404, "not-found", "no such EST operation"));

  app.get("/pki/crl", async (_req, reply) => {
    const r = await ctx.ask({ op: "crl" });
    if (r.status !== 200 || !("der" in r.body)) return refuse(reply, r.status, "no-crl", "the CRL is not available");
    count("crl");
    return reply.headers({ "content-type": "application/pkix-crl" }).send(Buffer.from(r.body.der, "base64"));
  });
  // SCEP (RFC 8894) on both listeners: its messages are signed and encrypted to the RA, and many devices speak it over plain HTTP.
  if (m.scepRaPem) {
    const raChain = certsOnly(pemChain([m.scepRaPem, ...m.chainPem]));
    const scep = async (req: FastifyRequest<{ Querystring: { operation?: string; message?: string } }>, reply: FastifyReply): Promise<FastifyReply> => {
      const op = typeof req.query.operation === "string" ? req.query.operation : "";
      if (op === "GetCACaps") {
        count("scep-getcacaps");
        return reply.headers({ "content-type": "text/plain" }).send("POSTPKIOperation\nRenewal\nSHA-256\nAES\nSCEPStandard\n");
      }
      if (op === "GetCACert") {
        count("scep-getcacert");
        return reply.headers({ "content-type": "application/x-x509-ca-ra-cert" }).send(Buffer.from(raChain));
      }
      if (op !== "PKIOperation") return refuse(reply, 400, "scep-operation", "operation: GetCACaps, GetCACert or PKIOperation");
      let message: Buffer | undefined;
      if (req.method === "POST") message = Buffer.isBuffer(req.body) ? req.body : undefined;
      else if (typeof req.query.message === "string" && req.query.message.length <= ctx.maxBodyBytes * 2) message = fromBase64Body(req.query.message);
      if (!message || message.length === 0) return refuse(reply, 400, "scep-no-message", "PKIOperation needs the message (POST body, or base64 in message=)");
      const r = await ctx.ask({ op: "scep", message: message.toString("base64") });
      if (r.status !== 200 || !("der" in r.body)) {
        const body = r.body as { error: string; code: string };
        return refuse(reply, r.status, `scep-${body.code}`, body.error);
      }
      count("scep-pkioperation");
      return reply.headers({ "content-type": "application/x-pki-message" }).send(Buffer.from(r.body.der, "base64"));
    };
    for (const path of ["/scep", "/cgi-bin/pkiclient.exe"]) {
      app.get(path, scep);
      app.post(path, scep);
    }
  }
  // EST only over TLS: a token or a CSR never crosses a network in clear.
  if (!tls) return { app, stats };
  const chainDer = certsOnly(pemChain(m.chainPem));
  app.get(`${EST}/cacerts`, async (_req, reply) => {
    count("cacerts");
    return reply.headers({ "content-type": "application/pkcs7-mime", "content-transfer-encoding": "base64" }).send(base64Body(chainDer));
  });
  const attributes = csrAttributes();
  app.get(`${EST}/csrattrs`, async (_req, reply) => {
    count("csrattrs");
    return reply.headers({ "content-type": "application/csrattrs", "content-transfer-encoding": "base64" }).send(base64Body(attributes));
  });
  const enrollRoute = (mode: "enroll" | "reenroll") => async (req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    const csr = typeof req.body === "string" ? fromBase64Body(req.body) : undefined;
    if (!csr) return refuse(reply, 400, "not-base64", "the body must be a base64 PKCS#10 request");
    const chain = tls ? clientChain(req) : [];
    const token = basicPassword(req.headers.authorization);
    if (mode === "reenroll" && chain.length === 0) return refuse(reply, 401, "no-client-certificate", "simplereenroll needs the current certificate over TLS");
    if (chain.length === 0 && token === undefined) return refuse(reply, 401, "no-credentials", "authenticate with the enrollment token (HTTP Basic) or a device certificate", { "www-authenticate": 'Basic realm="cordon-est"' });
    const r = await ctx.ask({ op: "enroll", mode, via: "est", csr: csr.toString("base64"), ...(chain.length ? { clientChain: chain } : { token }) });
    if (r.status !== 200 || !("der" in r.body)) {
      const body = r.body as { error: string; code: string };
      return refuse(reply, r.status, body.code, body.error, r.status === 401 ? { "www-authenticate": 'Basic realm="cordon-est"' } : {});
    }
    count("issued");
    const issued = new x509.X509Certificate(Buffer.from(r.body.der, "base64"));
    return reply.headers({ "content-type": PKCS7, "content-transfer-encoding": "base64" }).send(base64Body(certsOnly([issued])));
  };
  app.post(`${EST}/simpleenroll`, enrollRoute("enroll"));
  app.post(`${EST}/simplereenroll`, enrollRoute("reenroll"));
  return { app, stats };
}
