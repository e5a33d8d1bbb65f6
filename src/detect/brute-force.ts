import type { Detector } from "./engine.js";
import { flowRef } from "./engine.js";

/**
 * Brute force: many short sessions from one host to one login service (SSH, telnet, FTP, RDP,
 * VNC) within WINDOW_US, or repeated FTP login failures. Long interactive sessions do not count.
 */
const WINDOW_US = 600_000_000;
const SESSIONS = 8;
const FAILURES = 4;
const SHORT_US = 30_000_000;
const SERVICES: Record<number, string> = { 21: "FTP", 22: "SSH", 23: "telnet", 2323: "telnet", 3389: "RDP", 5900: "VNC", 5901: "VNC" };
const MAX_PAIRS = 100_000;

export function bruteForceDetector(): Detector {
  const sessions = new Map<string, number[]>();
  const failures = new Map<string, number[]>();
  const note = (m: Map<string, number[]>, key: string, t: number): number => {
    const list = (m.get(key) ?? []).filter((x) => t - x <= WINDOW_US);
    list.push(t);
    if (m.size < MAX_PAIRS || m.has(key)) m.set(key, list);
    return list.length;
  };
  return {
    name: "brute-force",
    kinds: ["ftp.login_failed"],
    flow(f, ctx) {
      const service = f.proto === 6 ? SERVICES[f.dstPort] : undefined;
      if (!service || f.lastUs - f.firstUs > SHORT_US || f.packetsDstToSrc === 0) return;
      const key = `${f.srcIp}|${f.dstIp}|${f.dstPort}`;
      const n = note(sessions, key, f.firstUs);
      if (n >= SESSIONS) {
        ctx.raise({ class: "brute-force", severity: "high", technique: "T1110", site: f.site, source: f.srcIp, sourceMac: f.srcMac, target: f.dstIp,
          title: `${f.srcIp} opened ${n} short ${service} sessions to ${f.dstIp} within ${WINDOW_US / 60e6} minutes: password guessing`,
          tsUs: f.firstUs, episode: service, count: 1, flow: flowRef(f) });
      }
    },
    observation(e, ctx) {
      if (e.kind !== "ftp.login_failed" || !e.dstIp) return;
      const server = e.srcIp ?? "";
      const n = note(failures, `${e.dstIp}|${server}`, e.tsUs);
      if (n >= FAILURES) {
        ctx.raise({ class: "brute-force", severity: "high", technique: "T1110", site: e.site, source: e.dstIp, sourceMac: e.mac, target: server,
          title: `${e.dstIp} failed ${n} FTP logins at ${server} within ${WINDOW_US / 60e6} minutes: password guessing`,
          tsUs: e.tsUs, episode: "FTP", packet: { source: e.source, packet: e.packet, tsUs: e.tsUs } });
      }
    },
  };
}
