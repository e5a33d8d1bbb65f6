import { isIPv6 } from "node:net";
import type { Endpoint } from "../endpoint.js";
import type { PolicyRule } from "../learn.js";
import { PolicyError } from "../model.js";
import { GROUP_CONTROLLER, mudAuthority } from "../resolve.js";

/**
 * A group's rules as an RFC 8520 MUD file: its own connections as from-device ACEs (TCP
 * marked initiated from the device) with the matching to-device ACEs for the replies (by
 * source port; TCP without ports by direction; portless UDP and ICMP have none), and
 * connections peers may open to it the other way round. Peers keep their meaning: DNS names
 * as ietf-acldns names, networks as networks, MUD abstractions as the MUD matches
 * (a manufacturer equal to the file's own authority as same-manufacturer), and the site's
 * other groups as controllers named `urn:cordon:group:NAME`. Pure.
 */
export interface MudMeta {
  url: string;
  systeminfo: string;
  mfgName?: string;
  modelName?: string;
  lastUpdate: string;
  /** Hours a MUD manager may cache the file (RFC 8520: 1–168). */
  cacheValidity?: number;
}

type Json = Record<string, unknown>;

function portMatch(p: [number, number]): Json {
  return p[0] === p[1] ? { operator: "eq", port: p[0] } : { "lower-port": p[0], "upper-port": p[1] };
}

const PROTO_NUMBER: Record<string, number | undefined> = { tcp: 6, udp: 17, icmp: 1, any: undefined };

/** The ACE matches that name a peer, on the side the peer is (destination or source). */
function peerMatch(peer: Endpoint, side: "destination" | "source", own: string): { family: "ipv4" | "ipv6"; l3: Json; mud?: Json } {
  const dns = side === "destination" ? "ietf-acldns:dst-dnsname" : "ietf-acldns:src-dnsname";
  if (peer === "any") return { family: "ipv4", l3: {} };
  if ("dns" in peer) return { family: "ipv4", l3: { [dns]: peer.dns } };
  if ("cidr" in peer) {
    const v6 = isIPv6(peer.cidr.split("/")[0]);
    return { family: v6 ? "ipv6" : "ipv4", l3: { [`${side}-ipv${v6 ? 6 : 4}-network`]: peer.cidr } };
  }
  if ("group" in peer) return { family: "ipv4", l3: {}, mud: { controller: `${GROUP_CONTROLLER}${peer.group}` } };
  const m = peer.mud;
  switch (m.kind) {
    case "local-networks": return { family: "ipv4", l3: {}, mud: { "local-networks": [null] } };
    case "manufacturer": return { family: "ipv4", l3: {}, mud: m.name === own ? { "same-manufacturer": [null] } : { manufacturer: m.name } };
    case "model": return { family: "ipv4", l3: {}, mud: { model: m.url } };
    case "controller": return { family: "ipv4", l3: {}, mud: { controller: m.uri } };
    case "my-controller": return { family: "ipv4", l3: {}, mud: { "my-controller": [null] } };
  }
}

export function exportMud(rules: readonly PolicyRule[], group: string, meta: MudMeta): Json {
  if (!/^https:\/\/[^\s/]+/.test(meta.url)) throw new PolicyError(`mud-url: "${meta.url}" is not an https URL`);
  const own = mudAuthority(meta.url);
  const isSelf = (e: Endpoint): boolean => e !== "any" && "group" in e && e.group === group;
  const acls: Record<string, { name: string; type: string; aces: Json[] }> = {};
  const add = (policy: "from" | "to", family: "ipv4" | "ipv6", ace: Omit<Json, "name">): void => {
    const name = `${policy}-${family}-${group.replace(/[^A-Za-z0-9_.-]/g, "-")}`;
    const acl = acls[name] ?? (acls[name] = { name, type: `${family}-acl-type`, aces: [] });
    acl.aces.push({ name: `${name}-${acl.aces.length}`, ...ace });
  };
  const ace = (proto: string, peer: Endpoint, side: "destination" | "source", port: { key: "destination-port" | "source-port"; range: [number, number] } | undefined, initiated: "from-device" | "to-device" | undefined): { family: "ipv4" | "ipv6"; body: Json } => {
    const pm = peerMatch(peer, side, own);
    const n = PROTO_NUMBER[proto];
    const matches: Json = {};
    if (pm.mud) matches["ietf-mud:mud"] = pm.mud;
    matches[pm.family] = { ...(n !== undefined ? { protocol: n } : {}), ...pm.l3 };
    if (proto === "tcp" || proto === "udp") {
      const l4: Json = {};
      if (port) l4[port.key] = portMatch(port.range);
      if (proto === "tcp" && initiated) l4["ietf-mud:direction-initiated"] = initiated;
      if (Object.keys(l4).length) matches[proto] = l4;
    } else if (proto === "icmp") {
      matches.icmp = {};
    }
    return { family: pm.family, body: { matches, actions: { forwarding: "accept" } } };
  };
  for (const r of rules) {
    const deviceStarts = isSelf(r.from);
    if (!deviceStarts && !isSelf(r.to)) continue;
    const peer = deviceStarts ? r.to : r.from;
    const ranges: ([number, number] | undefined)[] = r.ports.length ? r.ports : [undefined];
    for (const range of ranges) {
      // The opening direction carries the responder's port as destination; the reply, as source.
      const open = ace(r.proto, peer, deviceStarts ? "destination" : "source", range && { key: "destination-port", range }, deviceStarts ? "from-device" : "to-device");
      add(deviceStarts ? "from" : "to", open.family, open.body);
      // A reply is told from an opening by its source port, or for TCP by the direction of
      // initiation; UDP and ICMP rules without ports get the opening ACE only.
      if (!range && r.proto !== "tcp") continue;
      const reply = ace(r.proto, peer, deviceStarts ? "source" : "destination", range && { key: "source-port", range }, range ? undefined : deviceStarts ? "from-device" : "to-device");
      add(deviceStarts ? "to" : "from", reply.family, reply.body);
    }
  }
  const refs = (policy: "from" | "to"): Json => ({ "access-lists": { "access-list": Object.keys(acls).filter((n) => n.startsWith(`${policy}-`)).map((name) => ({ name })) } });
  const mud: Json = {
    "mud-version": 1, "mud-url": meta.url, "last-update": meta.lastUpdate, "cache-validity": meta.cacheValidity ?? 48,
    "is-supported": true, systeminfo: meta.systeminfo,
    ...(meta.mfgName ? { "mfg-name": meta.mfgName } : {}), ...(meta.modelName ? { "model-name": meta.modelName } : {}),
    "from-device-policy": refs("from"), "to-device-policy": refs("to"),
  };
  return { "ietf-mud:mud": mud, "ietf-access-control-list:acls": { acl: Object.values(acls).map((a) => ({ name: a.name, type: a.type, aces: { ace: a.aces } })) } };
}
