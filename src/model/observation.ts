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
  "ot.operation": "an operation that changes an OT device (write, stop, download...) the device sent, with its target",
  "ot.operation_received": "an operation that changes an OT device the device received, with its sender",
  "modbus.client": "a Modbus read or other non-changing function the device used as a client",
  "modbus.unit": "a Modbus unit id the device answered for",
  "modbus.exception": "a Modbus exception the device answered with",
  "modbus.vendor": "Modbus Read Device Identification: vendor name",
  "modbus.product_code": "Modbus Read Device Identification: product code",
  "modbus.revision": "Modbus Read Device Identification: major.minor revision",
  "modbus.product_name": "Modbus Read Device Identification: product name",
  "modbus.model_name": "Modbus Read Device Identification: model name",
  "s7.client": "an S7comm function the device used as a client (setup, read)",
  "s7.plus": "the device was addressed with S7comm-plus",
  "s7.order_number": "S7 module order number (SZL 0x0011)",
  "s7.firmware": "S7 firmware version (SZL 0x0011)",
  "s7.plc_name": "S7 PLC name (SZL 0x001C)",
  "s7.module_name": "S7 module name (SZL 0x001C)",
  "s7.serial": "S7 serial number (SZL 0x001C)",
  "s7.module_type": "S7 module type name (SZL 0x001C)",
  "cip.vendor_id": "CIP identity: vendor id",
  "cip.device_type": "CIP identity: device type",
  "cip.product_code": "CIP identity: product code",
  "cip.revision": "CIP identity: major.minor revision",
  "cip.serial": "CIP identity: serial number, hex",
  "cip.product_name": "CIP identity: product name",
  "cip.client": "a CIP service the device requested that changes nothing",
  "bacnet.device_instance": "BACnet device instance the device announced (I-Am)",
  "bacnet.vendor_id": "BACnet vendor id (I-Am or the vendor-identifier property)",
  "bacnet.remote_device": "a BACnet device behind this host (routed network, or forwarded by this BBMD): where, instance, vendor",
  "bacnet.object_name": "BACnet device object-name",
  "bacnet.vendor_name": "BACnet device vendor-name",
  "bacnet.model_name": "BACnet device model-name",
  "bacnet.firmware": "BACnet device firmware-revision",
  "bacnet.application_version": "BACnet device application-software-version",
  "bacnet.client": "a BACnet service the device requested that changes nothing (Who-Is, reads)",
  "dnp3.address": "DNP3 link address the device sent from, with its role (master or outstation)",
  "dnp3.client": "a DNP3 function the device used as master that changes nothing",
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
