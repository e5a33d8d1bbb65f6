import { isGroupMac, isLocalMac, isLoopbackIp, isPrivateIp, isUnspecifiedIp, macToString, parseMac } from "../net/addr.js";
import { IDENTITY_SIGNALS, checkIdentity } from "./identity.js";
import type { ObservationKind } from "../model/observation.js";
import { type AddressOrigin, Device, type Evidence, type Fact, OWN_LOCAL_TRAFFIC } from "./device.js";
import { ouiVendor } from "./oui.js";

/** An address as the store keeps it. */
export interface StoredAddress {
  ip: string;
  origin: string;
  firstUs: number;
  lastUs: number;
  source: string;
  packet: number;
}

/** A fact as the store keeps it, with the evidence of its first sighting. */
export interface StoredFact {
  kind: string;
  value: string;
  firstUs: number;
  lastUs: number;
  count: number;
  source: string;
  packet: number;
}

/** What the store keeps of a device, as `load` reads it back. */
export interface StoredDeviceState {
  id: number;
  site: string;
  key: string;
  mac: string | null;
  router: boolean;
  firstUs: number;
  lastUs: number;
  packetsOut: number;
  packetsIn: number;
  bytesOut: number;
  bytesIn: number;
  addresses: StoredAddress[];
  facts: StoredFact[];
}

/** A stored device as the store reads it back: its state, its OUI's organisation, and what is behind it. */
export interface StoredDevice extends StoredDeviceState {
  ouiVendor: string | null;
  localMac: boolean;
  /** Remote endpoints seen behind a router. */
  endpoints: number;
}

/**
 * A MAC that sends from more distinct addresses than this (not confirmed by ARP, ND or DHCP)
 * is a router: the addresses behind it are remote endpoints, not its own.
 */
export const ROUTER_MIN_IPV4 = 5;
export const ROUTER_MIN_IPV6 = 16;


const ADDRESS_KINDS: Partial<Record<ObservationKind, AddressOrigin>> = {
  "arp.claim": "arp",
  "ndp.claim": "ndp",
  "dhcp.assigned_ip": "dhcp",
  "nac.assigned_ip": "radius",
};

/**
 * Devices by site and MAC (site and IP when no MAC is known). Folds traffic bindings,
 * observations and flow counters into devices; never reads the wall clock.
 */
/**
 * What the store must add for one device since it last saved it, as plain values: its
 * identity, the counters' increase, its own addresses, the endpoints behind it (a router) and
 * each fact's new sightings. The store merges it (counters add, times widen) and so two
 * sensors writing the same device lose nothing and count nothing twice.
 */
export interface DeviceChange extends Omit<StoredDeviceState, "id" | "addresses" | "facts">, Pick<StoredDevice, "ouiVendor" | "localMac"> {
  /** A router's traffic-learned addresses are not its own: the stored ones go. */
  dropTrafficAddresses: boolean;
  /** Its own addresses (`key` is the MAC, else `ip:` and the address; counters are the increase since the last save). */
  addresses: StoredAddress[];
  endpoints: { ip: string; firstUs: number; lastUs: number }[];
  /** `count` is the number of sightings since the last save. */
  facts: StoredFact[];
}

/** A device's change waiting to be stored; `saved` tells the inventory the store took it, under that id. */
export interface PendingChange {
  change: DeviceChange;
  saved(id: number): void;
}

export class Inventory {
  readonly devices = new Map<string, Device>();
  /** Site → address → the MAC device holding it, for sources that name hosts by address only. */
  private readonly addressOwners = new Map<string, Map<string, Device>>();
  private readonly byMac = new Map<string, Map<number, Device>>();
  /**
   * Site → address → the device known by that address. Keyed by the address text itself (the
   * callers' strings are kept ones), so a lookup builds no "site\tip:…" key per flow record.
   */
  private readonly byAddress = new Map<string, Map<string, Device>>();

  /**
   * `loopback`: read traffic on the loopback interface as a network (simulator and lab
   * captures recorded on lo): the all-zero MAC and loopback addresses name devices. Off by
   * default: a host talking to itself is no device on the network.
   */
  constructor(private readonly o: { loopback?: boolean } = {}) {}

  private static within<T>(outer: Map<string, Map<string, T>>, site: string): Map<string, T> {
    let m = outer.get(site);
    if (!m) {
      m = new Map();
      outer.set(site, m);
    }
    return m;
  }

