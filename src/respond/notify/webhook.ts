import { createHmac } from "node:crypto";
import { appendFileSync } from "node:fs";
import type { Alert } from "../../model/alert.js";
import { alertJson } from "./jsonl.js";

/**
 * Webhook: each alert POSTed as JSON, signed with HMAC-SHA256 of the body
 * (`X-Cordon-Signature: sha256=HEX`, and `X-Cordon-Timestamp` for replay checks). A failed
 * delivery (network error, timeout, 5xx, 429) is retried with exponential backoff; one that
 * still fails goes to the dead-letter file as a JSON line, so nothing is lost.
 */
export interface WebhookTarget {
  url: string;
  secret?: string;
  /** Attempts per alert (default 4). */
  attempts?: number;
  /** First backoff in ms, doubled each retry (default 500). */
  backoffMs?: number;
  timeoutMs?: number;
  deadLetter: string;
}

export function signature(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex")}`;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function deliver(t: WebhookTarget, body: string): Promise<string | undefined> {
  const attempts = t.attempts ?? 4;
  let last = "";
  for (let i = 0; i < attempts; i++) {
    if (i > 0) await sleep((t.backoffMs ?? 500) * 2 ** (i - 1));
    const timestamp = String(Math.floor(Date.now() / 1000));
    try {
      // A redirect is a failure, never followed: alerts (and their signature) go to the configured receiver only.
      const r = await fetch(t.url, {
        method: "POST", body, signal: AbortSignal.timeout(t.timeoutMs ?? 10_000), redirect: "manual",
        headers: { "content-type": "application/json", "user-agent": "cordon", "x-cordon-timestamp": timestamp,
          ...(t.secret ? { "x-cordon-signature": signature(t.secret, timestamp, body) } : {}) },
      });
      if (r.ok) return undefined;
      last = r.status >= 300 && r.status < 400 ? `HTTP ${r.status}: redirects are not followed` : `HTTP ${r.status}`;
      if (r.status < 500 && r.status !== 429) break; // the receiver refuses it: retrying will not help
    } catch (e) {
      last = (e as Error).message;
    }
  }
  return last;
}

/** Delivers every alert; returns how many went to the dead-letter file. */
export async function sendWebhook(t: WebhookTarget, alerts: readonly Alert[]): Promise<number> {
  let dead = 0;
  for (const a of alerts) {
    const body = JSON.stringify(alertJson(a));
    const failure = await deliver(t, body);
    if (failure !== undefined) {
      appendFileSync(t.deadLetter, `${JSON.stringify({ url: t.url, failed_at: new Date().toISOString(), reason: failure, alert: JSON.parse(body) as unknown })}\n`);
      dead++;
    }
  }
  return dead;
}
