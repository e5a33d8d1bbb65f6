import type { DnsAnswer } from "../model/dns-answer.js";
import type { FlowRecord } from "../model/flow-record.js";

/** What the baseline and policy learning need to know of a device to place a flow's ends. */
export interface SiteDevice {
  key: string;
  mac?: string;
  ips: string[];
  category: string;
  router: boolean;
  /** Its dns.answer facts, read. */
  dnsAnswers: DnsAnswer[];
  /** Names it looked up (dns.query facts), when the reader needs them. */
  dnsQueries?: string[];
}

/**
 * The site's DNS answers as names and addresses. CNAME chains are followed both ways: an
 * address is named by the name a device asked for (the chain's head), not the CDN or load
 * balancer name at its tail, and a name's addresses include those of its CNAME targets.
 */
export class DnsView {
  private readonly owner = new Map<string, string>();
  private readonly aliasOf = new Map<string, string>();
  private readonly targets = new Map<string, Set<string>>();
  private readonly addresses = new Map<string, Set<string>>();

  constructor(devices: Iterable<SiteDevice>) {
    for (const d of devices) {
      for (const { name, type, data } of d.dnsAnswers) {
        if (type === "A" || type === "AAAA") {
          this.owner.set(data, name);
          this.addresses.set(name, (this.addresses.get(name) ?? new Set()).add(data));
        } else if (type === "CNAME") {
          this.aliasOf.set(data, name);
          this.targets.set(name, (this.targets.get(name) ?? new Set()).add(data));
        }
      }
    }
  }

  /** The name a device asked for that led to this address. */
  nameFor(ip: string): string | undefined {
    let name = this.owner.get(ip);
    for (let hops = 0; name !== undefined && hops < 8; hops++) {
      const up = this.aliasOf.get(name);
      if (up === undefined || up === name) break;
      name = up;
    }
    return name;
  }

  /** Every address a name led to, through its CNAMEs. */
  addressesOf(name: string): string[] {
    const out = new Set<string>();
    const walk = (n: string, depth: number): void => {
      for (const a of this.addresses.get(n) ?? []) out.add(a);
      if (depth < 8) for (const t of this.targets.get(n) ?? []) walk(t, depth + 1);
    };
    walk(name, 0);
    return [...out];
  }
}

/**
 * Finds the device at each end of a flow (by MAC, unless the MAC is a router's and the
 * address is not the router's own, then by address: a router forwards others' traffic) and
 * the DNS name an external address was answered for.
 */
export class DeviceIndex<D extends SiteDevice> {
  private readonly byMac = new Map<string, D>();
  private readonly byIp = new Map<string, D>();
  private readonly dns: DnsView;

  constructor(devices: readonly D[]) {
    for (const d of devices) {
      if (d.mac) this.byMac.set(d.mac, d);
      if (!d.router) for (const ip of d.ips) this.byIp.set(ip, d);
    }
    this.dns = new DnsView(devices);
  }

  device(mac: string | undefined, ip: string): D | undefined {
    const m = mac ? this.byMac.get(mac) : undefined;
    if (m && (!m.router || m.ips.includes(ip))) return m;
    return this.byIp.get(ip);
  }

  src(f: FlowRecord): D | undefined {
    return this.device(f.srcMac, f.srcIp);
  }

  dst(f: FlowRecord): D | undefined {
    return this.device(f.dstMac, f.dstIp);
  }

  /** The DNS name the site's devices asked for that resolved to this address, if any. */
  dnsName(ip: string): string | undefined {
    return this.dns.nameFor(ip);
  }
}
