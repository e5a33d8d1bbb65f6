import type { Endpoint } from "../endpoint.js";
import { endpointKey, endpointLabel } from "../endpoint.js";
import type { PolicyRule, Protocol } from "../model.js";
import { GROUP_CONTROLLER, mudAuthority } from "../resolve.js";
import type { MudAce, MudPeer, MudProfile } from "./import.js";

/**
 * A MUD profile as policy rules for the group of devices it governs. Cordon's rules are
 * stateful "who may start what": each ACE is read as the connection it opens or the replies
 * it carries. A from-device ACE to a destination port (or initiated from the device) is the
 * device's own connection; a to-device ACE from a source port (a reply, as mudgee writes
 * them) is the same connection's return traffic and merges into that rule; an ACE to the
 * device's port, or initiated toward it, lets the peer connect. Drop ACEs (default deny
 * covers them), Ethernet-only ACEs and protocols no target can express are listed, with the
 * ACE's name, for review. Pure.
 */
export interface MudRules {
  rules: PolicyRule[];
  review: string[];
}

const PROTO: Record<number, Protocol> = { 6: "tcp", 17: "udp", 1: "icmp", 58: "icmp" };

function peerEndpoint(peer: MudPeer, profile: MudProfile): Endpoint {
  switch (peer.kind) {
    case "any": return "any";
    case "dns": return { dns: peer.name };
    case "network": return { cidr: peer.cidr };
    case "local-networks": return { mud: { kind: "local-networks" } };
    case "same-manufacturer": return { mud: { kind: "manufacturer", name: mudAuthority(profile.url) } };
    case "manufacturer": return { mud: { kind: "manufacturer", name: peer.name.toLowerCase() } };
    case "model": return { mud: { kind: "model", url: peer.url } };
    case "controller": return peer.uri.startsWith(GROUP_CONTROLLER) ? { group: peer.uri.slice(GROUP_CONTROLLER.length) } : { mud: { kind: "controller", uri: peer.uri } };
    case "my-controller": return { mud: { kind: "my-controller", url: profile.url } };
  }
}

/** Who starts the connection an ACE belongs to, and the responder's port range. */
function connection(a: MudAce): { deviceStarts: boolean; ports?: [number, number] } {
  if (a.policy === "from-device") {
    if (a.initiated === "to-device") return { deviceStarts: false, ports: a.srcPorts };
    if (a.initiated === "from-device" || a.dstPorts || !a.srcPorts) return { deviceStarts: true, ports: a.dstPorts };
    return { deviceStarts: false, ports: a.srcPorts };
  }
  if (a.initiated === "from-device") return { deviceStarts: true, ports: a.srcPorts };
  if (a.initiated === "to-device" || a.dstPorts || !a.srcPorts) return { deviceStarts: false, ports: a.dstPorts };
  return { deviceStarts: true, ports: a.srcPorts };
}

export function mudRules(profile: MudProfile, group: string): MudRules {
  const review: string[] = [];
  const self: Endpoint = { group };
  const merged = new Map<string, { from: Endpoint; to: Endpoint; proto: Protocol; ports: [number, number][]; any: boolean; aces: string[] }>();
  for (const a of profile.aces) {
    if (a.action !== "accept") {
      review.push(`${profile.url} ACE ${a.name}: ${a.action} is not imported (Cordon policies allow; default deny drops the rest)`);
      continue;
    }
    if (a.family === "eth" || (a.protocol === undefined && a.ethertype !== undefined && a.peer.kind === "any")) {
      review.push(`${profile.url} ACE ${a.name}: an Ethernet match (EtherType ${a.ethertype === undefined ? "any" : `0x${a.ethertype.toString(16).padStart(4, "0")}`}) that IP targets cannot express`);
      continue;
    }
    const proto: Protocol | undefined = a.protocol === undefined ? "any" : PROTO[a.protocol];
    if (!proto) {
      review.push(`${profile.url} ACE ${a.name}: IP protocol ${a.protocol} that no Cordon target can express`);
      continue;
    }
    const peer = peerEndpoint(a.peer, profile);
    const c = connection(a);
    const from = c.deviceStarts ? self : peer;
    const to = c.deviceStarts ? peer : self;
    const k = `${endpointKey(from)}|${endpointKey(to)}|${proto}`;
    const r = merged.get(k) ?? { from, to, proto, ports: [], any: false, aces: [] };
    merged.set(k, r);
    r.aces.push(a.name);
    if ((proto === "tcp" || proto === "udp") && c.ports && !(c.ports[0] <= 1 && c.ports[1] === 65535)) {
      if (!r.ports.some(([lo, hi]) => lo === c.ports![0] && hi === c.ports![1])) r.ports.push([Math.max(1, c.ports[0]), c.ports[1]]);
    } else {
      r.any = true;
    }
  }
  const rules = [...merged.values()].map((r, i): PolicyRule => {
    const ports = r.any ? [] : r.ports.sort((x, y) => x[0] - y[0] || x[1] - y[1]);
    const portText = ports.map(([lo, hi]) => (lo === hi ? `${lo}` : `${lo}-${hi}`)).join(",");
    return {
      id: `m${i + 1}`, from: r.from, to: r.to, proto: r.proto, ports, seen: 0,
      comment: `${endpointLabel(r.from)} -> ${endpointLabel(r.to)} ${r.proto}${portText ? `/${portText}` : ""} (MUD ${r.aces.join(", ")})`,
    };
  });
  return { rules, review };
}
