import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { arp, dhcp, ethernet, ipv4Bytes } from "./craft.js";
import { Conversations, type Host } from "./conversation.js";
import { PcapngStream } from "../sources/pcapng-writer.js";
import { SCENARIOS, type ScenarioRecord } from "./scenarios.js";
import { type Device, type Label, PERSONAS, type Persona, type SiteView, dhcpRequest } from "./site.js";
import { TRUST_PERSONAS, trustStructure } from "./trust-site.js";

export interface LabOptions {
  devices: number;
  durationS: number;
  seed: number;
  startUs: number;
  /** Scenario names to inject; "all" for every one. */
  scenarios: string[];
  /** The kind of site: "mixed" (a campus with IoT, OT and IT, the default) or "ot-trust" (trust-site.ts). */
  site?: LabSite;
}

export const LAB_SITES = ["mixed", "ot-trust"] as const;
export type LabSite = (typeof LAB_SITES)[number];

export interface LabResult {
  pcap: string;
  labels: string;
  frames: number;
  devices: number;
  scenarios: ScenarioRecord[];
}

export const DEFAULT_LAB: LabOptions = { devices: 60, durationS: 1800, seed: 1, startUs: Date.UTC(2026, 0, 5, 8, 0, 0) * 1000, scenarios: [] };

/** mulberry32: the same seed gives the same site, byte for byte. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function hash(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

function mac(oui: string, n: number): string {
  const x = `${oui}${(n & 0xffffff).toString(16).padStart(6, "0")}`;
  return x.match(/../g)!.join(":");
}

/** How many devices of each persona: by weight, every persona at least once on a big enough site. */
function allocate(total: number, personas: readonly Persona[]): Map<string, number> {
  const weight = personas.reduce((s, p) => s + p.weight, 0);
  const counts = new Map<string, number>();
  let used = 0;
  for (const p of personas) {
    const n = Math.max(total >= personas.length ? 1 : 0, Math.floor((total * p.weight) / weight));
    counts.set(p.name, n);
    used += n;
  }
  counts.set("workstation", Math.max(0, (counts.get("workstation") ?? 0) + total - used));
  return counts;
}

/**
 * Writes a synthetic site: `lab.pcapng` with the personas' traffic and any injected
 * scenarios, and `labels.json` with the ground truth (corpus labels.json shape, plus the
 * scenarios and what each should raise). Streams frames to disk tick by tick.
 */
