import { IDENTITY_STRENGTHS, type IdentityStrength, isIdentityStrength } from "../model/identity.js";
import { CATEGORIES, CRITICALITY } from "../classify/taxonomy.js";
import { ALERT_CLASSES, SEVERITIES, type Severity } from "../model/alert.js";
import type { QuarantineMethod } from "../model/response.js";
import type { NacSettings } from "../nac/authorization.js";
import type { RespondConfig } from "../respond/playbook.js";

export type { RespondConfig };
import { CHANGE_ACTIONS } from "../nac/coa.js";
import { ACL_STYLES, type AclStyle, DEFAULT_ACL, NAS_VENDORS, type NasConfig, type NasVendor } from "../nac/nas.js";
import { isIpv4Prefix, isIpv6Prefix } from "../policy/model.js";

/**
 * The `nac` (RADIUS server, CoA) and `respond` (playbooks) sections of the serve
 * configuration, checked with the key of every error named.
 */

export interface NacServeConfig extends NacSettings {
  host: string;
  authPort: number;
  acctPort: number;
  nas: NasConfig[];
  coa: { timeoutMs: number; retries: number };
  keepDecisionsDays: number;
  /**
   * MUD URLs (https, whole URLs or prefixes ending in "/") whose devices may move to their MUD
   * group at once even when it may reach more than their old group.
   */
  trustedMud: string[];
}


export class NacConfigError extends Error {}

/** The keys each section takes (examples/cordon.yaml has every one; a test checks). */
export const NAC_KEYS = {
  nac: ["host", "auth_port", "acct_port", "unknown", "vlans", "group_vlans", "group_min_identity", "quarantine_allow", "keep_decisions_days", "coa", "nas", "trusted_mud"],
  "nac.vlans": ["onboarding", "quarantine", "registered"],
  "nac.coa": ["timeout_ms", "retries"],
  "nac.nas[]": ["name", "address", "secret", "secret_env", "vendor", "acl", "require_message_authenticator", "coa_port", "coa_action", "site", "rate_limit"],
  respond: ["min_severity", "classes", "quarantine", "approval", "evidence_dir", "capture_seconds", "ring_kb", "ring_devices", "nft_command", "revoke_certificates"],
} as const;

type Raw = Record<string, unknown>;
const isObject = (v: unknown): v is Raw => typeof v === "object" && v !== null && !Array.isArray(v);

function keys(o: Raw, allowed: readonly string[], where: string): void {
  for (const k of Object.keys(o)) if (!allowed.includes(k)) throw new NacConfigError(`${where}${k}: unknown key (known: ${allowed.join(", ")})`);
}

function int(o: Raw, k: string, where: string, dflt: number, min: number, max: number): number {
  const v = o[k];
  if (v === undefined) return dflt;
  const n = typeof v === "string" && /^\d+$/.test(v) ? Number(v) : v;
  if (typeof n !== "number" || !Number.isInteger(n) || n < min || n > max) throw new NacConfigError(`${where}${k}: must be an integer from ${min} to ${max}`);
  return n;
}

function str(o: Raw, k: string, where: string, dflt?: string): string {
  const v = o[k];
  if (v === undefined) {
    if (dflt !== undefined) return dflt;
    throw new NacConfigError(`${where}${k}: required`);
  }
  if (typeof v !== "string" || v === "") throw new NacConfigError(`${where}${k}: must be a non-empty string`);
  return v;
}

function oneOf<T extends string>(o: Raw, k: string, where: string, allowed: readonly T[], dflt: T): T {
  const v = o[k] ?? dflt;
  if (!allowed.includes(v as T)) throw new NacConfigError(`${where}${k}: must be one of ${allowed.join(", ")}`);
  return v as T;
}

function bool(o: Raw, k: string, where: string, dflt: boolean): boolean {
  const v = o[k];
  if (v === undefined) return dflt;
  if (typeof v !== "boolean") throw new NacConfigError(`${where}${k}: must be true or false`);
  return v;
}

/** A VLAN id (1–4094) or name, written as the switch takes it in Tunnel-Private-Group-Id. */
function vlan(v: unknown, where: string): string {
  const s = typeof v === "number" ? String(v) : v;
  if (typeof s !== "string" || !/^([1-9]\d{0,3}|[A-Za-z][\w.-]{0,31})$/.test(s) || (/^\d+$/.test(s) && Number(s) > 4094)) {
    throw new NacConfigError(`${where}: a VLAN id from 1 to 4094 or a VLAN name`);
  }
  return s;
}

