import { createHash } from "node:crypto";
import { type AddressSet, PolicyError, type ResolvedPolicy, commentText, validatePolicy } from "../model.js";
import { deviceAddresses, familiesOf, includesDevice } from "./port-acl.js";

/**
 * An Aruba user role for a device set: the controller (ArubaOS / AOS-CX mobility gateway)
 * configuration that defines it, and the `Aruba-User-Role` value (VSA 14823/1) an
 * Access-Accept carries to put the device in it. Peers become `netdestination` (IPv6:
 * `netdestination6`) aliases listing their addresses; each rule becomes a session ACL line,
 * `user alias PEER SERVICE permit` for the device's own connections and `alias PEER user
 * SERVICE permit` for connections peers may open to it (session ACLs are stateful, so
 * replies ride on the session). The last line denies (enforce) or permits (monitor) and logs
 * the rest. Pure.
 */
export interface ArubaRole {
  role: string;
  /** The Access-Accept attribute. */
  accessAccept: string;
  config: string;
}

/** ArubaOS names: letters, digits, "-_." and at most 63 characters (a hash keeps long ones unique). */
function arubaName(s: string): string {
  const clean = s.replace(/[^A-Za-z0-9_.-]+/g, "-").replace(/^-+|-+$/g, "");
  if (clean.length <= 63) return clean;
  return `${clean.slice(0, 54)}-${createHash("sha256").update(s).digest("hex").slice(0, 8)}`;
}

function mask(len: number): string {
  const m = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
  return [24, 16, 8, 0].map((s) => (m >>> s) & 0xff).join(".");
}

function destinationLines(addresses: string[], family: 4 | 6): string[] {
  return addresses.map((a) => {
    const [addr, len] = a.split("/");
    if (len === undefined || len === (family === 4 ? "32" : "128")) return `  host ${addr}`;
    return family === 4 ? `  network ${addr} ${mask(Number(len))}` : `  network ${addr}/${len}`;
  });
}

function service(proto: string, range: [number, number] | undefined): string {
  if (proto === "any") return "any";
  if (proto === "icmp") return "svc-icmp";
  if (!range) return `${proto} 1 65535`;
  return range[0] === range[1] ? `${proto} ${range[0]}` : `${proto} ${range[0]} ${range[1]}`;
}

export function compileArubaRole(p: ResolvedPolicy, device: string): ArubaRole {
  validatePolicy(p);
  const families = familiesOf(p, device);
  const sets = new Map<string, AddressSet>(p.sets.map((s) => [s.name, s]));
  const role = arubaName(`cordon-${device}`);
  const acl = arubaName(`cordon-${device}-v${p.version}`);
  const aliases = new Map<string, string[]>();
  const lines: string[] = [];
  for (const family of families) {
    const own = new Set(deviceAddresses(p, device, family));
    const v6 = family === 6 ? "ipv6 " : "";
    const alias = (side: string): string | undefined => {
      if (side === "any") return "any";
      const addrs = (family === 4 ? sets.get(side)!.v4 : sets.get(side)!.v6).filter((a) => !own.has(a));
      if (addrs.length === 0) return undefined;
      const name = arubaName(`cordon${family === 6 ? "6" : ""}-${side}`);
      if (!aliases.has(name)) {
        aliases.set(name, [
          `${family === 4 ? "netdestination" : "netdestination6"} ${name}`,
          `  ! ${commentText(sets.get(side)!.members.join(", "), 200)}`,
          ...destinationLines(addrs, family),
        ]);
      }
      return `alias ${name}`;
    };
    for (const r of p.rules) {
      const ranges: ([number, number] | undefined)[] = r.ports.length ? r.ports : [undefined];
      const add = (src: string, dst: string): void => {
        for (const range of ranges) lines.push(`  ${v6}${src} ${dst} ${service(r.proto, range)} permit`);
      };
      if (includesDevice(p, r.from, device, family)) {
        const peer = alias(r.to);
        if (peer) add("user", peer);
      }
      if (r.from !== r.to && includesDevice(p, r.to, device, family)) {
        const peer = alias(r.from);
        if (peer) add(peer, "user");
      }
    }
    lines.push(`  ${v6}user any any ${p.mode === "enforce" ? "deny" : "permit"} log`);
  }
  if (Buffer.byteLength(role) > 64) throw new PolicyError(`device: role name "${role}" is longer than Aruba allows`);
  const config = [
    `! Cordon policy "${commentText(p.name, 80)}" version ${p.version}, ${p.mode} mode, device set ${commentText(device, 80)}`,
    ...[...aliases.values()].flatMap((a) => [...a, "!"]),
    `ip access-list session ${acl}`,
    ...lines,
    "!",
    `user-role ${role}`,
    `  access-list session ${acl}`,
    "!",
  ].join("\n");
  return { role, accessAccept: `Aruba-User-Role = "${role}"`, config: `${config}\n` };
}
