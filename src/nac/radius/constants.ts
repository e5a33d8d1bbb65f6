/**
 * RADIUS numbers Cordon reads and writes: packet codes (RFC 2865, 2866, 5176, 5997),
 * attribute types, vendors and the values with meaning. Data only.
 */

export const CODE = {
  accessRequest: 1,
  accessAccept: 2,
  accessReject: 3,
  accountingRequest: 4,
  accountingResponse: 5,
  accessChallenge: 11,
  statusServer: 12,
  disconnectRequest: 40,
  disconnectAck: 41,
  disconnectNak: 42,
  coaRequest: 43,
  coaAck: 44,
  coaNak: 45,
} as const;

export const CODE_NAMES: Record<number, string> = Object.fromEntries(
  Object.entries({
    accessRequest: "Access-Request", accessAccept: "Access-Accept", accessReject: "Access-Reject",
    accountingRequest: "Accounting-Request", accountingResponse: "Accounting-Response", accessChallenge: "Access-Challenge",
    statusServer: "Status-Server", disconnectRequest: "Disconnect-Request", disconnectAck: "Disconnect-ACK",
    disconnectNak: "Disconnect-NAK", coaRequest: "CoA-Request", coaAck: "CoA-ACK", coaNak: "CoA-NAK",
  }).map(([k, v]) => [CODE[k as keyof typeof CODE], v]),
);

export const ATTR = {
  userName: 1,
  userPassword: 2,
  nasIpAddress: 4,
  nasPort: 5,
  serviceType: 6,
  framedIpAddress: 8,
  filterId: 11,
  replyMessage: 18,
  state: 24,
  class: 25,
  vendorSpecific: 26,
  sessionTimeout: 27,
  terminationAction: 29,
  calledStationId: 30,
  callingStationId: 31,
  nasIdentifier: 32,
  proxyState: 33,
  acctStatusType: 40,
  acctInputOctets: 42,
  acctOutputOctets: 43,
  acctSessionId: 44,
  acctSessionTime: 46,
  acctTerminateCause: 49,
  eventTimestamp: 55,
  nasPortType: 61,
  tunnelType: 64,
  tunnelMediumType: 65,
  eapMessage: 79,
  messageAuthenticator: 80,
  tunnelPrivateGroupId: 81,
  nasPortId: 87,
  nasFilterRule: 92,
  nasIpv6Address: 95,
  errorCause: 101,
  framedIpv6Address: 168,
} as const;

/** Service-Type values. */
export const SERVICE_TYPE = { login: 1, framed: 2, callCheck: 10 } as const;

/** Acct-Status-Type values. */
export const ACCT_STATUS_NAMES: Record<number, string> = { 1: "start", 2: "stop", 3: "interim", 7: "accounting-on", 8: "accounting-off" };

/** RFC 3580 VLAN assignment: Tunnel-Type VLAN, Tunnel-Medium-Type IEEE-802. */
export const TUNNEL_TYPE_VLAN = 13;
export const TUNNEL_MEDIUM_802 = 6;

export const VENDOR = { cisco: 9, microsoft: 311, aruba: 14823 } as const;

/** Vendor attribute types: Cisco-AVPair; Aruba-User-Role, Aruba-User-Vlan. */
export const CISCO_AVPAIR = 1;
export const ARUBA_USER_ROLE = 1;
export const ARUBA_USER_VLAN = 2;

/** RFC 5176 §3.5 Error-Cause values. */
export const ERROR_CAUSES: Record<number, string> = {
  201: "Residual Session Context Removed",
  202: "Invalid EAP Packet (Ignored)",
  401: "Unsupported Attribute",
  402: "Missing Attribute",
  403: "NAS Identification Mismatch",
  404: "Invalid Request",
  405: "Unsupported Service",
  406: "Unsupported Extension",
  407: "Invalid Attribute Value",
  501: "Administratively Prohibited",
  502: "Request Not Routable (Proxy)",
  503: "Session Context Not Found",
  504: "Session Context Not Removable",
  505: "Other Proxy Processing Error",
  506: "Resources Unavailable",
  507: "Request Initiated",
  508: "Multiple Session Selection Unsupported",
};

/** The RFC limits: a packet is 20 to 4096 bytes, an attribute value at most 253. */
export const HEADER_LENGTH = 20;
export const MAX_PACKET = 4096;
export const MAX_VALUE = 253;