  /**
   * The device behind a MAC at a site, created on first sight. Group MACs are not devices, nor
   * (unless `loopback`) is the all-zero MAC: the loopback interface's frames, and captures
   * written by tools that fill in no MAC.
   */
  byMacNumber(site: string, mac: number): Device | undefined {
    if (mac < 0 || isGroupMac(mac) || (mac === 0 && !this.o.loopback)) return undefined;
    let m = this.byMac.get(site);
    if (!m) {
      m = new Map();
      this.byMac.set(site, m);
    }
    let d = m.get(mac);
    if (!d) {
      const text = macToString(mac);
      d = new Device(site, text, undefined, ouiVendor(mac), isLocalMac(mac));
      m.set(mac, d);
      this.devices.set(`${site}\t${text}`, d);
    }
    return d;
  }

  /**
   * Starts from what the store already holds, so a second capture or a restart continues the
   * same devices: settled fingerprints stay settled and counters only add what is new.
   */
  load(stored: readonly StoredDeviceState[]): void {
    for (const s of stored) {
      const mac = s.mac ? parseMac(s.mac) : undefined;
      const d = mac !== undefined ? this.byMacNumber(s.site, mac) : s.key.startsWith("ip:") ? this.byIp(s.site, s.key.slice(3)) : undefined;
      if (!d) continue;
      d.storeId = s.id;
      d.firstUs = Math.min(d.firstUs, s.firstUs);
      d.lastUs = Math.max(d.lastUs, s.lastUs);
      d.router = d.router || s.router;
      d.packetsOut = d.saved.packetsOut = s.packetsOut;
      d.packetsIn = d.saved.packetsIn = s.packetsIn;
      d.bytesOut = d.saved.bytesOut = s.bytesOut;
      d.bytesIn = d.saved.bytesIn = s.bytesIn;
      for (const a of s.addresses) {
        d.addAddress(a.ip, a.origin as AddressOrigin, { source: a.source, packet: a.packet, tsUs: a.firstUs }, a.lastUs);
        this.claim(d, a.ip);
      }
      for (const f of s.facts) {
        d.mergeFact(f.kind as ObservationKind, {
          value: f.value, firstUs: f.firstUs, lastUs: f.lastUs, count: f.count, savedCount: f.count,
          evidence: { source: f.source, packet: f.packet, tsUs: f.firstUs },
        });
        const kept = d.facts.get(f.kind as ObservationKind)?.get(f.value);
        if (kept) {
          kept.savedCount = kept.count;
          kept.known = true;
        }
      }
      d.dirty = false;
    }
  }

  /** Devices let go from memory by `letGoIdle` (they stay in the store). */
  evicted = 0;

  /**
   * The devices changed since the store last saw them, as values (`DeviceChange`). Nothing is
   * marked saved until the store says it took a change (in the same turn of the event loop):
   * a write that fails is made again, whole, at the next save.
   */
  unsaved(): PendingChange[] {
    const out: PendingChange[] = [];
    for (const d of this.devices.values()) {
      if (!d.dirty) continue;
      const own = new Set(ownAddresses(d));
      const facts: StoredFact[] = [];
      // The facts written and their counts then (two flat lists: a pair per fact was garbage on a first run's every fact).
      const written: Fact[] = [];
      const counts: number[] = [];
      for (const [kind, values] of d.facts) {
        for (const f of values.values()) {
          const delta = f.count - f.savedCount;
          if (delta === 0) continue;
          facts.push({ kind, value: f.value, firstUs: f.firstUs, lastUs: f.lastUs, count: delta, source: f.evidence.source, packet: f.evidence.packet });
          written.push(f);
          counts.push(f.count);
        }
      }
      const totals = { packetsOut: d.packetsOut, packetsIn: d.packetsIn, bytesOut: d.bytesOut, bytesIn: d.bytesIn };
      const change: DeviceChange = {
        site: d.site, key: d.mac ?? `ip:${d.ipKey}`, mac: d.mac ?? null, ouiVendor: d.ouiVendor ?? null, localMac: d.localMac, router: d.router,
        firstUs: Number.isFinite(d.firstUs) ? d.firstUs : d.lastUs, lastUs: d.lastUs,
        packetsOut: totals.packetsOut - d.saved.packetsOut, packetsIn: totals.packetsIn - d.saved.packetsIn,
        bytesOut: totals.bytesOut - d.saved.bytesOut, bytesIn: totals.bytesIn - d.saved.bytesIn,
        dropTrafficAddresses: d.router,
        addresses: [...d.addresses.values()].filter((a) => own.has(a.ip))
          .map((a) => ({ ip: a.ip, origin: a.origin, firstUs: a.firstUs, lastUs: a.lastUs, source: a.evidence.source, packet: a.evidence.packet })),
        endpoints: endpointsBehind(d).map((ip) => {
          const a = d.addresses.get(ip)!;
          return { ip, firstUs: a.firstUs, lastUs: a.lastUs };
        }),
        facts,
      };
      out.push({
        change,
        saved: (id) => {
          d.storeId = id;
          Object.assign(d.saved, totals);
          for (let i = 0; i < written.length; i++) written[i].savedCount = counts[i];
          d.dirty = false;
        },
      });
    }
    return out;
  }

