import { Store } from "../../store/store.js";
import { reportJson } from "../../app/report-json.js";
import { importAssets } from "../../app/assets.js";
import { UsageError, parseFormat } from "../output.js";
import { COMMON, dbPath } from "../options.js";
import { command } from "../command.js";

export default command({
  name: "assets",
  summary: "import what a CMDB knows of devices: maker, product, model, firmware, serial",
  help: `Usage: cordon assets import [--db PATH] [--site NAME] [--format table|json] FILE

import   reads a CSV with a header, or a JSON array of objects, with the columns mac or ip,
         and any of vendor, product, model, firmware, serial. Each value becomes a fact of
         the device (asset.vendor ... asset.serial) with the file as its evidence, read by
         'cordon vulns' beside what the network shows (a device's own report of its firmware
         is believed first). A device the network has not shown yet is added, with no
         packets. The import is audited.

${COMMON}`,
  options: {
    db: { type: "string" },
    site: { type: "string" },
    format: { type: "string" },
  },
  async run({ values, positionals, by }) {
    const sub = positionals[0];
    if (sub !== "import") throw new UsageError(`assets needs import${sub ? `, not "${sub}"` : ""}`);
    if (positionals.length !== 2) throw new UsageError("assets import needs one FILE");
    const format = parseFormat(values.format, ["table", "json"]);
    const store = new Store(dbPath(values.db));
    try {
      const r = importAssets(store, positionals[1]!, values.site ?? "default", by);
      process.stdout.write(format === "json" ? `${reportJson(r)}\n` : `${r.updated.length} devices updated, ${r.added.length} added (not yet seen on the network)\n`);
      return 0;
    } finally {
      store.close();
    }
  },
});
