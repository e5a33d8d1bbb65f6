import { createSocket } from "node:dgram";
import { connect } from "node:net";
import { hostname } from "node:os";
import type { Alert, Severity } from "../../model/alert.js";
import { cef } from "./cef.js";

/**
 * RFC 5424 syslog messages carrying CEF: `<PRI>1 TIMESTAMP HOST cordon - MSGID - CEF:...`,
 * over UDP (one message per datagram) or TCP with RFC 6587 octet-counting framing
 * (`LENGTH SP MESSAGE`).
 */
const SYSLOG_SEVERITY: Record<Severity, number> = { critical: 2, high: 3, medium: 4, low: 5 };

export interface SyslogTarget {
  host: string;
  port: number;
  protocol: "udp" | "tcp";
  /** Facility number (default 16, local0). */
  facility?: number;
}

export function syslogMessage(a: Alert, facility = 16, host = hostname()): string {
  const pri = facility * 8 + SYSLOG_SEVERITY[a.severity];
  const name = (s: string, max: number): string => s.replace(/[^\x21-\x7e]/g, "").slice(0, max) || "-";
  return `<${pri}>1 ${new Date(a.lastUs / 1000).toISOString()} ${name(host, 255)} cordon - ${name(a.class, 32)} - ${cef(a)}`;
}

/** RFC 6587 octet counting: the message's length in bytes, a space, the message. */
export function octetCounted(message: string): Buffer {
  const body = Buffer.from(message, "utf8");
  return Buffer.concat([Buffer.from(`${body.length} `, "ascii"), body]);
}

export async function sendSyslog(t: SyslogTarget, alerts: readonly Alert[]): Promise<void> {
  const messages = alerts.map((a) => syslogMessage(a, t.facility));
  if (messages.length === 0) return;
  if (t.protocol === "udp") {
    const socket = createSocket(t.host.includes(":") ? "udp6" : "udp4");
    try {
      for (const m of messages) {
        await new Promise<void>((resolve, reject) => socket.send(Buffer.from(m, "utf8"), t.port, t.host, (e) => (e ? reject(e) : resolve())));
      }
    } finally {
      socket.close();
    }
    return;
  }
  await new Promise<void>((resolve, reject) => {
    const s = connect({ host: t.host, port: t.port }, () => {
      s.end(Buffer.concat(messages.map(octetCounted)), () => resolve());
    });
    s.setTimeout(10_000, () => s.destroy(new Error(`syslog ${t.host}:${t.port}: timed out`)));
    s.on("error", reject);
  });
}