  /**
   * Keeps at most `max` devices in memory (serve calls it after each save): past it, devices
   * saved and quiet since `quietBeforeUs` go, the longest known first, until 90% of the budget
   * is left. They stay in the store; one that is seen again starts a new in-memory record
   * whose counters and facts the store adds to what it holds. A device seen since then (or
   * not yet saved) stays, so a live flow never holds a device the inventory forgot (flows
   * end within the active timeout, well inside any sensible `quietBeforeUs`). Returns how
   * many went.
   */
  letGoIdle(max: number, quietBeforeUs: number): number {
    if (this.devices.size <= max) return 0;
    const target = Math.floor(max * 0.9);
    let gone = 0;
    for (const [key, d] of this.devices) {
      if (this.devices.size <= target) break;
      if (d.dirty || d.lastUs >= quietBeforeUs) continue;
      this.devices.delete(key);
      if (d.mac !== undefined) this.byMac.get(d.site)?.delete(parseMac(d.mac)!);
      if (d.ipKey !== undefined && this.byAddress.get(d.site)?.get(d.ipKey) === d) this.byAddress.get(d.site)!.delete(d.ipKey);
      const owners = this.addressOwners.get(d.site);
      if (owners) for (const ip of d.addresses.keys()) if (owners.get(ip) === d) owners.delete(ip);
      gone++;
    }
    this.evicted += gone;
    return gone;
  }

  /** A device known only by its IP (captures without link-layer addresses). */
  byIp(site: string, ip: string): Device {
    const bySite = Inventory.within(this.byAddress, site);
    let d = bySite.get(ip);
    if (!d) {
      d = new Device(site, undefined, ip, undefined, false);
      this.devices.set(`${site}\tip:${ip}`, d);
      bySite.set(ip, d);
    }
    return d;
  }

  /**
   * An IP seen in traffic from or to a MAC (undefined when the address belongs to no device:
   * multicast, broadcast, unspecified). Local IPs of MAC-less captures become devices; remote
   * ones are endpoints, not devices.
   */
  bindTraffic(site: string, mac: number, ip: string | undefined, ev: Evidence, lastUs: number): Device | undefined {
    // An unspecified address is no device's address; nor, unless asked, a loopback one.
    if (ip !== undefined && (isUnspecifiedIp(ip) || (!this.o.loopback && isLoopbackIp(ip)))) ip = undefined;
    if (mac >= 0) {
      const d = this.byMacNumber(site, mac);
      if (!d) return undefined;
      d.seen(ev.tsUs, lastUs);
      if (ip !== undefined && d.addAddress(ip, "traffic", ev, lastUs) && !d.router) {
        this.claim(d, ip);
        this.checkRouter(d);
      }
      return d;
    }
    if (ip === undefined) return undefined;
    // A source without MACs (NetFlow, Zeek) names a device by address: the MAC device that
    // holds the address when there is one, else (for a site's own range) a device by IP.
    const owner = this.addressOwners.get(site)?.get(ip);
    // A router's traffic addresses are the hosts behind it; only its confirmed ones are its own.
    if (owner && (!owner.router || owner.addresses.get(ip)?.origin !== "traffic")) {
      owner.seen(ev.tsUs, lastUs);
      return owner;
    }
    if (!isPrivateIp(ip)) return undefined;
    const d = this.byIp(site, ip);
    d.seen(ev.tsUs, lastUs);
    return d;
  }

  /**
   * The device at one end of traffic: by its MAC (a group MAC names no single device, so the
   * address decides then), else by its address. Behind a router, a local host becomes a device
   * of its own (by address) and a remote one is an endpoint: the router's MAC carries them.
   */
  bindEnd(site: string, mac: number, ip: string | undefined, ev: Evidence, lastUs: number): Device | undefined {
    // A frame with the all-zero MAC (a tool that filled in none) is named by its address, as a
    // MAC-less source's would be.
    const own = mac >= 0 && !isGroupMac(mac) && (mac !== 0 || this.o.loopback) ? mac : -1;
    const d = this.bindTraffic(site, own, ip, ev, lastUs);
    if (d !== undefined && ip !== undefined && d.router && this.relays(d, ip)) return this.bindTraffic(site, -1, ip, ev, lastUs);
    return d;
  }

