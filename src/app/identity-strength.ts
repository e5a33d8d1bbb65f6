import { IDENTITY_SIGNALS, SETTLED_SIGHTINGS } from "../inventory/identity.js";
import type { StoredFact } from "../inventory/inventory.js";
import type { IdentityStrength } from "../model/identity.js";
import { PkiStore } from "../store/pki.js";
import type { Store } from "../store/store.js";

/**
 * Each device's identity strength (model/identity.ts), for many devices at once: certificates
 * Cordon issued that are valid and identity-change alerts still open come from one query each;
 * MUD URLs and settled fingerprints from the device's facts when the caller has them (device
 * listings), else from two queries over the facts (the NAC table, which reads no facts).
 */

/** Fingerprint signals strong enough to tell one stack from another (weight ≥ 0.5 in inventory/identity.ts). */
const FINGERPRINT_KINDS = new Set([...IDENTITY_SIGNALS].filter(([, w]) => w >= 0.5).map(([k]) => k as string));
const MUD_KINDS = new Set(["dhcp.mud_url", "lldp.mud_url"]);

export interface IdentityView {
  strength: IdentityStrength;
  why: string;
}

export interface IdentityIndex {
  /** The strength of the device with this MAC at `site`; `facts` when the caller has them. */
  of(site: string, mac: string | null | undefined, facts?: readonly Pick<StoredFact, "kind" | "count">[]): IdentityView;
}

export function identityIndex(store: Store, now = new Date()): IdentityIndex {
  const certified = new PkiStore(store.sql).certifiedMacs(now.toISOString());
  const conflicted = store.macsWithOpenAlerts(["identity-change"]);
  let fromFacts: { mud: Set<string>; fingerprinted: Set<string> } | undefined;
  return {
    of(site, mac, facts) {
      if (!mac) return { strength: "mac", why: "known by address only" };
      const k = `${site} ${mac}`;
      if (conflicted.has(k)) return { strength: "conflict", why: "an identity-change alert is open: another machine may use this MAC" };
      if (certified.has(k)) return { strength: "certificate", why: "holds a valid certificate of Cordon's CA naming its MAC" };
      let mud: boolean;
      let fingerprint: boolean;
      if (facts) {
        mud = facts.some((f) => MUD_KINDS.has(f.kind));
        fingerprint = facts.some((f) => FINGERPRINT_KINDS.has(f.kind) && f.count >= SETTLED_SIGHTINGS);
      } else {
        fromFacts ??= { mud: store.macsWithFacts([...MUD_KINDS]), fingerprinted: store.macsWithFacts([...FINGERPRINT_KINDS], SETTLED_SIGHTINGS) };
        mud = fromFacts.mud.has(k);
        fingerprint = fromFacts.fingerprinted.has(k);
      }
      if (mud) return { strength: "mud", why: "announces a MUD URL, and nothing contradicts it" };
      if (fingerprint) return { strength: "fingerprint", why: "a settled fingerprint of its own stack (DHCP, TCP SYN or OT identity) that has not changed" };
      return { strength: "mac", why: "its MAC only" };
    },
  };
}
