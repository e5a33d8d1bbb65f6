import { createHash } from "node:crypto";
import type { Device } from "../inventory/device.js";
import type { ObservationKind } from "../model/observation.js";
import { cloudDomains, cloudMakers } from "./cloud-makers.js";
import type { EvidenceItem, Verdict } from "./classify.js";
import { defaultCriticality } from "./taxonomy.js";

/**
 * The setup phase as a fingerprint of its own: what a device does in its first ten minutes
 * after it joins (its first DHCP exchange is in the traffic): the DHCP options and their order,
 * vendor class, its host name with serial-like runs blanked, the clouds it asks for, the mDNS
 * services and SSDP server it announces, its TLS fingerprints. Devices of one model set up
 * alike; a site's devices with the same setup fingerprint are taken to be the same kind, so a
 * device identified (by its rules, or by a person) names its unidentified siblings.
 */
const SETUP_US = 600_000_000;
/** The first DHCP of the device must come this soon after it was first seen: the join is in the traffic. */
const JOIN_US = 60_000_000;
const SETUP_KINDS: ObservationKind[] = ["dhcp.param_list", "dhcp.vendor_class", "dhcp.hostname", "dns.query", "mdns.service", "ssdp.server", "tls.ja4"];

/** "ESP_1A2B3C" → "ESP_#", "Camera-00412" → "Camera-#": what a model's devices share in their names. */
const namePattern = (n: string): string => n.toLowerCase().replace(/[0-9a-f]*\d[0-9a-f]*/g, "#");

/** The device's setup fingerprint (16 hex digits), or undefined when its join is not in the traffic. */
export function setupFingerprint(d: Device): string | undefined {
  const dhcp = d.facts.get("dhcp.param_list");
  if (!dhcp || dhcp.size === 0) return undefined;
  const joined = Math.min(...[...dhcp.values()].map((f) => f.firstUs));
  if (joined - d.firstUs > JOIN_US) return undefined;
  const parts: string[] = [];
  for (const kind of SETUP_KINDS) {
    const values = [...(d.facts.get(kind)?.values() ?? [])].filter((f) => f.firstUs <= joined + SETUP_US).map((f) => f.value);
    const shown = kind === "dhcp.hostname" ? values.map(namePattern)
      : kind === "dns.query" ? cloudDomains(values, cloudMakers().shared) : values;
    parts.push(`${kind}=${[...new Set(shown)].sort().join(",")}`);
  }
  // A DHCP exchange alone (no name, no cloud, nothing announced) is too common to name a model.
  if (parts.filter((p) => !p.endsWith("=")).length < 3) return undefined;
  return createHash("sha256").update(parts.join("\n")).digest("hex").slice(0, 16);
}

/**
 * For each unidentified device, the category (and maker) of an identified device of the site
 * with the same setup fingerprint, as a verdict whose evidence names that sibling. Devices whose
 * identified siblings disagree on the category are left alone.
 */
export function fromSiblings(devices: readonly { key: string; site: string; fingerprint?: string; verdict: Verdict }[]): Map<string, Verdict> {
  const known = new Map<string, { category: Verdict["category"]; vendor?: string; key: string } | null>();
  for (const d of devices) {
    if (!d.fingerprint || d.verdict.category === "unknown") continue;
    const k = `${d.site} ${d.fingerprint}`;
    const seen = known.get(k);
    if (seen === undefined) known.set(k, { category: d.verdict.category, vendor: d.verdict.vendor, key: d.key });
    else if (seen !== null && seen.category !== d.verdict.category) known.set(k, null);
  }
  const out = new Map<string, Verdict>();
  for (const d of devices) {
    if (!d.fingerprint || d.verdict.category !== "unknown") continue;
    const sibling = known.get(`${d.site} ${d.fingerprint}`);
    if (!sibling) continue;
    const evidence: EvidenceItem = {
      rule: "same-setup-as-sibling", weight: 0.7, supports: sibling.category,
      facts: [{ kind: "setup_fingerprint", value: d.fingerprint }, { kind: "sibling", value: sibling.key }],
    };
    out.set(d.key, {
      category: sibling.category, vendor: sibling.vendor, confidence: 0.7,
      criticality: defaultCriticality(sibling.category, false), evidence: [evidence, ...d.verdict.evidence],
    });
  }
  return out;
}
