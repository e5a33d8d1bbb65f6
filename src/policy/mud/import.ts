import { readFileSync, readdirSync } from "node:fs";
import { isIPv4, isIPv6 } from "node:net";
import { join } from "node:path";

/**
 * RFC 8520 MUD files in: the device's from- and to-device access lists (RFC 8519 ACLs with the
 * MUD and DNS-name augmentations), validated, with every error naming its JSON path. Both the
 * RFC's `ietf-access-control-list:acls` container and the older `…:access-lists` that tools
 * such as mudgee still write are read.
 */

/** Who an ACE's peer is: a DNS name, a network, or one of the MUD abstractions. */
export type MudPeer =
  | { kind: "dns"; name: string }
  | { kind: "network"; cidr: string }
  | { kind: "local-networks" }
  | { kind: "same-manufacturer" }
  | { kind: "manufacturer"; name: string }
  | { kind: "model"; url: string }
  | { kind: "controller"; uri: string }
  | { kind: "my-controller" }
  | { kind: "any" };

export interface MudAce {
  name: string;
  /** The policy the ACE belongs to. */
  policy: "from-device" | "to-device";
  family: "ipv4" | "ipv6" | "eth";
  protocol?: number;
  peer: MudPeer;
  srcPorts?: [number, number];
  dstPorts?: [number, number];
  /** TCP: which side opens the connection (ietf-mud:direction-initiated). */
  initiated?: "from-device" | "to-device";
  ethertype?: number;
  action: "accept" | "drop" | "reject";
}

export interface MudProfile {
  url: string;
  mfgName?: string;
  modelName?: string;
  systeminfo?: string;
  lastUpdate?: string;
  aces: MudAce[];
}

