import { Store } from "../../store/store.js";
import { renderDevices } from "../analyze.js";
import { parseFormat, writeAll } from "../output.js";
import { COMMON, dbPath } from "../options.js";
import { command } from "../command.js";

export default command({
  name: "devices",
  summary: "print the inventory",
  help: `Usage: cordon devices [--db PATH] [--site NAME] [--category C] [--format table|json|csv] [--wide]

Prints the inventory held in the database: of one site, or of all; with --category, only the
devices of that (effective) category.

${COMMON}`,
  options: {
    db: { type: "string" },
    site: { type: "string" },
    category: { type: "string" },
    format: { type: "string" },
    wide: { type: "boolean" },
  },
  async run({ values }) {
    const format = parseFormat(values.format);
    const store = new Store(dbPath(values.db), { readOnly: true });
    try {
      writeAll(renderDevices(store, format, undefined, { site: values.site, category: values.category }, values.wide === true));
    } finally {
      store.close();
    }
    return 0;
  },
});
