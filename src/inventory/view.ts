import type { StoredDevice } from "./inventory.js";

const DAY_MS = 86_400_000;
/** Year 10000: from there `toISOString` writes six-digit years. */
const FOUR_DIGIT_YEARS_END_MS = 253_402_300_800_000;
const PAD2 = Array.from({ length: 60 }, (_, i) => String(i).padStart(2, "0"));
const PAD3 = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, "0"));
/** "YYYY-MM-DDT" of recent days (bounded): a printed inventory's times fall on a few days. */
const dayTexts = new Map<number, string>();

/**
 * ISO 8601 text of a record time in microseconds, as `Date.prototype.toISOString` writes it.
 * The date part is made once per day and the time of day by arithmetic: printing an
 * inventory or its flows writes hundreds of thousands of these.
 */
export function isoTime(us: number): string {
  const ms = Math.floor(us / 1000);
  if (!(ms >= 0 && ms < FOUR_DIGIT_YEARS_END_MS)) return new Date(ms).toISOString();
  const day = Math.floor(ms / DAY_MS);
  let date = dayTexts.get(day);
  if (date === undefined) {
    date = new Date(day * DAY_MS).toISOString().slice(0, 11);
    if (dayTexts.size >= 4096) dayTexts.clear();
    dayTexts.set(day, date);
  }
  let rest = ms - day * DAY_MS;
  const h = Math.floor(rest / 3_600_000);
  rest -= h * 3_600_000;
  const m = Math.floor(rest / 60_000);
  rest -= m * 60_000;
  const s = Math.floor(rest / 1000);
  return `${date}${PAD2[h]}:${PAD2[m]}:${PAD2[s]}.${PAD3[rest - s * 1000]}Z`;
}

/** The part of a device that names it: its facts as kind and value. */
export interface FactList {
  facts: readonly { kind: string; value: string }[];
}

/** Fact values by kind, grouped once per fact list (a view reads some twenty kinds of each device). */
const grouped = new WeakMap<FactList["facts"], Map<string, string[]>>();

function values(d: FactList, kind: string): string[] {
  let byKind = grouped.get(d.facts);
  if (!byKind) {
    byKind = new Map();
    for (const f of d.facts) {
      const list = byKind.get(f.kind);
      if (list) list.push(f.value);
      else byKind.set(f.kind, [f.value]);
    }
    grouped.set(d.facts, byKind);
  }
  return [...(byKind.get(kind) ?? [])];
}

function first(d: StoredDevice, kind: string): string | undefined {
  return values(d, kind)[0];
}

/** Names a device gives itself, from DHCP, mDNS, LLMNR, LLDP, CDP, NetBIOS and Ubiquiti discovery, without duplicates. */
export function hostnames(d: FactList): string[] {
  const seen = new Map<string, string>();
  const add = (n: string): void => {
    const clean = n.replace(/\.$/, "").replace(/\.local$/i, "");
    if (clean && !seen.has(clean.toLowerCase())) seen.set(clean.toLowerCase(), clean);
  };
  for (const k of ["dhcp.hostname", "dhcp.fqdn", "dhcpv6.fqdn", "mdns.hostname", "llmnr.hostname", "lldp.system_name", "cdp.device_id", "netbios.name", "ubnt.hostname"]) {
    for (const v of values(d, k)) add(v);
  }
  return [...seen.values()];
}

/** The JSON shape of a device in `cordon analyze --format json` and `cordon devices`. */
/**
 * A device's addresses: those the inventory holds, and for a device known only by address
 * (NetFlow without MACs, raw-IP captures) the address that names it, first.
 */
export function addressesOf(d: Pick<StoredDevice, "mac" | "key"> & { addresses: readonly { ip: string }[] }): string[] {
  const held = d.addresses.map((a) => a.ip);
  if (d.mac !== null || !d.key.startsWith("ip:")) return held;
  const own = d.key.slice(3);
  return [own, ...held.filter((ip) => ip !== own)];
}

