import { type AddressSet, PolicyError, type Protocol, type ResolvedPolicy, addressRange, validatePolicy } from "../model.js";

/**
 * What a switch-port ACL must allow for one device (or group): the traffic that enters the
 * network from its port. Its own connections, to each peer and port a rule allows; and the
 * replies to connections peers may open to it (TCP "established", UDP from the served port,
 * ICMP). "any" includes the device, and a set includes it when its prefixes cover all the
 * device's addresses. Stateless targets (IOS ACLs, dACLs, NAS-Filter-Rule) build on these.
 * Each address family is compiled on its own: targets keep IPv4 and IPv6 ACLs apart.
 */
export interface PortAclEntry {
  ruleId: string;
  comment: string;
  proto: Protocol;
  /** The peer, as an address or prefix of the entries' family, or "any". */
  peer: string;
  /** Destination port range the device sends to (its own connections), or undefined. */
  dstPorts?: [number, number];
  /** Source port range the device replies from (connections to it), or undefined. */
  srcPorts?: [number, number];
  /** TCP replies only (the ACK bit set): IOS "established". */
  established: boolean;
}

/** Whether every address of `inner` lies in `outer` (address/prefix lists of one family). */
function covers(outer: string[], inner: string[]): boolean {
  const ranges = outer.map(addressRange);
  return inner.every((p) => {
    const [lo, hi] = addressRange(p);
    return ranges.some(([a, b]) => a <= lo && hi <= b);
  });
}

/** The device set's addresses of one family: its port ACL's sources. */
export function deviceAddresses(p: ResolvedPolicy, device: string, family: 4 | 6): string[] {
  const self = p.sets.find((s) => s.name === device);
  if (!self) throw new PolicyError(`device: no set named "${device}"`);
  return family === 4 ? self.v4 : self.v6;
}

/** The address families the device set has addresses in (at least one, or a PolicyError). */
export function familiesOf(p: ResolvedPolicy, device: string): (4 | 6)[] {
  const out = ([4, 6] as const).filter((f) => deviceAddresses(p, device, f).length > 0);
  if (out.length === 0) throw new PolicyError(`device: set "${device}" has no address`);
  return out;
}

/** Whether a rule side ("any" or a set) includes every address the device set has in the family. */
export function includesDevice(p: ResolvedPolicy, side: string, device: string, family: 4 | 6): boolean {
  if (side === "any") return true;
  const s = p.sets.find((x) => x.name === side);
  const mine = deviceAddresses(p, device, family);
  return s !== undefined && mine.length > 0 && covers(family === 4 ? s.v4 : s.v6, mine);
}

/** The entries for the device set `device` in one address family, in rule order. */
export function portAclEntries(p: ResolvedPolicy, device: string, family: 4 | 6 = 4): PortAclEntry[] {
  validatePolicy(p);
  const sets = new Map<string, AddressSet>(p.sets.map((s) => [s.name, s]));
  const mine = deviceAddresses(p, device, family);
  if (mine.length === 0) throw new PolicyError(`device: set "${device}" has no IPv${family} address`);
  const of = (s: AddressSet): string[] => (family === 4 ? s.v4 : s.v6);
  const includes = (side: string): boolean => includesDevice(p, side, device, family);
  const own = new Set(mine);
  // A device is not its own peer: its addresses drop out of the peer lists.
  const peers = (side: string): string[] => (side === "any" ? ["any"] : of(sets.get(side)!).filter((a) => !own.has(a)));
  const out: PortAclEntry[] = [];
  for (const r of p.rules) {
    const ranges: ([number, number] | undefined)[] = r.ports.length > 0 ? r.ports : [undefined];
    if (includes(r.from)) {
      for (const peer of peers(r.to)) {
        for (const range of ranges) out.push({ ruleId: r.id, comment: r.comment, proto: r.proto, peer, dstPorts: range, established: false });
      }
    }
    if (includes(r.to) && r.from !== r.to) {
      for (const peer of peers(r.from)) {
        for (const range of ranges) out.push({ ruleId: r.id, comment: r.comment, proto: r.proto, peer, srcPorts: range, established: r.proto === "tcp" });
      }
    }
  }
  return out;
}

/** An IOS address: "any", "host A", "A WILDCARD" (IPv4) or "PREFIX/LEN" (IPv6). */
export function iosAddress(a: string): string {
  if (a === "any") return "any";
  const [addr, len] = a.split("/");
  if (addr.includes(":")) return len === undefined || len === "128" ? `host ${addr}` : a;
  if (len === undefined || len === "32") return `host ${addr}`;
  const wild = 2 ** (32 - Number(len)) - 1;
  const w = [24, 16, 8, 0].map((s) => Math.floor(wild / 2 ** s) % 256).join(".");
  return `${addr} ${w}`;
}

function iosPorts(r: [number, number] | undefined): string {
  if (!r) return "";
  return r[0] === r[1] ? ` eq ${r[0]}` : ` range ${r[0]} ${r[1]}`;
}

/** One access control entry in IOS syntax, with `source` standing for the device ("any" in dACLs). */
export function iosEntry(e: PortAclEntry, source: string, family: 4 | 6 = 4): string {
  const proto = e.proto === "any" ? (family === 4 ? "ip" : "ipv6") : e.proto;
  const ports = e.proto === "tcp" || e.proto === "udp";
  return `permit ${proto} ${source}${ports ? iosPorts(e.srcPorts) : ""} ${iosAddress(e.peer)}${ports ? iosPorts(e.dstPorts) : ""}${e.established ? " established" : ""}`;
}
