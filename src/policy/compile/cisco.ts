import { createHash } from "node:crypto";
import { PolicyError, type ResolvedPolicy, commentText } from "../model.js";
import { deviceAddresses, familiesOf, iosAddress, iosEntry, portAclEntries } from "./port-acl.js";

/** A Cisco-AVPair value fits a vendor-specific attribute: 253 bytes less the VSA's own 6. */
export const MAX_AVPAIR_VALUE = 247;
/** RADIUS packets are at most 4096 bytes; this much is kept for the header and the other attributes. */
const PACKET_BUDGET = 4096 - 20 - 400;
/** An AVPair attribute costs its value plus type, length, vendor id, vendor type and vendor length. */
const AVPAIR_OVERHEAD = 8;

const name = (s: string): string => s.replace(/[^A-Za-z0-9_-]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 48) || "policy";

const last = (p: ResolvedPolicy, family: 4 | 6): string => `${p.mode === "enforce" ? "deny" : "permit"} ${family === 4 ? "ip" : "ipv6"} any any`;

/** The name `compileIosAcl` gives the device set's ACL: what a Filter-Id names on the switch. */
export function iosAclName(p: ResolvedPolicy, device: string, family: 4 | 6 = 4): string {
  return `${family === 4 ? "CORDON" : "CORDON6"}-${name(device)}-${p.version}`;
}

/**
 * An IOS ACL for the device set's port (or SVI) in one family: extended named `ip
 * access-list` or `ipv6 access-list`, the device's addresses as sources, remarks naming each
 * rule, and a final deny (enforce) or permit (monitor). Pure.
 */
export function compileIosAcl(p: ResolvedPolicy, device: string, family: 4 | 6 = 4): string {
  const entries = portAclEntries(p, device, family);
  const sources = deviceAddresses(p, device, family);
  const lines = [family === 4 ? `ip access-list extended ${iosAclName(p, device, 4)}` : `ipv6 access-list ${iosAclName(p, device, 6)}`];
  let previous = "";
  for (const e of entries) {
    if (e.ruleId !== previous) lines.push(` remark ${commentText(`${e.ruleId}: ${e.comment}`, 90)}`);
    previous = e.ruleId;
    for (const src of sources) lines.push(` ${iosEntry(e, iosAddress(src), family)}`);
  }
  lines.push(` ${last(p, family)} log`);
  return `${lines.join("\n")}\n`;
}

/** Entries as `ip:inacl#N=` (IPv6: `ipv6:inacl#N=`) values: N from 1, unique and increasing; each value within a VSA. */
function inacl(p: ResolvedPolicy, device: string, family: 4 | 6): string[] {
  const aces = portAclEntries(p, device, family).map((e) => iosEntry(e, "any", family));
  aces.push(last(p, family));
  return aces.map((ace, i) => {
    const v = `${family === 4 ? "ip" : "ipv6"}:inacl#${i + 1}=${ace}`;
    if (Buffer.byteLength(v) > MAX_AVPAIR_VALUE) throw new PolicyError(`entry ${i + 1} is ${Buffer.byteLength(v)} bytes, more than an AVPair holds (${MAX_AVPAIR_VALUE})`);
    return v;
  });
}

const cost = (values: string[]): number => values.reduce((a, v) => a + Buffer.byteLength(v) + AVPAIR_OVERHEAD, 0);

/**
 * A per-user ACL: the Cisco-AVPair values an Access-Accept carries for the device, IPv4 and
 * IPv6 entries for the families it has addresses in. Refused, with the size, when they do
 * not fit one RADIUS packet (a downloadable ACL can be split). Pure.
 */
export function compilePerUserAcl(p: ResolvedPolicy, device: string): string[] {
  const values = familiesOf(p, device).flatMap((f) => inacl(p, device, f));
  if (cost(values) > PACKET_BUDGET) {
    throw new PolicyError(`per-user ACL for "${device}" needs ${cost(values)} bytes of attributes, more than one Access-Accept holds (${PACKET_BUDGET}); use a downloadable ACL`);
  }
  return values;
}

export interface DownloadableAcl {
  /**
   * The dACL's name, ending in a hash of its entries (as ISE ends its names in a version):
   * switches cache a dACL by name, so other entries make another name and are fetched again,
   * and the same entries keep their name across policy versions, sites and groups.
   */
  name: string;
  /** The AVPair the device's Access-Accept carries, naming the dACL. */
  accessAccept: string;
  /** The `ip:inacl#N=` values answering the switch's `aaa:event=acl-download` request, split into packets that fit. */
  packets: string[][];
}

/** A downloadable ACL (Cisco ISE style) for the device set in one family (`#ACSACL#-IP-…` or `#ACSACL#-IPV6-…`). Pure. */
export function compileDownloadableAcl(p: ResolvedPolicy, device: string, family: 4 | 6 = 4): DownloadableAcl {
  const values = inacl(p, device, family);
  const hash = createHash("sha256").update(values.join("\n")).digest("hex").slice(0, 8);
  const dacl = `#ACSACL#-${family === 4 ? "IP" : "IPV6"}-CORDON-${name(device)}-${hash}`;
  const packets: string[][] = [[]];
  for (const v of values) {
    const current = packets[packets.length - 1];
    if (current.length > 0 && cost([...current, v]) > PACKET_BUDGET) packets.push([v]);
    else current.push(v);
  }
  return { name: dacl, accessAccept: `ACS:CiscoSecure-Defined-ACL=${dacl}`, packets };
}
