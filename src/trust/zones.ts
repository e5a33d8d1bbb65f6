import { isIpv4Prefix, isIpv6Prefix } from "../policy/model.js";
import { setMatcher } from "../policy/simulate.js";
import { CATEGORIES } from "../classify/taxonomy.js";
import { macToString, parseMac } from "../net/addr.js";

/**
 * A zone: a place people name because what comes from it is not trusted (guest Wi-Fi, the
 * vendor's remote access, a contractor VLAN). `internet` is built in (every endpoint outside
 * the site); others are declared by their members: devices (MAC or key), networks, VLANs and
 * categories. A device is in the zone when any selector holds.
 */
export interface ZoneMembers {
  devices?: string[];
  cidrs?: string[];
  vlans?: number[];
  categories?: string[];
}

export interface ZoneSpec {
  name: string;
  describe: string;
  has: (d: { key: string; mac?: string; ips: readonly string[]; vlan?: number; category: string }) => boolean;
}

export class ZoneError extends Error {}

const NAME = /^[a-z][a-z0-9-]{0,39}$/;
const MAX_MEMBERS = 10_000;

/** Checks a zone's name and members as a person gave them; the message names what is wrong. */
export function parseZone(name: string, m: ZoneMembers): { name: string; members: Required<ZoneMembers> } {
  if (!NAME.test(name)) throw new ZoneError(`zone name "${name.slice(0, 40)}": lower-case letters, digits and dashes, starting with a letter, at most 40`);
  if (name === "internet") throw new ZoneError(`zone "internet" is built in: every endpoint outside the site`);
  const devices = (m.devices ?? []).map((d) => {
    const mac = parseMac(d);
    if (mac !== undefined) return macToString(mac);
    if (/^ip:[0-9a-f.:]{2,45}$/i.test(d)) return d.toLowerCase();
    throw new ZoneError(`device "${d.slice(0, 40)}": not a MAC or a device key (ip:ADDRESS)`);
  });
  const cidrs = (m.cidrs ?? []).map((c) => {
    if (!isIpv4Prefix(c) && !isIpv6Prefix(c)) throw new ZoneError(`network "${c.slice(0, 50)}": not an IPv4 or IPv6 address or prefix`);
    return c;
  });
  const vlans = (m.vlans ?? []).map((v) => {
    if (!Number.isInteger(v) || v < 0 || v > 4094) throw new ZoneError(`VLAN ${String(v).slice(0, 10)}: not within 0-4094`);
    return v;
  });
  const categories = (m.categories ?? []).map((c) => {
    if (!(CATEGORIES as readonly string[]).includes(c)) throw new ZoneError(`category "${c.slice(0, 40)}": not one of ${CATEGORIES.join(", ")}`);
    return c;
  });
  if (devices.length + cidrs.length + vlans.length + categories.length === 0) throw new ZoneError(`zone "${name}": no members (devices, networks, VLANs or categories)`);
  if (devices.length + cidrs.length + vlans.length + categories.length > MAX_MEMBERS) throw new ZoneError(`zone "${name}": more than ${MAX_MEMBERS} members`);
  return { name, members: { devices, cidrs, vlans, categories } };
}

/** A zone ready to test devices against. */
export function zoneSpec(name: string, m: Required<ZoneMembers>): ZoneSpec {
  const keys = new Set(m.devices);
  const inNet = setMatcher({ name, v4: m.cidrs.filter((c) => !c.includes(":")), v6: m.cidrs.filter((c) => c.includes(":")), members: [] });
  const vlans = new Set(m.vlans);
  const categories = new Set(m.categories);
  const parts = [
    m.devices.length ? `devices ${m.devices.slice(0, 5).join(", ")}${m.devices.length > 5 ? ` and ${m.devices.length - 5} more` : ""}` : "",
    m.cidrs.length ? `networks ${m.cidrs.join(", ")}` : "", m.vlans.length ? `VLANs ${m.vlans.join(", ")}` : "",
    m.categories.length ? `categories ${m.categories.join(", ")}` : "",
  ].filter(Boolean);
  return {
    name, describe: parts.join("; "),
    has: (d) => keys.has(d.key) || (d.mac !== undefined && keys.has(d.mac)) || d.ips.some(inNet) || (d.vlan !== undefined && vlans.has(d.vlan)) || categories.has(d.category),
  };
}

export const zoneHas = (z: ZoneSpec, d: Parameters<ZoneSpec["has"]>[0]): boolean => z.has(d);
