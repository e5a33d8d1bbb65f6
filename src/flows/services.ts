import { readShippedJson } from "../model/shipped-data.js";

/**
 * Well-known services named by the host name a flow asked for (TLS SNI, HTTP Host, the DNS
 * question), as nDPI names "TLS.Amazon": data/services/services.json, longest domain suffix
 * first. A flow's application protocol says how it talks; its service says to whom.
 */
export class ServiceTableError extends Error {}

const SERVICE_NAME = /^[a-z0-9]+(-[a-z0-9]+)*$/;
const DOMAIN = /^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,62}$/;
const MAX_LABELS = 16;

export class ServiceTable {
  private readonly byDomain = new Map<string, string>();

  /** Validates the table: names, domains, and no domain claimed by two services. */
  constructor(data: unknown, where: string) {
    const services = (data as { services?: unknown } | null)?.services;
    if (!Array.isArray(services)) throw new ServiceTableError(`${where}: "services" must be a list`);
    services.forEach((s: unknown, i) => {
      const at = `${where}: services[${i}]`;
      const { service, domains } = (s ?? {}) as { service?: unknown; domains?: unknown };
      if (typeof service !== "string" || !SERVICE_NAME.test(service)) throw new ServiceTableError(`${at}.service must be a lower-case name with dashes`);
      if (!Array.isArray(domains) || domains.length === 0) throw new ServiceTableError(`${at}.domains must be a non-empty list`);
      for (const d of domains) {
        if (typeof d !== "string" || !DOMAIN.test(d)) throw new ServiceTableError(`${at}: ${JSON.stringify(d)} is not a lower-case domain name`);
        const other = this.byDomain.get(d);
        if (other !== undefined) throw new ServiceTableError(`${at}: ${d} is already ${other}'s`);
        this.byDomain.set(d, service);
      }
    });
  }

  /** The service of a host name (an HTTP Host may carry a port): its longest suffix in the table, or undefined. */
  serviceOf(host: string): string | undefined {
    let name = host;
    const colon = name.indexOf(":");
    if (colon >= 0) {
      if (name.lastIndexOf(":") !== colon) return undefined; // an IPv6 literal
      name = name.slice(0, colon);
    }
    if (name.length > 0 && name.charCodeAt(name.length - 1) === 46) name = name.slice(0, -1);
    for (let i = 0; i < MAX_LABELS; i++) {
      const s = this.byDomain.get(name);
      if (s !== undefined) return s;
      const dot = name.indexOf(".");
      if (dot < 0) return undefined;
      name = name.slice(dot + 1);
    }
    return undefined;
  }
}

let shipped: ServiceTable | undefined;

/** The table shipped in data/services/services.json, read once. */
export function serviceTable(): ServiceTable {
  shipped ??= new ServiceTable(readShippedJson("services/services.json", (m) => new ServiceTableError(m)), "services.json");
  return shipped;
}
