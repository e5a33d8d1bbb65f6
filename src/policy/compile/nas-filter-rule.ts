import type { ResolvedPolicy } from "../model.js";
import { type PortAclEntry, familiesOf, portAclEntries } from "./port-acl.js";

/** A RADIUS attribute value is at most 253 bytes. */
export const MAX_ATTRIBUTE_VALUE = 253;

const PROTO: Record<string, string> = { tcp: "6", udp: "17", icmp: "1", any: "ip" };

function ports(r: [number, number] | undefined): string {
  if (!r) return "";
  return r[0] === r[1] ? ` ${r[0]}` : ` ${r[0]}-${r[1]}`;
}

/** One IPFilterRule (RFC 6733 §4.3): "in" is traffic from the device, "assigned" its address. */
function rule(e: PortAclEntry): string {
  const withPorts = e.proto === "tcp" || e.proto === "udp";
  const peer = e.peer === "any" ? "any" : e.peer;
  return `permit in ${PROTO[e.proto]} from assigned${withPorts ? ports(e.srcPorts) : ""} to ${peer}${withPorts ? ports(e.dstPorts) : ""}${e.established ? " established" : ""}`;
}

/**
 * RFC 4849 NAS-Filter-Rule: the device's IPFilterRules (IPv4, then IPv6 peers; "ip" and
 * "assigned" cover both families), each ended by a NUL, packed into
 * attribute values of at most 253 bytes (a rule may continue in the next attribute, as the
 * RFC allows). Pure.
 */
export function compileNasFilterRules(p: ResolvedPolicy, device: string): { rules: string[]; attributes: Buffer[] } {
  const rules = familiesOf(p, device).flatMap((f) => portAclEntries(p, device, f)).map(rule);
  rules.push(`${p.mode === "enforce" ? "deny" : "permit"} in ip from assigned to any`);
  const stream = Buffer.concat(rules.map((r) => Buffer.from(`${r}\0`, "ascii")));
  const attributes: Buffer[] = [];
  for (let i = 0; i < stream.length; i += MAX_ATTRIBUTE_VALUE) attributes.push(stream.subarray(i, i + MAX_ATTRIBUTE_VALUE));
  return { rules, attributes };
}