/**
 * A policy group as `group_vlans` may name it: a category, short (`camera`) or as policies
 * name it (`category:camera`); a MUD profile's group (`mud:https://...`); or a group a person
 * defined for learning (groups.yaml), which serve checks against the stored policies at start
 * (`unknownGroups` in app/nac.ts). Returns the name policies use.
 */
function groupName(g: string, key = "group_vlans"): string {
  const where = `nac.${key}.${g}`;
  const categories = CATEGORIES as readonly string[];
  if (categories.includes(g)) return `category:${g}`;
  if (g.startsWith("category:")) {
    if (!categories.includes(g.slice(9))) throw new NacConfigError(`${where}: no such category (known: ${CATEGORIES.join(", ")})`);
    return g;
  }
  if (g.startsWith("mud:")) {
    let url: URL | undefined;
    try {
      url = new URL(g.slice(4));
    } catch {
      url = undefined;
    }
    if (!url || url.protocol !== "https:") throw new NacConfigError(`${where}: a MUD group is mud: and the profile's https URL`);
    return g;
  }
  if (g.startsWith("device:")) throw new NacConfigError(`${where}: a device of its own (an unidentified one) gets no group VLAN; override its category or define a group for it`);
  if (!/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,47}$/.test(g)) throw new NacConfigError(`${where}: not a group name (a category such as camera, category:NAME, mud:URL, or a group defined for policy learning)`);
  return g;
}

function stringList(v: unknown, where: string): string[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || v.some((x) => typeof x !== "string" || x === "")) throw new NacConfigError(`${where}: must be a list of strings`);
  return v as string[];
}

export function validateNac(raw: unknown, site: string, env: NodeJS.ProcessEnv = process.env): NacServeConfig | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (!isObject(raw)) throw new NacConfigError("nac: must be a mapping");
  keys(raw, NAC_KEYS.nac, "nac.");
  const vl = raw.vlans;
  if (!isObject(vl)) throw new NacConfigError("nac.vlans: required, with onboarding and quarantine (and optionally registered)");
  keys(vl, NAC_KEYS["nac.vlans"], "nac.vlans.");
  if (vl.onboarding === undefined) throw new NacConfigError("nac.vlans.onboarding: required");
  if (vl.quarantine === undefined) throw new NacConfigError("nac.vlans.quarantine: required");
  const groupVlans: Record<string, string> = {};
  if (raw.group_vlans !== undefined) {
    if (!isObject(raw.group_vlans)) throw new NacConfigError("nac.group_vlans: must map group names to VLANs");
    for (const [g, v] of Object.entries(raw.group_vlans)) {
      const name = groupName(g);
      if (groupVlans[name] !== undefined) throw new NacConfigError(`nac.group_vlans.${g}: names the group ${name} a second time`);
      groupVlans[name] = vlan(v, `nac.group_vlans.${g}`);
    }
  }
  const groupMinIdentity: Record<string, IdentityStrength> = {};
  if (raw.group_min_identity !== undefined) {
    if (!isObject(raw.group_min_identity)) throw new NacConfigError("nac.group_min_identity: must map group names to an identity strength");
    for (const [g, v] of Object.entries(raw.group_min_identity)) {
      const name = groupName(g, "group_min_identity");
      if (typeof v !== "string" || !isIdentityStrength(v) || v === "conflict") throw new NacConfigError(`nac.group_min_identity.${g}: one of ${IDENTITY_STRENGTHS.filter((x) => x !== "conflict").join(", ")}`);
      groupMinIdentity[name] = v;
    }
  }
  const allow = stringList(raw.quarantine_allow, "nac.quarantine_allow");
  for (const [i, a] of allow.entries()) if (!isIpv4Prefix(a) && !isIpv6Prefix(a)) throw new NacConfigError(`nac.quarantine_allow[${i}]: "${a}" is not an address or prefix`);
  const trustedMud = stringList(raw.trusted_mud, "nac.trusted_mud");
  for (const [i, u] of trustedMud.entries()) {
    let url: URL | undefined;
    try {
      url = new URL(u);
    } catch {
      url = undefined;
    }
    if (!url || url.protocol !== "https:" || url.href !== u) throw new NacConfigError(`nac.trusted_mud[${i}]: "${u}" is not an https URL written in full (MUD URLs are https, RFC 8520)`);
  }
  const coa = raw.coa === undefined ? {} : raw.coa;
  if (!isObject(coa)) throw new NacConfigError("nac.coa: must be a mapping");
  keys(coa, NAC_KEYS["nac.coa"], "nac.coa.");
  if (!Array.isArray(raw.nas) || raw.nas.length === 0) throw new NacConfigError("nac.nas: list at least one NAS (name, address, secret)");
  const names = new Set<string>();
  const nas = raw.nas.map((n: unknown, i: number): NasConfig => {
    const w = `nac.nas[${i}].`;
    if (!isObject(n)) throw new NacConfigError(`nac.nas[${i}]: must be a mapping`);
    keys(n, NAC_KEYS["nac.nas[]"], w);
    const address = str(n, "address", w);
    if (!isIpv4Prefix(address) && !isIpv6Prefix(address)) throw new NacConfigError(`${w}address: "${address}" is not an address or prefix`);
    const name = str(n, "name", w, address);
    if (names.has(name)) throw new NacConfigError(`${w}name: "${name}" is used by another NAS`);
    names.add(name);
    let secret: string;
    if (n.secret_env !== undefined) {
      const e = str(n, "secret_env", w);
      secret = env[e] ?? "";
      if (secret === "") throw new NacConfigError(`${w}secret_env: the environment has no ${e}`);
    } else secret = str(n, "secret", w);
    const vendor = oneOf<NasVendor>(n, "vendor", w, NAS_VENDORS, "generic");
    return {
      name, address, secret, vendor, acl: oneOf<AclStyle>(n, "acl", w, ACL_STYLES, DEFAULT_ACL[vendor]),
      requireMessageAuthenticator: bool(n, "require_message_authenticator", w, true),
      coaPort: int(n, "coa_port", w, 3799, 1, 65535), site: str(n, "site", w, site), rateLimit: int(n, "rate_limit", w, 5000, 1, 1_000_000),
      coaAction: n.coa_action === undefined ? undefined : oneOf(n, "coa_action", w, CHANGE_ACTIONS, "reauthenticate"),
    };
  });
  return {
    host: str(raw, "host", "nac.", "0.0.0.0"), authPort: int(raw, "auth_port", "nac.", 1812, 0, 65535), acctPort: int(raw, "acct_port", "nac.", 1813, 0, 65535),
    unknown: oneOf(raw, "unknown", "nac.", ["onboard", "reject"] as const, "onboard"),
    vlans: { onboarding: vlan(vl.onboarding, "nac.vlans.onboarding"), quarantine: vlan(vl.quarantine, "nac.vlans.quarantine"), registered: vl.registered === undefined ? undefined : vlan(vl.registered, "nac.vlans.registered") },
    groupVlans, groupMinIdentity, quarantineAllow: allow, nas,
    coa: { timeoutMs: int(coa, "timeout_ms", "nac.coa.", 1000, 10, 60_000), retries: int(coa, "retries", "nac.coa.", 3, 0, 10) },
    keepDecisionsDays: int(raw, "keep_decisions_days", "nac.", 30, 1, 3650),
    trustedMud,
  };
}

