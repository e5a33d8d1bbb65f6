import type { Category } from "../classify/taxonomy.js";
import { defaultCriticality } from "../classify/taxonomy.js";

/**
 * Issuing profiles: what a device certificate of each category says and how long it lasts.
 * One table, shown by `cordon ca profiles` and in docs/architecture.md.
 *
 * - Every device certificate has EKU clientAuth (EAP-TLS, EST re-enrollment). Devices that
 *   serve HTTPS to people (cameras, recorders, printers, phones, access points, switches,
 *   building controllers, HMIs) also get serverAuth, so their web interface can present it.
 * - Validity follows how hard renewal is: a year for ordinary devices; three for the
 *   physical-process and life-safety tier, whose certificates are renewed in maintenance
 *   windows and must not lapse between them; ninety days for phones, laptops and servers
 *   that renew by themselves.
 * - Subject CN is the MAC; O the organisation; OU the site; serialNumber the device's serial
 *   when known. SAN: the MAC as an RFC 9039 device URN (`urn:dev:mac:...`), what EAP-TLS binds
 *   the certificate to.
 */
export interface IssuingProfile {
  name: string;
  validityDays: number;
  serverAuth: boolean;
  /** Renewal is due this many days before the end (EST simplereenroll, the renewal status). */
  renewBeforeDays: number;
}

const SERVES_HTTPS: ReadonlySet<Category> = new Set([
  "camera", "nvr", "doorbell", "printer", "voip-phone", "network-infrastructure", "router", "building-controller", "hmi", "access-control",
]);
const SELF_RENEWING: ReadonlySet<Category> = new Set(["workstation", "server", "mobile"]);

export function profileFor(category: Category): IssuingProfile {
  const tier = defaultCriticality(category, false);
  const serverAuth = SERVES_HTTPS.has(category);
  if (tier === "life-safety/physical-process") return { name: serverAuth ? "ot-device-server" : "ot-device", validityDays: 3 * 365, serverAuth, renewBeforeDays: 90 };
  if (SELF_RENEWING.has(category)) return { name: "managed-host", validityDays: 90, serverAuth: false, renewBeforeDays: 30 };
  return { name: serverAuth ? "device-server" : "device", validityDays: 365, serverAuth, renewBeforeDays: 30 };
}

/** The infrastructure profiles: Cordon's own TLS servers (EST, EAP-TLS) and the SCEP RA. */
export const SERVER_PROFILE: IssuingProfile = { name: "cordon-server", validityDays: 365, serverAuth: true, renewBeforeDays: 30 };

/** How many days before its end a certificate of this profile is due for renewal (30 when the profile is not known). */
export function renewBeforeDays(profile: string | undefined): number {
  return profile === "ot-device" || profile === "ot-device-server" ? 90 : 30;
}