  /** The newest MAC device to use or be given an address owns it. */
  private claim(d: Device, ip: string): void {
    if (d.mac !== undefined) Inventory.within(this.addressOwners, d.site).set(ip, d);
  }

  /**
   * A router either sends from many addresses, or sends from public IPv4 addresses while it
   * also holds a private one: a LAN host does not have both on one interface.
   */
  private checkRouter(d: Device): void {
    let v4 = 0;
    let v6 = 0;
    let privateV4 = false;
    let publicV4 = false;
    for (const a of d.addresses.values()) {
      if (a.ip.includes(":")) {
        if (a.origin === "traffic") v6++;
        continue;
      }
      if (isPrivateIp(a.ip)) privateV4 = true;
      else if (a.origin === "traffic") publicV4 = true;
      if (a.origin === "traffic") v4++;
    }
    if (v4 >= ROUTER_MIN_IPV4 || v6 >= ROUTER_MIN_IPV6 || (privateV4 && publicV4)) this.becomeRouter(d);
  }

  /**
   * A MAC turned out to be a router: facts it was credited with before, sent from addresses it
   * relays, move to the hosts behind it (by IP when local; dropped when remote).
   */
  private becomeRouter(d: Device): void {
    d.router = true;
    const moved = new Map<string, Device | undefined>();
    for (const a of d.addresses.values()) {
      if (a.origin !== "traffic" || !this.relays(d, a.ip)) continue;
      for (const [kind, f] of d.takeFactsFrom(a.ip)) {
        if (!moved.has(a.ip)) moved.set(a.ip, isPrivateIp(a.ip) ? this.byIp(d.site, a.ip) : undefined);
        const host = moved.get(a.ip);
        if (!host) continue;
        host.mergeFact(kind, f);
      }
    }
  }

  private readonly ownCache = new WeakMap<Device, { version: number; own: Set<string> }>();

  /**
   * True when `ip` is an address a router relays rather than one of its own: facts and
   * traffic of that address belong to the host behind the router.
   */
  relays(d: Device, ip: string): boolean {
    if (!d.router) return false;
    let c = this.ownCache.get(d);
    if (!c || c.version !== d.addressVersion) {
      c = { version: d.addressVersion, own: new Set(ownAddresses(d)) };
      this.ownCache.set(d, c);
    }
    return !c.own.has(ip);
  }

  /**
   * A device that has shown one fingerprint several times and now shows another is recorded,
   * not silently absorbed: a different DHCP stack behind the same MAC is what a spoofed MAC
   * (or a replaced device) looks like.
   */
  /**
   * Another sighting of a fact the device already has: counts it (and keeps a claimed
   * address's last-seen time) without building evidence. False when the fact is new.
   */
  observeAgain(d: Device, kind: ObservationKind, value: string, tsUs: number): boolean {
    if (!d.touchFact(kind, value, tsUs)) return false;
    if (ADDRESS_KINDS[kind]) {
      const a = d.addresses.get(value);
      if (a && tsUs > a.lastUs) a.lastUs = tsUs;
    }
    return true;
  }

  /** One fact about a device; address facts also bind the address. */
  observe(d: Device, kind: ObservationKind, value: string, ev: Evidence): void {
    if (IDENTITY_SIGNALS.has(kind)) checkIdentity(d, kind, value, ev);
    d.addFact(kind, value, ev);
    const origin = ADDRESS_KINDS[kind];
    if (origin) {
      d.addAddress(value, origin, ev);
      this.claim(d, value);
    }
    if (kind === "ndp.router" && !d.router) this.becomeRouter(d);
  }

}

/**
 * The addresses that belong to a device itself. A router's traffic addresses are the
 * endpoints behind it; only those confirmed by ARP, ND or DHCP are its own, plus its local
 * addresses when it has at most two of them.
 */
export function ownAddresses(d: Device): string[] {
  const all = [...d.addresses.values()];
  if (!d.router) return all.map((a) => a.ip);
  const confirmed = all.filter((a) => a.origin !== "traffic");
  const local = all.filter((a) => a.origin === "traffic" && isPrivateIp(a.ip));
  const own = local.length <= OWN_LOCAL_TRAFFIC ? [...confirmed, ...local] : confirmed;
  return [...new Set(own.map((a) => a.ip))];
}

/** Remote addresses seen behind a router. */
export function endpointsBehind(d: Device): string[] {
  if (!d.router) return [];
  const own = new Set(ownAddresses(d));
  return [...d.addresses.keys()].filter((ip) => !own.has(ip));
}
