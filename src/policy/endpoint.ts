/**
 * One end of a policy rule, in the terms a person reviews: a group of devices, a DNS name, a
 * network, one of the RFC 8520 MUD abstractions (kept as such, so a MUD file's intent
 * survives import and export), or any address.
 */
export type MudAbstraction =
  | { kind: "local-networks" }
  /** Devices whose MUD URL has this authority (a file's "same-manufacturer" is its own authority). */
  | { kind: "manufacturer"; name: string }
  /** Devices that announced exactly this MUD URL. */
  | { kind: "model"; url: string }
  /** A class of controllers named by URI (urn:ietf:params:mud:dns, …:ntp, …:gateway, or a site's own). */
  | { kind: "controller"; uri: string }
  /** The controller a site assigned to the devices of this MUD URL. */
  | { kind: "my-controller"; url: string };

export type Endpoint = { group: string } | { dns: string } | { cidr: string } | { mud: MudAbstraction } | "any";

function mudKey(m: MudAbstraction): string {
  switch (m.kind) {
    case "local-networks": return "mud:local-networks";
    case "manufacturer": return `mud:manufacturer:${m.name}`;
    case "model": return `mud:model:${m.url}`;
    case "controller": return `mud:controller:${m.uri}`;
    case "my-controller": return `mud:my-controller:${m.url}`;
  }
}

/** A unique name for an endpoint: the address set it resolves to is named so. */
export function endpointKey(e: Endpoint): string {
  if (e === "any") return "any";
  if ("group" in e) return e.group;
  if ("dns" in e) return `dns:${e.dns}`;
  if ("cidr" in e) return `cidr:${e.cidr}`;
  return mudKey(e.mud);
}

/** How an endpoint reads in a rule's comment. */
export function endpointLabel(e: Endpoint): string {
  if (e !== "any" && "dns" in e) return e.dns;
  if (e !== "any" && "cidr" in e) return e.cidr;
  return endpointKey(e);
}
