import type { Detector } from "./engine.js";

/**
 * DNS misuse: tunnelling (a very long or high-entropy query name, or many distinct data-laden
 * names under one domain in a short time) and DGA-like names (random-looking second-level
 * labels, several from one host in a short time).
 */
const WINDOW_US = 600_000_000;
const LONG_NAME = 100;
const LONG_LABEL = 50;
const TUNNEL_NAMES = 30;
const DGA_NAMES = 5;
const MAX_HOSTS = 50_000;

/** Shannon entropy in bits per character. */
export function entropy(s: string): number {
  const counts = new Map<string, number>();
  for (const c of s) counts.set(c, (counts.get(c) ?? 0) + 1);
  let h = 0;
  for (const n of counts.values()) {
    const p = n / s.length;
    h -= p * Math.log2(p);
  }
  return h;
}

const SECOND_LEVEL = new Set(["co", "com", "net", "org", "gov", "ac", "edu", "or", "ne", "go"]);

/** The registrable domain, roughly: the last two labels, or three under a ccTLD's co/com/ac. */
export function registeredDomain(name: string): string {
  const labels = name.toLowerCase().replace(/\.$/, "").split(".");
  if (labels.length >= 3 && labels[labels.length - 1].length === 2 && SECOND_LEVEL.has(labels[labels.length - 2])) return labels.slice(-3).join(".");
  return labels.slice(-2).join(".");
}

/** Names that carry data: a long label or a long, high-entropy subdomain part. */
export function carriesData(name: string): boolean {
  const domain = registeredDomain(name);
  const sub = name.slice(0, Math.max(0, name.length - domain.length - 1));
  if (sub.length === 0) return false;
  return sub.split(".").some((l) => l.length >= 30) || (sub.length >= 40 && entropy(sub.replace(/\./g, "")) >= 3.5);
}

/** A random-looking second-level label: long, high entropy, few vowels or mixed digits. */
export function dgaLike(name: string): boolean {
  const domain = registeredDomain(name);
  const label = domain.split(".")[0];
  if (label.length < 10 || /^xn--/.test(label)) return false;
  const letters = label.replace(/[^a-z]/g, "");
  const vowels = letters.replace(/[^aeiouy]/g, "").length;
  const digits = label.replace(/[^0-9]/g, "").length;
  const maxConsonantRun = Math.max(0, ...(label.match(/[bcdfghjklmnpqrstvwxz]+/g) ?? []).map((r) => r.length));
  // Digits scattered among letters (not a trailing number, as in "office365").
  const scattered = digits >= 2 && letters.length >= 5 && /[a-z][0-9]+[a-z]/.test(label);
  return entropy(label) >= 3.3 && (vowels / Math.max(1, letters.length) < 0.2 || scattered || maxConsonantRun >= 5);
}

const IGNORE = /\.(local|arpa|lan|home|internal|localdomain)\.?$/i;

/** What the detector reads of a query name; names repeat, so each is judged once (bounded). */
interface NameTraits { longest: number; domain: string; carriesData: boolean; dga: boolean }
const MAX_JUDGED = 20_000;

function traitsOf(name: string): NameTraits {
  const domain = registeredDomain(name);
  const data = carriesData(name);
  return { longest: Math.max(...name.split(".").map((l) => l.length)), domain, carriesData: data, dga: !data && dgaLike(name) };
}

export function dnsDetector(): Detector {
  const hosts = new Map<string, { tunnel: Map<string, Map<string, number>>; dga: Map<string, number> }>();
  const judged = new Map<string, NameTraits>();
  return {
    name: "dns",
    kinds: ["dns.query"],
    observation(e, ctx) {
      if (e.kind !== "dns.query" || !e.aboutSource) return;
      const name = e.value.toLowerCase();
      if (IGNORE.test(name)) return;
      const src = e.srcIp ?? e.srcMac ?? "unknown";
      let t = judged.get(name);
      if (!t) {
        if (judged.size >= MAX_JUDGED) judged.clear();
        t = traitsOf(name);
        judged.set(name, t);
      }
      const base = () => ({ site: e.site, source: src, sourceMac: e.mac, tsUs: e.tsUs, packet: { source: e.source, packet: e.packet, tsUs: e.tsUs }, observation: `dns.query=${name.slice(0, 200)}` });
      const longest = t.longest;
      if (name.length >= LONG_NAME || longest >= LONG_LABEL) {
        ctx.raise({ ...base(), class: "dns-tunnel", severity: "high", technique: "T1071.004", episode: "long",
          title: `${src} asked for a ${name.length}-character name under ${t.domain} (label of ${longest}): data in DNS` });
        return;
      }
      let h = hosts.get(src);
      if (!h) {
        if (hosts.size >= MAX_HOSTS) return;
        h = { tunnel: new Map(), dga: new Map() };
        hosts.set(src, h);
      }
      if (t.carriesData) {
        const domain = t.domain;
        const names = h.tunnel.get(domain) ?? new Map<string, number>();
        h.tunnel.set(domain, names);
        names.set(name, e.tsUs);
        for (const [n, t] of names) if (e.tsUs - t > WINDOW_US) names.delete(n);
        if (names.size >= TUNNEL_NAMES) {
          ctx.raise({ ...base(), class: "dns-tunnel", severity: "high", technique: "T1071.004", target: domain, episode: "volume", count: names.size,
            title: `${src} sent ${names.size} data-carrying queries under ${domain} within ${WINDOW_US / 60e6} minutes: DNS tunnel` });
          names.clear();
        }
        return;
      }
      if (t.dga) {
        h.dga.set(t.domain, e.tsUs);
        for (const [n, t] of h.dga) if (e.tsUs - t > WINDOW_US) h.dga.delete(n);
        if (h.dga.size >= DGA_NAMES) {
          ctx.raise({ ...base(), class: "dga-domain", severity: "medium", technique: "T1568.002", count: h.dga.size,
            title: `${src} looked up ${h.dga.size} random-looking domains within ${WINDOW_US / 60e6} minutes (${[...h.dga.keys()].slice(0, 3).join(", ")}…): DGA` });
          h.dga.clear();
        }
      }
    },
  };
}