export function deviceView(d: StoredDevice): Record<string, unknown> {
  const v: Record<string, unknown> = {
    site: d.site,
    mac: d.mac,
    ips: addressesOf(d),
    oui_vendor: d.ouiVendor,
    randomized_mac: d.localMac,
    router: d.router,
    hostnames: hostnames(d),
    first_seen: isoTime(d.firstUs),
    last_seen: isoTime(d.lastUs),
    packets_out: d.packetsOut,
    packets_in: d.packetsIn,
    bytes_out: d.bytesOut,
    bytes_in: d.bytesIn,
  };
  const dhcp = {
    param_list: first(d, "dhcp.param_list"),
    vendor_class: first(d, "dhcp.vendor_class"),
    client_id: first(d, "dhcp.client_id"),
    max_size: first(d, "dhcp.max_size"),
    mud_url: first(d, "dhcp.mud_url"),
  };
  if (Object.values(dhcp).some((x) => x !== undefined)) v.dhcp = dhcp;
  const lists: [string, string][] = [
    ["dns_queries", "dns.query"], ["mdns_services", "mdns.service"], ["mdns_instances", "mdns.instance"],
    ["ssdp_servers", "ssdp.server"], ["user_agents", "http.user_agent"], ["http_servers", "http.server"],
    ["tls_sni", "tls.sni"], ["ja4", "tls.ja4"],
  ];
  for (const [name, kind] of lists) {
    const xs = values(d, kind);
    if (kind === "http.user_agent") xs.push(...values(d, "ssdp.user_agent"));
    if (xs.length > 0) v[name] = xs;
  }
  const lldp = {
    system_name: first(d, "lldp.system_name"),
    system_description: first(d, "lldp.system_description"),
    capabilities: first(d, "lldp.capabilities"),
    management_address: first(d, "lldp.management_address"),
    port_id: first(d, "lldp.port_id"),
  };
  if (Object.values(lldp).some((x) => x !== undefined)) v.lldp = lldp;
  const cdp = {
    device_id: first(d, "cdp.device_id"),
    platform: first(d, "cdp.platform"),
    software_version: first(d, "cdp.software_version"),
    capabilities: first(d, "cdp.capabilities"),
    management_address: first(d, "cdp.management_address"),
    port_id: first(d, "cdp.port_id"),
  };
  if (Object.values(cdp).some((x) => x !== undefined)) v.cdp = cdp;
  const upnp = {
    device_type: first(d, "upnp.device_type"),
    manufacturer: first(d, "upnp.manufacturer"),
    model_name: first(d, "upnp.model_name"),
    model_number: first(d, "upnp.model_number"),
    model_description: first(d, "upnp.model_description"),
    firmware: first(d, "upnp.firmware"),
  };
  if (Object.values(upnp).some((x) => x !== undefined)) v.upnp_description = upnp;
  const hnap = {
    vendor: first(d, "hnap.vendor"),
    model: first(d, "hnap.model"),
    description: first(d, "hnap.description"),
    firmware: first(d, "hnap.firmware"),
    hardware: first(d, "hnap.hardware"),
    module_types: values(d, "hnap.module_type").join(", ") || undefined,
  };
  if (Object.values(hnap).some((x) => x !== undefined)) v.hnap = hnap;
  if (d.router) v.endpoints_behind = d.endpoints;
  return v;
}

/** Every fact of a device with its evidence, for `cordon device`. */
export function deviceDetail(d: StoredDevice): Record<string, unknown> {
  return {
    ...deviceView(d),
    addresses: d.addresses.map((a) => ({
      ip: a.ip, origin: a.origin, first_seen: isoTime(a.firstUs), last_seen: isoTime(a.lastUs),
      evidence: { source: a.source, packet: a.packet },
    })),
    facts: d.facts.map((f) => ({
      kind: f.kind, value: f.value, count: f.count, first_seen: isoTime(f.firstUs), last_seen: isoTime(f.lastUs),
      evidence: { source: f.source, packet: f.packet, time: isoTime(f.firstUs) },
    })),
  };
}