export function validateRespond(raw: unknown, nac: NacServeConfig | undefined): RespondConfig | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (!isObject(raw)) throw new NacConfigError("respond: must be a mapping");
  keys(raw, NAC_KEYS.respond, "respond.");
  const classes = stringList(raw.classes, "respond.classes");
  for (const c of classes) if (!(ALERT_CLASSES as readonly string[]).includes(c)) throw new NacConfigError(`respond.classes: "${c}" is not an alert class (${ALERT_CLASSES.join(", ")})`);
  const approval = raw.approval === undefined ? ["life-safety/physical-process"] : stringList(raw.approval, "respond.approval");
  for (const c of approval) if (!(CRITICALITY as readonly string[]).includes(c)) throw new NacConfigError(`respond.approval: "${c}" is not a criticality class (${CRITICALITY.join(", ")})`);
  const quarantine = oneOf<QuarantineMethod>(raw, "quarantine", "respond.", ["coa", "nftables", "none"], nac ? "coa" : "none");
  if (quarantine === "coa" && !nac) throw new NacConfigError("respond.quarantine: coa needs the nac section (the NASes to send CoA to)");
  return {
    minSeverity: oneOf<Severity>(raw, "min_severity", "respond.", SEVERITIES, "high"), classes, quarantine, approval,
    evidenceDir: str(raw, "evidence_dir", "respond.", "./evidence"), captureSeconds: int(raw, "capture_seconds", "respond.", 300, 1, 86_400),
    ringKb: int(raw, "ring_kb", "respond.", 1024, 16, 1 << 20), ringDevices: int(raw, "ring_devices", "respond.", 1024, 1, 1_000_000),
    nftCommand: str(raw, "nft_command", "respond.", "nft"),
    revokeCertificates: bool(raw, "revoke_certificates", "respond.", false),
  };
}
