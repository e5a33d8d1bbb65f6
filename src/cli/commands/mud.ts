import { Store } from "../../store/store.js";
import { reportJson } from "../../app/report-json.js";
import { renderMudList } from "../mud.js";
import { mudProfilesInUse } from "../../app/queries.js";
import { assignMud, exportDeviceMud, importMudFiles } from "../../app/mud.js";
import { loadPolicy } from "../../app/policies.js";
import { UsageError, parseFormat } from "../output.js";
import { COMMON, dbPath } from "../options.js";
import { command } from "../command.js";

export default command({
  name: "mud",
  summary: "import, assign and export RFC 8520 MUD profiles",
  help: `Usage: cordon mud import [--db PATH] [--site NAME] FILE...
       cordon mud list [--db PATH] [--site NAME] [--format table|json] [--wide]
       cordon mud assign --device MAC --url URL [--db PATH] [--site NAME]
       cordon mud export --device MAC [--policy ID|FILE] [--url URL] [--db PATH]

import   validates RFC 8520 MUD files (the RFC's ietf-access-control-list:acls, or the older
         access-lists key mudgee writes) and keeps them by MUD URL; one bad file and nothing
         is imported. Devices that announced a MUD URL (DHCP option 161, LLDP) or were
         assigned one are governed by its profile when policy is next learned.
list     the kept profiles and the devices that use each.
assign   gives a device a MUD URL by hand (for devices that announce none).
export   the device's group in a policy (default: the newest stored) as a MUD file: its own
         connections as from-device ACEs, replies and inbound connections as to-device
         ACEs, peers as DNS names, networks, MUD matches, or urn:cordon:group: controllers.

${COMMON}`,
  options: {
    db: { type: "string" },
    device: { type: "string" },
    format: { type: "string" },
    wide: { type: "boolean" },
    policy: { type: "string" },
    site: { type: "string" },
    url: { type: "string" },
  },
  async run({ values, positionals, by }) {
    const sub = positionals[0];
    const site = values.site ?? "default";
    const format = parseFormat(values.format, ["table", "json"]) === "json" ? "json" : "table";
    if (sub === "export") {
      if (!values.device) throw new UsageError("mud export needs --device MAC");
      const policy = values.policy ? loadPolicy(values.policy, dbPath(values.db)) : undefined;
      const store = new Store(dbPath(values.db), { readOnly: true });
      try {
        process.stdout.write(`${JSON.stringify(exportDeviceMud(store, values.device, policy, values.url), null, 2)}\n`);
      } finally {
        store.close();
      }
      return 0;
    }
    const store = new Store(dbPath(values.db), sub === "list" ? { readOnly: true } : {});
    try {
      if (sub === "import") {
        const files = positionals.slice(1);
        if (files.length === 0) throw new UsageError("mud import needs at least one FILE");
        const done = importMudFiles(store, files, site);
        if (format === "json") process.stdout.write(`${reportJson(done)}\n`);
        else {
          for (const d of done) {
            process.stdout.write(`${d.url}: ${d.aces} ACEs -> ${d.rules} rules${d.review.length ? `, ${d.review.length} for review` : ""}; devices: ${d.devices.join(", ") || "none yet"} (${d.file})\n`);
            for (const r of d.review) process.stdout.write(`  review: ${r}\n`);
          }
        }
      } else if (sub === "list") {
        process.stdout.write(`${renderMudList(mudProfilesInUse(store, site), format, values.wide === true)}\n`);
      } else if (sub === "assign") {
        if (!values.device || !values.url) throw new UsageError("mud assign needs --device MAC and --url URL");
        const key = assignMud(store, site, values.device, values.url, by);
        process.stdout.write(`${key} at site ${site} -> ${values.url}\n`);
      } else {
        throw new UsageError(`mud needs import, list, assign or export${sub ? `, not "${sub}"` : ""}`);
      }
      return 0;
    } finally {
      store.close();
    }
  },
});