export class MudError extends Error {
  constructor(readonly path: string, message: string) {
    super(`${path}: ${message}`);
  }
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

const ACL_TYPES: Record<string, MudAce["family"] | "mixed"> = {
  "ipv4-acl-type": "ipv4", "ipv6-acl-type": "ipv6", "eth-acl-type": "eth", "ethernet-acl-type": "eth",
  "mixed-eth-ipv4-acl-type": "mixed", "mixed-eth-ipv6-acl-type": "mixed", "mixed-eth-ipv4-ipv6-acl-type": "mixed",
};
const MUD_MATCHES = ["manufacturer", "same-manufacturer", "model", "local-networks", "controller", "my-controller"];

function obj(v: unknown, path: string): Json {
  if (!isObject(v)) throw new MudError(path, "must be an object");
  return v;
}

function arr(v: unknown, path: string): unknown[] {
  if (!Array.isArray(v)) throw new MudError(path, "must be a list");
  return v;
}

function str(v: unknown, path: string): string {
  if (typeof v !== "string" || v.length === 0) throw new MudError(path, "must be a non-empty string");
  return v;
}

const key = (path: string, k: string): string => (/^[A-Za-z_][\w]*$/.test(k) ? `${path}.${k}` : `${path}["${k}"]`);

function cidr(v: unknown, path: string, v6: boolean): string {
  const s = str(v, path);
  const [a, len, extra] = s.split("/");
  const ok = extra === undefined && (v6 ? isIPv6(a) : isIPv4(a)) && (len === undefined || (/^\d+$/.test(len) && Number(len) <= (v6 ? 128 : 32)));
  if (!ok) throw new MudError(path, `"${s}" is not an IPv${v6 ? 6 : 4} network`);
  return s;
}

/** RFC 8519 port-range-or-operator: a range, or an operator on one port. */
function ports(v: unknown, path: string): [number, number] {
  const o = obj(v, path);
  const port = (x: unknown, p: string): number => {
    if (typeof x !== "number" || !Number.isInteger(x) || x < 0 || x > 65535) throw new MudError(p, "must be a port number");
    return x;
  };
  if (o["lower-port"] !== undefined || o["upper-port"] !== undefined) {
    const lo = port(o["lower-port"], key(path, "lower-port"));
    const hi = port(o["upper-port"], key(path, "upper-port"));
    if (lo > hi) throw new MudError(path, `lower-port ${lo} is above upper-port ${hi}`);
    return [lo, hi];
  }
  const p = port(o.port, key(path, "port"));
  const op = o.operator ?? "eq";
  switch (op) {
    case "eq": return [p, p];
    case "lte": return [0, p];
    case "gte": return [p, 65535];
    case "lt": return [0, p - 1];
    case "gt": return [p + 1, 65535];
    default: throw new MudError(key(path, "operator"), `operator "${String(op)}" cannot be expressed as one port range (known: eq, lt, gt, lte, gte)`);
  }
}

function ace(v: unknown, path: string, policy: MudAce["policy"], aclFamily: MudAce["family"] | "mixed"): MudAce {
  const o = obj(v, path);
  const name = str(o.name, key(path, "name"));
  const actions = obj(o.actions, key(path, "actions"));
  const fwd = actions.forwarding;
  if (fwd !== "accept" && fwd !== "drop" && fwd !== "reject") throw new MudError(key(key(path, "actions"), "forwarding"), `must be accept, drop or reject, not ${JSON.stringify(fwd)}`);
  const m = obj(o.matches ?? {}, key(path, "matches"));
  const mp = key(path, "matches");
  const out: MudAce = { name, policy, family: aclFamily === "mixed" ? "ipv4" : aclFamily, peer: { kind: "any" }, action: fwd };
  // One peer per ACE; tools write an address alongside "local-networks" (a broadcast to the
  // LAN, say), and then the address, the narrower of the two, is the peer.
  const setPeer = (peer: MudPeer, p: string): void => {
    const explicit = (x: MudPeer): boolean => x.kind === "network" || x.kind === "dns";
    if (out.peer.kind === "any") out.peer = peer;
    else if (out.peer.kind === "local-networks" && explicit(peer)) out.peer = peer;
    else if (!(peer.kind === "local-networks" && explicit(out.peer))) throw new MudError(p, "a second peer for one ACE");
  };
  for (const [k, val] of Object.entries(m)) {
    const p = key(mp, k);
    if (k === "ipv4" || k === "ipv6") {
      out.family = k;
      const l3 = obj(val, p);
      for (const [f, x] of Object.entries(l3)) {
        const fp = key(p, f);
        if (f === "protocol") {
          if (typeof x !== "number" || !Number.isInteger(x) || x < 0 || x > 255) throw new MudError(fp, "must be an IP protocol number");
          out.protocol = x;
        } else if (f === "ietf-acldns:src-dnsname" || f === "ietf-acldns:dst-dnsname") {
          const dnsName = str(x, fp).toLowerCase();
          if (!/^[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*\.?$/.test(dnsName)) throw new MudError(fp, `"${dnsName}" is not a DNS name`);
          setPeer({ kind: "dns", name: dnsName.replace(/\.$/, "") }, fp);
        } else if (f.endsWith("-network")) {
          setPeer({ kind: "network", cidr: cidr(x, fp, k === "ipv6") }, fp);
        }
        // dscp, ttl, length and the like narrow the match; IP targets do not enforce them.
      }
    } else if (k === "tcp" || k === "udp") {
      const l4 = obj(val, p);
      if (out.protocol === undefined) out.protocol = k === "tcp" ? 6 : 17;
      if (l4["source-port"] !== undefined) out.srcPorts = ports(l4["source-port"], key(p, "source-port"));
      if (l4["destination-port"] !== undefined) out.dstPorts = ports(l4["destination-port"], key(p, "destination-port"));
      const dir = l4["ietf-mud:direction-initiated"];
      if (dir !== undefined) {
        if (dir !== "from-device" && dir !== "to-device") throw new MudError(key(p, "ietf-mud:direction-initiated"), `must be from-device or to-device, not ${JSON.stringify(dir)}`);
        if (k !== "tcp") throw new MudError(key(p, "ietf-mud:direction-initiated"), "only TCP has a direction of initiation");
        out.initiated = dir;
      }
    } else if (k === "icmp") {
      obj(val, p);
      if (out.protocol === undefined) out.protocol = 1;
    } else if (k === "eth") {
      const eth = obj(val, p);
      if (eth.ethertype !== undefined) {
        const t = typeof eth.ethertype === "string" ? Number.parseInt(eth.ethertype, eth.ethertype.startsWith("0x") ? 16 : 10) : eth.ethertype;
        if (typeof t !== "number" || !Number.isInteger(t) || t < 0 || t > 0xffff) throw new MudError(key(p, "ethertype"), "must be an EtherType");
        out.ethertype = t;
      }
    } else if (k === "ietf-mud:mud") {
      const mud = obj(val, p);
      for (const [mk, mv] of Object.entries(mud)) {
        const mpath = key(p, mk);
        if (!MUD_MATCHES.includes(mk)) throw new MudError(mpath, `unknown MUD match (known: ${MUD_MATCHES.join(", ")})`);
        if (mk === "manufacturer") setPeer({ kind: "manufacturer", name: str(mv, mpath) }, mpath);
        else if (mk === "model") setPeer({ kind: "model", url: str(mv, mpath) }, mpath);
        else if (mk === "controller") setPeer({ kind: "controller", uri: str(mv, mpath) }, mpath);
        else setPeer({ kind: mk as "same-manufacturer" | "local-networks" | "my-controller" }, mpath);
      }
    } else {
      throw new MudError(p, "unknown match (known: ipv4, ipv6, tcp, udp, icmp, eth, ietf-mud:mud)");
    }
  }
  return out;
}

/** Validates a parsed MUD file; `source` names it in errors. */
export function parseMud(doc: unknown, source = "$"): MudProfile {
  const root = obj(doc, source);
  const mudPath = key(source, "ietf-mud:mud");
  const mud = obj(root["ietf-mud:mud"], mudPath);
  if (mud["mud-version"] !== 1) throw new MudError(key(mudPath, "mud-version"), `must be 1, not ${JSON.stringify(mud["mud-version"])}`);
  const url = str(mud["mud-url"], key(mudPath, "mud-url"));
  if (!/^https:\/\/[^\s/]+/.test(url)) throw new MudError(key(mudPath, "mud-url"), `"${url}" is not an https URL`);
  const containerKey = root["ietf-access-control-list:acls"] !== undefined ? "ietf-access-control-list:acls" : "ietf-access-control-list:access-lists";
  const containerPath = key(source, containerKey);
  const acls = arr(obj(root[containerKey], containerPath).acl, key(containerPath, "acl"));
  const byName = new Map<string, { value: Json; path: string; family: MudAce["family"] | "mixed" }>();
  acls.forEach((a, i) => {
    const p = `${key(containerPath, "acl")}[${i}]`;
    const acl = obj(a, p);
    const n = str(acl.name, key(p, "name"));
    const t = acl.type === undefined ? "ipv4-acl-type" : str(acl.type, key(p, "type"));
    const family = ACL_TYPES[t.replace(/^[\w-]+:/, "")];
    if (!family) throw new MudError(key(p, "type"), `unknown ACL type "${t}" (known: ${Object.keys(ACL_TYPES).join(", ")})`);
    if (byName.has(n)) throw new MudError(key(p, "name"), `"${n}" is defined twice`);
    byName.set(n, { value: acl, path: p, family });
  });
  const aces: MudAce[] = [];
  for (const policy of ["from-device", "to-device"] as const) {
    const pp = key(mudPath, `${policy}-policy`);
    if (mud[`${policy}-policy`] === undefined) continue;
    const lists = arr(obj(obj(mud[`${policy}-policy`], pp)["access-lists"], key(pp, "access-lists"))["access-list"], key(key(pp, "access-lists"), "access-list"));
    lists.forEach((l, i) => {
      const lp = `${key(key(pp, "access-lists"), "access-list")}[${i}]`;
      const n = str(obj(l, lp).name, key(lp, "name"));
      const acl = byName.get(n);
      if (!acl) throw new MudError(key(lp, "name"), `no ACL named "${n}" in ${containerKey}`);
      const entries = arr(obj(acl.value.aces, key(acl.path, "aces")).ace, key(key(acl.path, "aces"), "ace"));
      entries.forEach((e, k) => aces.push(ace(e, `${key(key(acl.path, "aces"), "ace")}[${k}]`, policy, acl.family)));
    });
  }
  const opt = (k: string): string | undefined => (typeof mud[k] === "string" ? (mud[k] as string) : undefined);
  return { url, mfgName: opt("mfg-name"), modelName: opt("model-name"), systeminfo: opt("systeminfo"), lastUpdate: opt("last-update"), aces };
}

/** Reads one MUD file; JSON syntax errors and validation errors both name the file. */
export function readMudFile(path: string): MudProfile {
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    throw new MudError(path, `not valid JSON: ${(e as Error).message}`);
  }
  return parseMud(doc, path);
}

/**
 * The MUD files of a local directory (`*.json`, `*.mud`), by MUD URL: how a device that
 * announced a MUD URL (DHCP option 161, LLDP) finds its profile without fetching anything.
 * Files that are not MUD files are reported, not fatal.
 */
export function loadMudDirectory(dir: string): { byUrl: Map<string, MudProfile>; errors: MudError[] } {
  const byUrl = new Map<string, MudProfile>();
  const errors: MudError[] = [];
  for (const f of readdirSync(dir).filter((x) => x.endsWith(".json") || x.endsWith(".mud")).sort()) {
    try {
      const p = readMudFile(join(dir, f));
      byUrl.set(p.url, p);
    } catch (e) {
      if (e instanceof MudError) errors.push(e);
      else throw e;
    }
  }
  return { byUrl, errors };
}
