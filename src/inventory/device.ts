import type { BehaviourAccumulator } from "../flows/behaviour.js";
import { isPrivateIp } from "../net/addr.js";
import type { ObservationKind } from "../model/observation.js";
import type { IdentityWatch } from "./identity.js";

/** Where a fact was learnt: the source (capture file, exporter) and the frame in it. */
export interface Evidence {
  source: string;
  packet: number;
  tsUs: number;
  /** The IP address the fact was sent from or to, when the packet had one. */
  ip?: string;
}

/** One value of one kind of fact about a device, with when it was first and last seen. */
export interface Fact {
  value: string;
  firstUs: number;
  lastUs: number;
  count: number;
  /** Part of `count` already written to the store. */
  savedCount: number;
  /** Where it was first seen. */
  evidence: Evidence;
  /** Held by the store when this run began (`Inventory.load`): the device's known history. */
  known?: boolean;
}

/** How an address came to belong to a device. */
export type AddressOrigin = "traffic" | "arp" | "ndp" | "dhcp" | "radius" | "asset";

export interface Address {
  ip: string;
  firstUs: number;
  lastUs: number;
  origin: AddressOrigin;
  evidence: Evidence;
}

/** Values kept per fact kind and device; more are counted, not stored. */
export const MAX_VALUES_PER_KIND = 256;

/** A router's local addresses seen only in traffic count as its own while there are at most this many (`ownAddresses`). */
export const OWN_LOCAL_TRAFFIC = 2;

/** A device as the traffic shows it. Keyed by site and MAC, or site and IP when no MAC is known. */
export class Device {
  readonly addresses = new Map<string, Address>();
  readonly facts = new Map<ObservationKind, Map<string, Fact>>();
  firstUs = Number.POSITIVE_INFINITY;
  lastUs = 0;
  packetsOut = 0;
  packetsIn = 0;
  bytesOut = 0;
  bytesIn = 0;
  router = false;
  factsDropped = 0;
  /** Counter values already written to the store (the store adds the difference). */
  readonly saved = { packetsOut: 0, packetsIn: 0, bytesOut: 0, bytesIn: 0 };
  /** Its recent identity-signal changes (inventory/identity.ts), once one changed. */
  identity: IdentityWatch | undefined = undefined;
  /** What the device's flows in this run looked like (created with its first finished flow). */
  behaviour: BehaviourAccumulator | undefined = undefined;
  /** The store's id for this device, once it has been saved or loaded. */
  storeId: number | undefined = undefined;
  /** Changed since the store last saw it. */
  dirty = true;
  /**
   * Bumped when a change can alter which addresses are the device's own: a confirmed address
   * added, an origin confirmed, or a local address seen in traffic while there are few of them
   * (`ownAddresses` counts a router's local traffic addresses as its own up to two). A router's
   * stream of new addresses, remote or local hosts behind it, does not: each bump makes the next
   * lookup work the own addresses out again over all of them.
   */
  addressVersion = 0;
  /** Local (private) addresses seen only in traffic. */
  private localTraffic = 0;

  constructor(
    readonly site: string,
    /** Lower-case colon form; undefined for devices known only by IP. */
    readonly mac: string | undefined,
    /** For devices without MAC: the IP that names them. */
    readonly ipKey: string | undefined,
    readonly ouiVendor: string | undefined,
    readonly localMac: boolean,
  ) {}

  seen(firstUs: number, lastUs: number): void {
    if (firstUs < this.firstUs) this.firstUs = firstUs;
    if (lastUs > this.lastUs) this.lastUs = lastUs;
    this.dirty = true;
  }

  /** Counts another sighting of a known fact; false when the fact is new (then call addFact). */
  touchFact(kind: ObservationKind, value: string, tsUs: number): boolean {
    const f = this.facts.get(kind)?.get(value);
    if (f === undefined) return false;
    f.count++;
    if (tsUs > f.lastUs) f.lastUs = tsUs;
    if (tsUs < f.firstUs) f.firstUs = tsUs;
    if (tsUs > this.lastUs) this.lastUs = tsUs;
    this.dirty = true;
    return true;
  }

  addFact(kind: ObservationKind, value: string, ev: Evidence): void {
    let byValue = this.facts.get(kind);
    if (!byValue) {
      byValue = new Map();
      this.facts.set(kind, byValue);
    }
    const f = byValue.get(value);
    if (f) {
      f.count++;
      if (ev.tsUs > f.lastUs) f.lastUs = ev.tsUs;
      if (ev.tsUs < f.firstUs) f.firstUs = ev.tsUs;
    } else if (byValue.size < MAX_VALUES_PER_KIND) {
      byValue.set(value, { value, firstUs: ev.tsUs, lastUs: ev.tsUs, count: 1, savedCount: 0, evidence: ev });
    } else {
      this.factsDropped++;
    }
    this.seen(ev.tsUs, ev.tsUs);
  }

  /** Adds a whole fact (count and times) taken from another device. */
  mergeFact(kind: ObservationKind, f: Fact): void {
    let byValue = this.facts.get(kind);
    if (!byValue) {
      byValue = new Map();
      this.facts.set(kind, byValue);
    }
    const mine = byValue.get(f.value);
    if (mine) {
      mine.count += f.count;
      if (f.firstUs < mine.firstUs) mine.firstUs = f.firstUs;
      if (f.lastUs > mine.lastUs) mine.lastUs = f.lastUs;
    } else if (byValue.size < MAX_VALUES_PER_KIND) {
      byValue.set(f.value, { ...f, savedCount: 0 });
    } else {
      this.factsDropped++;
    }
    this.seen(f.firstUs, f.lastUs);
  }

  /** Removes and returns the facts first seen from `ip` (they belong to a host behind a router). */
  takeFactsFrom(ip: string): [ObservationKind, Fact][] {
    const out: [ObservationKind, Fact][] = [];
    for (const [kind, values] of this.facts) {
      for (const [v, f] of values) {
        if (f.evidence.ip === ip && f.savedCount === 0) {
          values.delete(v);
          out.push([kind, f]);
        }
      }
    }
    return out;
  }

  /** Every fact as kind and value. */
  factList(): { kind: string; value: string }[] {
    const out: { kind: string; value: string }[] = [];
    for (const [kind, values] of this.facts) for (const value of values.keys()) out.push({ kind, value });
    return out;
  }

  factValues(kind: ObservationKind): string[] {
    const m = this.facts.get(kind);
    return m ? [...m.keys()] : [];
  }

  /** Returns true when the address is new to the device. */
  addAddress(ip: string, origin: AddressOrigin, ev: Evidence, lastUs = ev.tsUs): boolean {
    this.dirty = true;
    const a = this.addresses.get(ip);
    if (a) {
      if (ev.tsUs < a.firstUs) a.firstUs = ev.tsUs;
      if (lastUs > a.lastUs) a.lastUs = lastUs;
      if (a.origin === "traffic" && origin !== "traffic") {
        if (isPrivateIp(ip)) this.localTraffic--;
        a.origin = origin;
        this.addressVersion++;
      }
      return false;
    }
    this.addresses.set(ip, { ip, firstUs: ev.tsUs, lastUs, origin, evidence: ev });
    if (origin !== "traffic") this.addressVersion++;
    else if (isPrivateIp(ip) && ++this.localTraffic <= OWN_LOCAL_TRAFFIC + 1) this.addressVersion++;
    return true;
  }
}
