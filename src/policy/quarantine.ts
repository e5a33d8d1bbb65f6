import { type ResolvedPolicy, isIpv4Prefix, isIpv6Prefix } from "./model.js";

/**
 * The quarantine ACL as a one-group policy: the device may reach the management addresses
 * (any protocol) and DHCP, nothing else. Compiled by the same compilers as every policy.
 */
export function quarantinePolicy(allow: readonly string[]): ResolvedPolicy {
  const v4 = allow.filter(isIpv4Prefix);
  const v6 = allow.filter(isIpv6Prefix);
  return {
    name: "quarantine", version: 1, mode: "enforce", managed: "quarantine",
    sets: [
      { name: "quarantine", v4: ["0.0.0.0/0"], v6: v6.length > 0 ? ["::/0"] : [], members: ["quarantined devices"] },
      { name: "quarantine-management", v4, v6, members: [...allow] },
    ],
    rules: [
      { id: "q1", comment: "quarantined devices reach the quarantine management interface", from: "quarantine", to: "quarantine-management", proto: "any", ports: [] },
      { id: "q2", comment: "DHCP, so a quarantined device gets an address in the quarantine VLAN", from: "quarantine", to: "any", proto: "udp", ports: [[67, 67]] },
    ],
  };
}
