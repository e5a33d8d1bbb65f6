/**
 * How strongly a device's identity is established, weakest first:
 * - `conflict`: something says another machine uses its MAC (an identity-change alert still
 *   open: a changed fingerprint, the MAC at two switch ports at once, another device's
 *   certificate presented from it);
 * - `mac`: only its MAC, which anyone can copy;
 * - `fingerprint`: its MAC plus a settled fingerprint of its own stack (DHCP options, TCP SYN
 *   layout, an OT device's serial or product identity) that has not changed;
 * - `mud`: it announces a MUD URL (RFC 8520) and nothing contradicts it;
 * - `certificate`: it holds a valid certificate of Cordon's CA naming its MAC (EST, SCEP,
 *   EAP-TLS), which proves it at every connection.
 */
export const IDENTITY_STRENGTHS = ["conflict", "mac", "fingerprint", "mud", "certificate"] as const;
export type IdentityStrength = (typeof IDENTITY_STRENGTHS)[number];

export const isIdentityStrength = (s: string): s is IdentityStrength => (IDENTITY_STRENGTHS as readonly string[]).includes(s);

/** Whether `s` is at least `min`. */
export const identityAtLeast = (s: IdentityStrength, min: IdentityStrength): boolean => IDENTITY_STRENGTHS.indexOf(s) >= IDENTITY_STRENGTHS.indexOf(min);
