/** The enforcement points a policy compiles for (app/policies.ts compileFor), by the names the CLI and the API take. */
export const TARGETS = ["nftables", "iptables", "ip6tables", "cisco-acl", "per-user-acl", "dacl", "nas-filter-rule", "aruba", "mud"] as const;
export type Target = (typeof TARGETS)[number];
