import { type AddressSet, PolicyError, type Protocol, type ResolvedPolicy, validatePolicy } from "../model.js";

/**
 * What a switch-port ACL must allow for one device (or group): the traffic that enters the
 * network from its port. Its own connections, to each peer and port a rule allows; and the
 * replies to connections peers may open to it (TCP "established", UDP from the served port,
 * ICMP). "any" includes the device, and a set includes it when its prefixes cover all the
 * device's addresses. Stateless targets (IOS ACLs, dACLs, NAS-Filter-Rule) build on these.
 * IPv4 only: the targets' IPv6 ACLs are a separate attribute family not built yet.
 */
export interface PortAclEntry {
  ruleId: string;
  comment: string;
  proto: Protocol;
  /** The peer, as an IPv4 address or prefix, or "any". */
  peer: string;
  /** Destination port range the device sends to (its own connections), or undefined. */
  dstPorts?: [number, number];
  /** Source port range the device replies from (connections to it), or undefined. */
  srcPorts?: [number, number];
  /** TCP replies only (the ACK bit set): IOS "established". */
  established: boolean;
}

function v4ToInt(a: string): number {
  return a.split(".").reduce((x, o) => x * 256 + Number(o), 0);
}

function prefix(p: string): [number, number] {
  const [a, len] = p.split("/");
  const bits = len === undefined ? 32 : Number(len);
  const size = 2 ** (32 - bits);
  const start = Math.floor(v4ToInt(a) / size) * size;
  return [start, start + size - 1];
}

/** Whether every address of `inner` lies in `outer` (both IPv4 address/prefix lists). */
function covers(outer: string[], inner: string[]): boolean {
  const ranges = outer.map(prefix);
  return inner.every((p) => {
    const [lo, hi] = prefix(p);
    return ranges.some(([a, b]) => a <= lo && hi <= b);
  });
}

/** The entries for the device set `device`, in rule order. */
export function portAclEntries(p: ResolvedPolicy, device: string): PortAclEntry[] {
  validatePolicy(p);
  const sets = new Map<string, AddressSet>(p.sets.map((s) => [s.name, s]));
  const self = sets.get(device);
  if (!self) throw new PolicyError(`device: no set named "${device}"`);
  if (self.v4.length === 0) throw new PolicyError(`device: set "${device}" has no IPv4 address`);
  const includes = (side: string): boolean => side === "any" || covers(sets.get(side)!.v4, self.v4);
  const own = new Set(self.v4);
  // A device is not its own peer: its addresses drop out of the peer lists.
  const peers = (side: string): string[] => (side === "any" ? ["any"] : sets.get(side)!.v4.filter((a) => !own.has(a)));
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

/** An IOS address: "any", "host A", or "A WILDCARD". */
export function iosAddress(a: string): string {
  if (a === "any") return "any";
  const [addr, len] = a.split("/");
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
export function iosEntry(e: PortAclEntry, source: string): string {
  const proto = e.proto === "any" ? "ip" : e.proto;
  const ports = e.proto === "tcp" || e.proto === "udp";
  return `permit ${proto} ${source}${ports ? iosPorts(e.srcPorts) : ""} ${iosAddress(e.peer)}${ports ? iosPorts(e.dstPorts) : ""}${e.established ? " established" : ""}`;
}
