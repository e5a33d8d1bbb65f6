import { Store } from "../../store/store.js";
import { reportJson } from "../../app/report-json.js";
import { pollSnmp } from "../../app/snmp-poll.js";
import { readSnmpConfig } from "../../app/snmp-config.js";
import { UsageError, parseFormat, table } from "../output.js";
import { COMMON, dbPath } from "../options.js";
import { command } from "../command.js";

export default command({
  name: "snmp",
  summary: "poll the devices of the subnets the configuration enables over SNMP, once",
  help: `Usage: cordon snmp poll --config FILE [--db PATH] [--site NAME] [--format table|json]

poll     one round over the subnets the configuration's snmp section lists (polling is
         opt-in per subnet; v2c or v3 authPriv, credentials sealed with 'cordon secret
         seal'): the inventory's devices with an address in a subnet, and the hosts listed
         for it. PLCs, RTUs, protection relays and medical devices are skipped unless listed
         in allow_fragile. One request in flight per device, at most snmp.rate a second
         (default 10). Reads the system group, ENTITY-MIB (model, firmware, software, serial),
         the bridge and Q-bridge forwarding tables (the switch port of each MAC) and LLDP-MIB
         neighbours, and stores them as facts with the device as their source.

Configuration (the snmp section of the serve configuration file; the database is --db):
  snmp:
    key_file: /etc/cordon/secret.key         # cordon secret init --key-file ...
    rate: 10                                 # requests a second to one device
    subnets:
      - { prefix: 10.20.0.0/24, version: v2c, community: "sealed:v1:...", hosts: [10.20.0.2] }
      - { prefix: 10.30.0.0/24, version: v3, user: cordon, auth_protocol: sha, auth_key: "sealed:v1:...",
          priv_protocol: aes, priv_key: "sealed:v1:...", allow_fragile: [00:1c:06:08:e7:db] }

${COMMON}`,
  options: {
    config: { type: "string" },
    db: { type: "string" },
    site: { type: "string" },
    format: { type: "string" },
  },
  async run({ values, positionals }) {
    if (positionals[0] !== "poll" || positionals.length !== 1) throw new UsageError(`snmp needs poll${positionals[0] && positionals[0] !== "poll" ? `, not "${positionals[0]}"` : ""}`);
    if (!values.config) throw new UsageError("snmp poll needs --config FILE (its snmp section lists the subnets to poll)");
    const format = parseFormat(values.format, ["table", "json"]);
    const snmp = readSnmpConfig(values.config);
    if (!snmp) throw new UsageError(`${values.config}: no snmp section: no subnet is enabled for polling`);
    const store = new Store(dbPath(values.db));
    try {
      const r = await pollSnmp(store, values.site ?? "default", snmp);
      if (format === "json") process.stdout.write(`${reportJson(r)}\n`);
      else {
        process.stdout.write(`${table(["DEVICE", "REQUESTS", "FACTS", "ERROR"], r.polled.map((p) => [p.ip, p.requests, p.observations, p.error ?? ""]))}\n`);
        for (const s of r.skipped) process.stdout.write(`skipped ${s.ip} (${s.device}): ${s.why}\n`);
      }
      return r.polled.length > 0 && r.polled.every((p) => p.error) ? 1 : 0;
    } finally {
      store.close();
    }
  },
});
