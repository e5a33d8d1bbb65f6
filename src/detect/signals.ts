import type { ObservationKind } from "../model/observation.js";
import type { AlertClass, Severity } from "./alert.js";
import type { Detector } from "./engine.js";

/**
 * Detectors that turn one dissector signal into an alert: clear-text credentials, exploit
 * strings, risky downloads and destinations, crypto-mining. The acting host is the one the
 * signal is about; the target is read from the signal's value ("... to HOST", "from HOST").
 */
interface Rule {
  kind: ObservationKind;
  class: AlertClass;
  severity: Severity;
  technique: string;
  title: (actor: string, value: string) => string;
  /** SNMP and the like: only some values count. */
  when?: (value: string) => boolean;
  /** The target host, from the value. */
  target?: (value: string, e: { srcIp?: string; dstIp?: string }) => string | undefined;
  /** Common enough on its own to be told once per device and day, whatever the target. */
  daily?: boolean;
}

const after = (word: string) => (v: string): string | undefined => new RegExp(`\\b${word} (\\S+?)(?::\\d+)?(?: |$)`).exec(v)?.[1];

function signalDetector(name: string, rules: Rule[]): Detector {
  const byKind = new Map(rules.map((r) => [r.kind, r]));
  return {
    name,
    kinds: rules.map((r) => r.kind),
    observation(e, ctx) {
      const r = byKind.get(e.kind);
      if (!r || (r.when && !r.when(e.value))) return;
      const actor = (e.aboutSource ? e.srcIp : e.dstIp) ?? e.mac ?? "unknown";
      const target = r.target ? r.target(e.value, e) : e.aboutSource ? e.dstIp : e.srcIp;
      ctx.raise({
        class: r.class, severity: r.severity, technique: r.technique, site: e.site, source: actor, sourceMac: e.mac, target,
        title: r.title(actor, e.value), tsUs: e.tsUs, episode: e.kind, ...(r.daily ? { gapUs: 86_400_000_000, anyTarget: true } : {}),
        packet: { source: e.source, packet: e.packet, tsUs: e.tsUs }, observation: `${e.kind}=${e.value}`,
      });
    },
  };
}

export const cleartextCredentialsDetector = (): Detector => signalDetector("cleartext-credentials", [
  { kind: "telnet.password_prompt", class: "cleartext-credentials", severity: "medium", technique: "T1552", target: after("from"),
    title: (a, v) => `${a} logged in over telnet ${v.replace(/^from/, "to")}: the password crossed in clear` },
  { kind: "ftp.password", class: "cleartext-credentials", severity: "medium", technique: "T1552", target: after("to"),
    title: (a, v) => `${a} sent an FTP password in clear ${v}` },
  { kind: "http.basic_auth", class: "cleartext-credentials", severity: "medium", technique: "T1552", target: after("to"),
    title: (a, v) => `${a} sent HTTP Basic credentials in clear (${v})` },
  { kind: "mqtt.cleartext_credentials", class: "cleartext-credentials", severity: "medium", technique: "T1552",
    when: (v) => v !== "no user", title: (a, v) => `${a} sent MQTT credentials without TLS (${v})` },
  { kind: "snmp.community", class: "cleartext-credentials", severity: "high", technique: "T1552",
    when: (v) => /^set/i.test(v), title: (a, v) => `${a} wrote with SNMP community "${v.split(" ").slice(1).join(" ")}" in clear` },
]);

export const exploitDetector = (): Detector => signalDetector("exploit", [
  { kind: "http.exploit", class: "exploit-attempt", severity: "high", technique: "T1190", target: after("to"),
    title: (a, v) => `${a} sent an exploit string: ${v}` },
]);

export const riskyFlowDetector = (): Detector => signalDetector("risky-flow", [
  { kind: "http.download", class: "risky-flow", severity: "high", technique: "T1105", target: after("from"),
    title: (a, v) => `${a} downloaded an ${v} over plain HTTP` },
  { kind: "http.numeric_host", class: "risky-flow", severity: "medium", technique: "T1571", target: (v) => v.replace(/^\[|\](:\d+)?.*$|:\d+.*$| port.*$/g, ""),
    title: (a, v) => `${a} sent HTTP to the numeric host ${v}` },
  { kind: "tls.no_sni", class: "risky-flow", severity: "low", technique: "T1573", target: after("to"), daily: true,
    title: (a, v) => `${a} opened TLS without a server name ${v} (a bare address: how malware reaches its servers)` },
]);

export const miningDetector = (): Detector => signalDetector("mining", [
  { kind: "mining.method", class: "mining", severity: "high", technique: "T1496", target: after("to"),
    title: (a, v) => `${a} talks to a crypto-mining pool (${v})` },
]);
