import { isGroupIp, isPrivateIp } from "../net/addr.js";
import type { FlowRecord } from "../model/flow-record.js";
import type { Detector, DetectorContext } from "./engine.js";
import { flowRef } from "./engine.js";

/**
 * ARP (and NDP) spoofing: an address claimed by a second MAC while its holder still claims it
 * (within CONFLICT_US); a MAC that claims many addresses in a short time; and the
 * man-in-the-middle shape: a host's internet traffic carried by two next-hop MACs, one of
 * which ARP-claims a host address of its own (a poisoner relaying for the real gateway). A
 * change of holder after a quiet spell is a reassignment, not an attack.
 */
const CONFLICT_US = 600_000_000;
const MANY_WINDOW_US = 600_000_000;
const MANY = 16;
const MAX_ADDRESSES = 100_000;


/** A map of at most MAX_ADDRESSES entries: a new key past it lets the oldest go, counted. */
function makeRoom<K, V>(m: Map<K, V>, count: () => void): void {
  if (m.size < MAX_ADDRESSES) return;
  m.delete(m.keys().next().value!);
  count();
}

export function arpSpoofDetector(): Detector {
  let evicted = 0;
  const gone = (): void => void evicted++;
  const holder = new Map<string, { mac: string; lastUs: number }>();
  /** Per MAC: the addresses it claimed, in the order last claimed, and the newest of them. */
  const claims = new Map<string, { ips: Map<string, number>; newest: string }>();
  /** Per site and private host: the MACs that carried its internet traffic, with when. */
  const nextHops = new Map<string, Map<string, number>>();
  const relayCheck = (site: string, host: string, nowUs: number, ctx: DetectorContext, f?: FlowRecord): void => {
    const hops = nextHops.get(site === "default" ? host : `${site}|${host}`);
    if (!hops || hops.size < 2) return;
    for (const [mac, lastUs] of hops) {
      if (nowUs - lastUs > CONFLICT_US) continue;
      const own = claims.get(mac)?.ips;
      if (!own || own.size === 0) continue;
      const others = [...hops.keys()].filter((m) => m !== mac);
      ctx.raise({
        class: "arp-spoof", severity: "high", technique: "T1557.002", site, source: mac, sourceMac: mac, target: host, episode: "relay",
        title: `${mac}, which claims ${[...own.keys()].join(", ")}, relays ${host}'s traffic alongside ${others.join(", ")}: ARP poisoning, man in the middle`,
        tsUs: lastUs, flow: f ? flowRef(f) : undefined,
      });
    }
  };
  return {
    name: "arp-spoof",
    evicted: () => evicted,
    kinds: ["arp.claim", "ndp.claim"],
    flow(f, ctx) {
      if ((f.proto !== 6 && f.proto !== 17) || !f.srcMac || !f.dstMac) return;
      const out = isPrivateIp(f.srcIp);
      if (out === isPrivateIp(f.dstIp)) return; // internal, or transit: no next hop to judge
      const host = out ? f.srcIp : f.dstIp;
      const hop = out ? f.dstMac : f.srcMac;
      // Broadcast and multicast go to group MACs, not through a next hop.
      if (Number.parseInt(hop.slice(0, 2), 16) & 1 || isGroupIp(out ? f.dstIp : f.srcIp)) return;
      const key = f.site === "default" ? host : `${f.site}|${host}`;
      let hops = nextHops.get(key);
      if (!hops) {
        makeRoom(nextHops, gone);
        hops = new Map();
        nextHops.set(key, hops);
      }
      const known = hops.get(hop);
      if (known !== undefined) {
        if (f.lastUs > known) hops.set(hop, f.lastUs);
        return;
      }
      hops.set(hop, f.lastUs);
      relayCheck(f.site, host, f.lastUs, ctx, f);
    },
    finish(ctx) {
      for (const key of nextHops.keys()) {
        const bar = key.indexOf("|");
        const [site, host] = bar < 0 ? ["default", key] : [key.slice(0, bar), key.slice(bar + 1)];
        relayCheck(site, host, Math.max(...nextHops.get(key)!.values()), ctx);
      }
    },
    observation(e, ctx) {
      if ((e.kind !== "arp.claim" && e.kind !== "ndp.claim") || !e.mac) return;
      const key = e.site === "default" ? e.value : `${e.site}|${e.value}`;
      const h = holder.get(key);
      if (h && h.mac !== e.mac && e.tsUs - h.lastUs <= CONFLICT_US) {
        ctx.raise({
          class: "arp-spoof", severity: "high", technique: "T1557.002", site: e.site, source: e.mac, sourceMac: e.mac, target: e.value,
          title: `${e.mac} claims ${e.value}, which ${h.mac} holds (${e.kind === "arp.claim" ? "ARP" : "NDP"} spoofing)`,
          tsUs: e.tsUs, packet: { source: e.source, packet: e.packet, tsUs: e.tsUs }, observation: `${e.kind}=${e.value}`,
        });
        return; // the first holder keeps the address
      }
      if (h) {
        // A renewed claim moves to the end (once a minute at most): the budget lets go of addresses nobody claims any more.
        if (e.tsUs - h.lastUs > 60_000_000) {
          holder.delete(key);
          holder.set(key, h);
        }
        h.mac = e.mac;
        h.lastUs = e.tsUs;
      } else {
        makeRoom(holder, gone);
        holder.set(key, { mac: e.mac, lastUs: e.tsUs });
      }
      let claimed = claims.get(e.mac);
      if (!claimed) {
        makeRoom(claims, gone);
        claimed = { ips: new Map<string, number>(), newest: "" };
        claims.set(e.mac, claimed);
      }
      const mine = claimed.ips;
      // Kept in time order (a renewed claim moves to the end), so expiry stops at the first
      // fresh one. The newest claim renewed, the usual case, is already at the end.
      if (claimed.newest !== e.value) {
        mine.delete(e.value);
        claimed.newest = e.value;
      }
      mine.set(e.value, e.tsUs);
      if (mine.size >= MANY) {
        for (const [ip, t] of mine) {
          if (e.tsUs - t <= MANY_WINDOW_US) break;
          mine.delete(ip);
        }
      }
      if (mine.size >= MANY) {
        ctx.raise({
          class: "arp-spoof", severity: "medium", technique: "T1557.002", site: e.site, source: e.mac, sourceMac: e.mac,
          title: `${e.mac} claimed ${mine.size} addresses within ${MANY_WINDOW_US / 60e6} minutes`, tsUs: e.tsUs, episode: "many",
          packet: { source: e.source, packet: e.packet, tsUs: e.tsUs },
        });
      }
    },
  };
}
