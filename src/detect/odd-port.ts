import { APP_DISSECTORS } from "../dissect/registry.js";
import type { Detector } from "./engine.js";
import { flowRef } from "./engine.js";

/**
 * Known protocols on ports they are not registered for: clear-text and OT protocols that the
 * payload identified (not the port) on another port, as malware does to slip past port
 * filters (HTTP C2 on 7080, Modbus on 5020). TLS, mDNS and the like are left out: vendors
 * run them on ports of their own every day. One episode per device and day.
 */
const WATCHED = new Set(["http", "ftp", "telnet", "dns", "modbus", "s7comm", "dnp3", "enip", "bacnet", "iec104", "mining", "rtsp", "sip", "mqtt"]);
const PORTS = new Map<string, Set<number>>();
for (const d of APP_DISSECTORS) {
  const set = PORTS.get(d.name) ?? new Set<number>();
  for (const p of d.ports) set.add(p);
  PORTS.set(d.name, set);
}

export function oddPortDetector(): Detector {
  return {
    name: "odd-port",
    flow(f, ctx) {
      const app = f.appProtocol;
      if (!app || f.appConfidence !== "dpi" || !WATCHED.has(app)) return;
      const known = PORTS.get(app);
      if (!known || known.has(f.dstPort) || known.has(f.srcPort)) return;
      ctx.raise({
        class: "risky-flow", severity: "low", technique: "T1571", site: f.site, source: f.srcIp, sourceMac: f.srcMac, target: f.dstIp, tsUs: f.firstUs,
        episode: "odd-port", gapUs: 86_400_000_000, anyTarget: true, flow: flowRef(f),
        title: `${f.srcIp} spoke ${app} to ${f.dstIp} on port ${f.dstPort}, not a port ${app} runs on`,
      });
    },
  };
}
