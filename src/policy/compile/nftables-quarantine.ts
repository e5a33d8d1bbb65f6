import { canonicalMac } from "../../model/mac.js";
import { canonicalIp } from "../../model/values.js";
import { commentText, isIpv4Prefix, isIpv6Prefix } from "../model.js";

export interface QuarantinedDevice {
  mac: string;
  v4: string[];
  v6: string[];
}

/**
 * The firewall quarantine: one `table inet cordon_quarantine`, replaced atomically, apart
 * from the policy's table so quarantine works with or without an enforced policy. Its
 * forward chain runs before the policy's (priority filter - 10) and has no "established"
 * pass: a quarantined device's open connections are cut too. It may reach the management
 * addresses and DHCP; everything else from or to it is counted, logged and dropped. Pure.
 *
 * The script is piped to `nft -f` as root, and its addresses come from the inventory (traffic,
 * Zeek logs, NetFlow): only values that parse as an address of the set's family are written,
 * in their canonical spelling, so no stored text can add a statement.
 */
export function compileQuarantineNftables(devices: readonly QuarantinedDevice[], allow: readonly string[]): string {
  const ofFamily = (list: readonly string[], v6: boolean): string[] =>
    list.map(canonicalIp).filter((a): a is string => a !== undefined && a.includes(":") === v6);
  const q4 = [...new Set(devices.flatMap((d) => ofFamily(d.v4, false)))];
  const q6 = [...new Set(devices.flatMap((d) => ofFamily(d.v6, true)))];
  const m4 = allow.filter(isIpv4Prefix);
  const m6 = allow.filter(isIpv6Prefix);
  const set = (name: string, type: string, elements: string[]): string[] => [
    `\tset ${name} {`, `\t\ttype ${type}`, "\t\tflags interval",
    ...(elements.length > 0 ? ["\t\tauto-merge", `\t\telements = { ${elements.join(", ")} }`] : []), "\t}",
  ];
  const lines = [
    `# Cordon quarantine: ${devices.length} device(s). Load with: nft -f FILE`,
    "table inet cordon_quarantine",
    "delete table inet cordon_quarantine",
    "table inet cordon_quarantine {",
  ];
  for (const d of devices) {
    const known = [...ofFamily(d.v4, false), ...ofFamily(d.v6, true)];
    lines.push(`\t# ${canonicalMac(d.mac) ?? "(not a MAC)"}: ${commentText(known.join(", ") || "no address known", 200)}`);
  }
  lines.push(...set("quarantined_v4", "ipv4_addr", q4), ...set("quarantined_v6", "ipv6_addr", q6), ...set("management_v4", "ipv4_addr", m4), ...set("management_v6", "ipv6_addr", m6));
  lines.push("\tchain forward {", "\t\ttype filter hook forward priority filter - 10; policy accept;");
  for (const [family, v] of [["ip", "v4"], ["ip6", "v6"]] as const) {
    lines.push(
      `\t\t${family} saddr @quarantined_${v} ${family} daddr @management_${v} counter accept comment "quarantined device to the management interface"`,
      `\t\t${family} saddr @management_${v} ${family} daddr @quarantined_${v} counter accept comment "management interface to a quarantined device"`,
      `\t\t${family} saddr @quarantined_${v} udp dport ${family === "ip" ? 67 : 547} counter accept comment "DHCP"`,
      `\t\t${family} saddr @quarantined_${v} counter log prefix "cordon quarantine " drop comment "quarantine: from the device"`,
      `\t\t${family} daddr @quarantined_${v} counter log prefix "cordon quarantine " drop comment "quarantine: to the device"`,
    );
  }
  lines.push("\t}", "}");
  return `${lines.join("\n")}\n`;
}
