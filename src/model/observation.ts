/**
 * The closed list of observation kinds: one fact about one device. Classifier rules and
 * detectors name these, so every kind is listed here and nowhere else.
 */
export const OBSERVATION_KINDS = {
  "arp.claim": "the device answered or announced ARP for this IPv4 address",
  "ndp.claim": "the device advertised or solicited from this IPv6 address (neighbour discovery)",
  "ndp.router": "the device sent an IPv6 router advertisement",
  "dhcp.hostname": "DHCP option 12 host name",
  "dhcp.requested_ip": "DHCP option 50 requested address",
  "dhcp.param_list": "DHCP option 55 parameter request list, comma-separated in order",
  "dhcp.max_size": "DHCP option 57 maximum message size",
  "dhcp.vendor_class": "DHCP option 60 vendor class identifier",
  "dhcp.client_id": "DHCP option 61 client identifier, hex",
  "dhcp.fqdn": "DHCP option 81 client FQDN",
  "dhcp.mud_url": "DHCP option 161 MUD URL (RFC 8520)",
  "dhcp.assigned_ip": "address a DHCP server acknowledged for the device",
  "dhcp.server": "the device answered DHCP as a server (option 54 server identifier)",
  "dhcpv6.duid": "DHCPv6 client DUID, hex",
  "dhcpv6.option_request": "DHCPv6 option request list",
  "dhcpv6.vendor_class": "DHCPv6 vendor class (enterprise number and data)",
  "dhcpv6.fqdn": "DHCPv6 client FQDN",
  "dns.query": "a name the device looked up",
  "dns.answer": "an answer the device received: name, type, data",
  "dns.server": "the device answered DNS queries",
  "mdns.hostname": "a host name the device announced over mDNS",
  "mdns.service": "a service type the device announced over mDNS",
  "mdns.instance": "a service instance the device announced over mDNS",
  "mdns.txt": "a TXT key=value the device announced over mDNS",
  "mdns.query": "a name the device asked for over mDNS",
  "llmnr.query": "a name the device asked for over LLMNR",
  "llmnr.hostname": "a name the device answered for over LLMNR",
  "ssdp.server": "SSDP SERVER header the device sent",
  "ssdp.usn": "SSDP USN the device announced",
  "ssdp.nt": "SSDP notification type or search target the device answered",
  "ssdp.location": "SSDP LOCATION URL of the device's description",
  "ssdp.search": "SSDP search target the device asked for (ST in M-SEARCH)",
  "ssdp.user_agent": "SSDP USER-AGENT header the device sent",
  "http.host": "HTTP Host the device requested",
  "http.user_agent": "HTTP User-Agent the device sent",
  "http.server": "HTTP Server header the device answered with",
  "tls.sni": "TLS server name the device asked for",
  "tls.alpn": "TLS ALPN values the device offered",
  "tls.ja4": "JA4-style fingerprint of the device's TLS ClientHello",
  "tls.client_version": "highest TLS version the device offered",
  "tls.server_version": "TLS version the device chose as a server",
  "tls.server_alpn": "ALPN value the device chose as a server",
  "lldp.chassis_id": "LLDP chassis id",
  "lldp.port_id": "LLDP port id",
  "lldp.system_name": "LLDP system name",
  "lldp.system_description": "LLDP system description",
  "lldp.capabilities": "LLDP enabled system capabilities",
  "lldp.management_address": "LLDP management address",
  "lldp.mud_url": "MUD URL announced in LLDP (RFC 8520)",
  "cdp.device_id": "CDP device id",
  "cdp.platform": "CDP platform",
  "cdp.software_version": "CDP software version",
  "cdp.capabilities": "CDP capabilities",
  "cdp.port_id": "CDP port id",
  "cdp.management_address": "CDP management or interface address",
  "ntp.client": "the device asked for time (NTP version)",
  "ntp.server": "the device served time (NTP version and stratum)",
} as const;

export type ObservationKind = keyof typeof OBSERVATION_KINDS;

/**
 * Which end of the current packet an observation is about, or an explicit device by its MAC
 * (a 48-bit number, as the dissectors read it from the payload).
 */
export type Subject = "src" | "dst" | { mac: number };

/** One fact about one device, with where it came from. */
export interface Observation {
  kind: ObservationKind;
  value: string;
  /** Device MAC (lower-case, colons) when known. */
  mac?: string;
  /** Device IP, used to find the device when there is no MAC. */
  ip?: string;
  tsUs: number;
  /** Frame number in the source capture. */
  packet: number;
}
