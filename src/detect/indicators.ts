import type { ObservationKind } from "../model/observation.js";
import type { Detector } from "./engine.js";
import { flowRef } from "./engine.js";

/**
 * Indicators a site supplies: addresses, domains (a match covers subdomains) and TLS client
 * fingerprints (JA4, JA3), each with where it came from. Read from CSV (`type,value[,note]`)
 * or STIX 2.1 bundles (indicator objects with STIX patterns over ipv4-addr, ipv6-addr,
 * domain-name and url values).
 */
export interface Indicators {
  ips: Map<string, string>;
  domains: Map<string, string>;
  fingerprints: Map<string, string>;
}

export class IndicatorError extends Error {}

export const emptyIndicators = (): Indicators => ({ ips: new Map(), domains: new Map(), fingerprints: new Map() });

function add(into: Indicators, type: string, value: string, note: string, where: string): void {
  const v = value.trim().toLowerCase();
  if (!v) throw new IndicatorError(`${where}: empty value`);
  switch (type.trim().toLowerCase()) {
    case "ip": case "ipv4": case "ipv6": case "ipv4-addr": case "ipv6-addr":
      into.ips.set(v.replace(/\/(32|128)$/, ""), note);
      return;
    case "domain": case "domain-name": case "hostname": case "fqdn":
      into.domains.set(v.replace(/\.$/, ""), note);
      return;
    case "url": {
      try {
        into.domains.set(new URL(value.trim()).hostname.toLowerCase(), note);
      } catch {
        throw new IndicatorError(`${where}: "${value}" is not a URL`);
      }
      return;
    }
    case "ja4": case "ja3": case "tls": case "tls-fingerprint":
      into.fingerprints.set(v, note);
      return;
    default:
      throw new IndicatorError(`${where}: unknown indicator type "${type}" (known: ip, domain, url, ja4, ja3)`);
  }
}

/** CSV: `type,value[,note]` per line; a header line and # comments are skipped. */
export function parseIndicatorCsv(text: string, source: string, into = emptyIndicators()): Indicators {
  text.split(/\r?\n/).forEach((line, i) => {
    const l = line.trim();
    if (!l || l.startsWith("#") || (i === 0 && /^type\s*,/i.test(l))) return;
    const [type, value, ...rest] = l.split(",");
    if (value === undefined) throw new IndicatorError(`${source}:${i + 1}: expected "type,value[,note]"`);
    add(into, type, value.replace(/^"|"$/g, ""), rest.join(",").replace(/^"|"$/g, "").trim() || source, `${source}:${i + 1}`);
  });
  return into;
}

const STIX_COMPARISON = /(ipv4-addr|ipv6-addr|domain-name|url):value\s*=\s*'((?:[^'\\]|\\.)*)'/g;

/** STIX 2.1: a bundle (or a list) of objects; indicators with pattern_type "stix" are read. */
export function parseStixBundle(doc: unknown, source: string, into = emptyIndicators()): Indicators {
  const objects = Array.isArray(doc) ? doc : (doc as { objects?: unknown })?.objects;
  if (!Array.isArray(objects)) throw new IndicatorError(`${source}: not a STIX bundle (no "objects" list)`);
  objects.forEach((o, i) => {
    const x = o as { type?: string; pattern?: unknown; pattern_type?: string; name?: string; id?: string };
    if (x?.type !== "indicator") return;
    if (x.pattern_type !== undefined && x.pattern_type !== "stix") return;
    if (typeof x.pattern !== "string") throw new IndicatorError(`${source}: objects[${i}].pattern: expected a STIX pattern`);
    for (const m of x.pattern.matchAll(STIX_COMPARISON)) add(into, m[1], m[2].replace(/\\(.)/g, "$1"), x.name ?? x.id ?? source, `${source}: objects[${i}]`);
  });
  return into;
}

/** The domain or one of its parents that is an indicator. */
function domainHit(d: Indicators, name: string): [string, string] | undefined {
  const labels = name.toLowerCase().replace(/\.$/, "").split(".");
  for (let i = 0; i < labels.length - 1; i++) {
    const s = labels.slice(i).join(".");
    const note = d.domains.get(s);
    if (note !== undefined) return [s, note];
  }
  return undefined;
}

const NAME_KINDS: ObservationKind[] = ["dns.query", "tls.sni", "http.host"];

export function indicatorDetector(ind: Indicators): Detector {
  return {
    name: "indicator",
    kinds: [...NAME_KINDS, "tls.ja4"],
    observation(e, ctx) {
      const actor = e.srcIp ?? e.mac ?? "unknown";
      const base = { class: "indicator" as const, severity: "high" as const, technique: "T1071", site: e.site, source: actor, sourceMac: e.mac, tsUs: e.tsUs,
        packet: { source: e.source, packet: e.packet, tsUs: e.tsUs }, observation: `${e.kind}=${e.value}` };
      if (e.kind === "tls.ja4") {
        const note = ind.fingerprints.get(e.value.toLowerCase());
        if (note !== undefined) ctx.raise({ ...base, target: e.dstIp, episode: e.value, title: `${actor} made a TLS handshake with a listed fingerprint ${e.value} (${note})` });
        return;
      }
      const hit = domainHit(ind, e.value.split(":")[0]);
      if (hit) ctx.raise({ ...base, target: hit[0], episode: hit[0], title: `${actor} reached for ${e.value}, a listed domain (${hit[1]}) [${e.kind}]` });
    },
    flow(f, ctx) {
      for (const [ip, other, mac] of [[f.dstIp, f.srcIp, f.srcMac], [f.srcIp, f.dstIp, f.dstMac]] as const) {
        const note = ind.ips.get(ip);
        if (note === undefined) continue;
        ctx.raise({ class: "indicator", severity: "high", technique: "T1071", site: f.site, source: other, sourceMac: mac, target: ip, tsUs: f.firstUs, episode: ip,
          title: `${other} exchanged traffic with ${ip}, a listed address (${note})`, flow: flowRef(f) });
      }
    },
  };
}