export function generateLab(dir: string, o: LabOptions): LabResult {
  for (const name of o.scenarios) {
    if (name !== "all" && !SCENARIOS.some((s) => s.name === name)) throw new Error(`unknown scenario "${name}" (known: ${SCENARIOS.map((s) => s.name).join(", ")})`);
  }
  const wanted = o.scenarios.includes("all") ? SCENARIOS : SCENARIOS.filter((s) => o.scenarios.includes(s.name));
  const random = rng(o.seed);
  const pcap = join(dir, "lab.pcapng");
  const out = new PcapngStream(pcap);
  const gateway: Host = { mac: "00:1b:54:00:00:01", ip: "10.20.0.1" };
  const infra: Host = { mac: "10:65:30:ff:ff:02", ip: "10.20.0.2" };
  const devices: Device[] = [];
  const byPersona = new Map<string, Device[]>();
  let n = 0;
  const personas = o.site === "ot-trust" ? TRUST_PERSONAS : PERSONAS;
  const counts = allocate(o.devices, personas);
  for (const p of personas) {
    const count = counts.get(p.name) ?? 0;
    for (let i = 0; i < count; i++, n++) {
      const slot = n + 10;
      const d: Device = {
        mac: mac(p.oui, n + 1), ip: `10.20.${Math.floor(slot / 250)}.${(slot % 250) + 2}`, persona: p, index: i,
        hostname: p.hostname(i), phase: Math.floor(random() * p.period),
      };
      devices.push(d);
      byPersona.set(p.name, [...(byPersona.get(p.name) ?? []), d]);
    }
  }
  let pending: [number, Buffer][] = [];
  const macOf = new Map(devices.map((d) => [d.ip, d.mac]));
  macOf.set(infra.ip, infra.mac);
  macOf.set(gateway.ip, gateway.mac);
  const conv = new Conversations((t, f) => pending.push([t, f]), (to) => macOf.get(to.ip) ?? gateway.mac);
  const site: SiteView = {
    gateway, infra, conv,
    peers: (name) => byPersona.get(name) ?? [],
    rand: random,
    cloud: (name) => {
      const h = hash(name);
      return { mac: gateway.mac, ip: `52.${(h >>> 16) & 0xff}.${(h >>> 8) & 0xff}.${(h & 0xfe) | 1}` };
    },
  };
  const records: ScenarioRecord[] = [];
  const scenarioAt = new Map(wanted.map((s, i) => [Math.floor((o.durationS * (i + 1)) / (wanted.length + 1)), s]));
  for (let tick = 0; tick < o.durationS; tick++) {
    const base = o.startUs + tick * 1_000_000;
    if (tick % 60 === 0 && devices.length > 0) {
      // The gateway resolves one device a minute: ARP confirms both their addresses.
      const d = devices[(tick / 60) % devices.length];
      pending.push([base + 10, ethernet("ff:ff:ff:ff:ff:ff", gateway.mac, 0x0806, arp(1, gateway.mac, gateway.ip, "00:00:00:00:00:00", d.ip))]);
      pending.push([base + 400, ethernet(gateway.mac, d.mac, 0x0806, arp(2, d.mac, d.ip, gateway.mac, gateway.ip))]);
    }
    for (const d of devices) {
      if (tick < d.persona.period && tick === d.phase % Math.min(d.persona.period, 30)) {
        // The lease first: each device takes its address when the lab starts.
        conv.broadcast(base + 1000, { mac: d.mac, ip: "0.0.0.0" }, "ff:ff:ff:ff:ff:ff", "255.255.255.255", 68, 67, dhcpRequest(d));
        conv.udp(base + 3000, infra, { mac: d.mac, ip: d.ip }, 67, 68,
          dhcp({ op: 2, messageType: 5, mac: d.mac, yiaddr: d.ip, options: [[54, ipv4Bytes(infra.ip)], [12, Buffer.from(d.hostname)]] }));
      }
      if (tick % d.persona.period === d.phase) d.persona.act(base + 10_000 + Math.floor(random() * 500_000), d, site);
    }
    const s = scenarioAt.get(tick);
    if (s) {
      const actors = site.peers(s.actor);
      const targets = s.target ? site.peers(s.target) : [];
      if (actors.length > 0 && (!s.target || targets.length > 0)) {
        const actor = actors[actors.length - 1];
        const target = targets[0];
        const t = base + 20_000;
        const hit = s.run(t, actor, target, site);
        records.push({ name: s.name, class: s.class, source: actor.ip, target: hit, startUs: t, note: s.note });
      }
    }
    // Frames due within this second are written; later ones (a session still open) wait.
    pending.sort((a, b) => a[0] - b[0]);
    const due = base + 1_000_000;
    let k = 0;
    while (k < pending.length && pending[k][0] < due) out.write(pending[k][0], pending[k++][1]);
    pending = pending.slice(k);
  }
  for (const [t, f] of pending) out.write(t, f);
  out.close();
  const labels: Record<string, Label> = { [gateway.mac]: { vendor: "Cisco", model: "ISR", category: "router" },
    [infra.mac]: { vendor: "Dell", model: "PowerEdge", category: "server" } };
  for (const d of devices) labels[d.mac] = d.persona.label;
  const labelsPath = join(dir, "labels.json");
  writeFileSync(labelsPath, `${JSON.stringify({
    about: `Cordon lab site: ${devices.length} devices, ${o.durationS} s, seed ${o.seed}. Ground truth written by the generator; a regression check, not evidence that classification works.`,
    captures: { "lab.pcapng": labels },
    scenarios: records,
    ...(o.site === "ot-trust" ? { trust: trustStructure(site.peers) } : {}),
  }, null, 2)}\n`);
  return { pcap, labels: labelsPath, frames: out.frames, devices: devices.length + 2, scenarios: records };
}
