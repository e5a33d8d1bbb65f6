import { isIpv4Prefix, isIpv6Prefix } from "../policy/model.js";
import { PrefixTable } from "../policy/prefix-table.js";
import { RadiusSecret } from "./radius/auth.js";

/**
 * Network access servers (switches, controllers) Cordon answers, each by address or prefix
 * with its own shared secret and vendor profile. A request from an address no NAS covers is
 * dropped before any work is spent on it.
 */

/**
 * How a NAS is told a device's ACL in an Access-Accept: its entries (per-user, NAS-Filter-Rule),
 * the name of an ACL the switch holds (Filter-Id) or a role (Aruba), or the name of a
 * downloadable ACL the switch then fetches from Cordon (dacl, Cisco ISE style).
 */
export type AclStyle = "per-user" | "dacl" | "filter-id" | "nas-filter-rule" | "aruba-role" | "none";
export const ACL_STYLES: readonly AclStyle[] = ["per-user", "dacl", "filter-id", "nas-filter-rule", "aruba-role", "none"];

/**
 * Vendor profiles: the ACL style a vendor's gear takes by default and how it wants CoA.
 * cisco: Cisco-AVPair `ip:inacl#N=` per-user ACLs; CoA `subscriber:command=…` naming the
 * session by `audit-session-id`. aruba: Aruba-User-Role; CoA with the role, sessions by
 * Calling-Station-Id. generic: RFC 3580 VLAN, Filter-Id naming an ACL on the switch, and
 * RFC 5176 Disconnect-Request to make the port authenticate again.
 */
export type NasVendor = "cisco" | "aruba" | "generic";
export const NAS_VENDORS: readonly NasVendor[] = ["cisco", "aruba", "generic"];
export const DEFAULT_ACL: Record<NasVendor, AclStyle> = { cisco: "per-user", aruba: "aruba-role", generic: "filter-id" };

export interface NasConfig {
  name: string;
  /** An address or a prefix (IPv4 or IPv6). */
  address: string;
  secret: string;
  vendor: NasVendor;
  acl: AclStyle;
  /** Drop Access-Requests without a valid Message-Authenticator (BlastRADIUS, CVE-2024-3596). */
  requireMessageAuthenticator: boolean;
  /** Where CoA and Disconnect requests go (RFC 5176: 3799; some gear listens on 1700). */
  coaPort: number;
  site: string;
  /** Requests per second accepted from this NAS; more are dropped and counted. */
  rateLimit: number;
  /**
   * The CoA that puts a device in or out of quarantine (`ChangeAction` of coa.ts); by vendor
   * when unset: Cisco reauthenticate, Aruba apply-role (release: disconnect), generic disconnect.
   */
  coaAction?: "reauthenticate" | "bounce-port" | "disable-port" | "apply-role" | "disconnect";
}

export class NasConfigError extends Error {}

/** The configured NASes, looked up by source address (longest prefix wins). */
export class NasRegistry {
  private readonly table: PrefixTable<NasConfig>;
  readonly list: readonly NasConfig[];
  readonly secrets: Map<string, RadiusSecret>;

  constructor(list: readonly NasConfig[]) {
    this.list = list;
    for (const nas of list) {
      if (!isIpv4Prefix(nas.address) && !isIpv6Prefix(nas.address)) throw new NasConfigError(`nas ${nas.name}: address "${nas.address}" is not an address or prefix`);
    }
    this.table = new PrefixTable(list.map((nas) => [nas.address, nas] as const));
    this.secrets = new Map(list.map((n) => [n.name, new RadiusSecret(n.secret)]));
  }

  /** The NAS a datagram from `ip` belongs to, or undefined. Results are cached; the cache is bounded. */
  lookup(ip: string): NasConfig | undefined {
    return this.table.lookup(ip);
  }
}

/**
 * What makes a NAS entry weak, one sentence each, for serve to warn about at start: a short
 * shared secret (brute-forced offline from one captured request), a wide prefix (any host in
 * it that learns the secret is a NAS), Message-Authenticator not required (BlastRADIUS, and
 * Access-Requests nobody can verify). Pure.
 */
export function weakNasSettings(nas: NasConfig): string[] {
  const out: string[] = [];
  if (nas.secret.length < 16) out.push(`the shared secret has ${nas.secret.length} characters: use 16 or more, random`);
  const slash = nas.address.indexOf("/");
  if (slash >= 0) {
    const len = Number(nas.address.slice(slash + 1));
    const v6 = nas.address.includes(":");
    if (len < (v6 ? 64 : 24)) out.push(`address ${nas.address} admits ${v6 ? "a" : String(2 ** (32 - len))} ${v6 ? "prefix wider than /64" : "addresses"} as this NAS: name the switches' management range`);
  }
  if (!nas.requireMessageAuthenticator) out.push("Message-Authenticator is not required: Access-Requests cannot be verified (BlastRADIUS)");
  return out;
}
