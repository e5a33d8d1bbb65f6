import type { FlowRecord } from "../model/flow-record.js";

/** What the baseline and policy learning need to know of a device to place a flow's ends. */
export interface SiteDevice {
  key: string;
  mac?: string;
  ips: string[];
  category: string;
  router: boolean;
  /** "name TYPE data" values of dns.answer facts. */
  dnsAnswers: string[];
}

/**
 * Finds the device at each end of a flow (by MAC, unless the MAC is a router's, then by
 * address; a router's traffic addresses are not its own) and the DNS name an external
 * address was answered for.
 */
export class DeviceIndex<D extends SiteDevice> {
  private readonly byMac = new Map<string, D>();
  private readonly byIp = new Map<string, D>();
  private readonly nameOf = new Map<string, string>();

  constructor(devices: Iterable<D>) {
    for (const d of devices) {
      if (d.mac) this.byMac.set(d.mac, d);
      if (!d.router) for (const ip of d.ips) this.byIp.set(ip, d);
      for (const a of d.dnsAnswers) {
        const [name, type, data] = a.split(" ");
        if ((type === "A" || type === "AAAA") && data) this.nameOf.set(data, name);
      }
    }
  }

  device(mac: string | undefined, ip: string): D | undefined {
    const m = mac ? this.byMac.get(mac) : undefined;
    return m && !m.router ? m : this.byIp.get(ip);
  }

  src(f: FlowRecord): D | undefined {
    return this.device(f.srcMac, f.srcIp);
  }

  dst(f: FlowRecord): D | undefined {
    return this.device(f.dstMac, f.dstIp);
  }

  /** The DNS name the site's devices resolved to this address, if any. */
  dnsName(ip: string): string | undefined {
    return this.nameOf.get(ip);
  }
}
