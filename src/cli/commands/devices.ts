import { Store } from "../../store/store.js";
import { renderDevices } from "../analyze.js";
import { parseFormat, writeAll } from "../output.js";
import { COMMON, dbPath } from "../options.js";
import { command } from "../command.js";

export default command({
  name: "devices",
  summary: "print the inventory",
  help: `Usage: cordon devices [--db PATH] [--format table|json|csv]

Prints the inventory held in the database.

${COMMON}`,
  options: {
    db: { type: "string" },
    format: { type: "string" },
  },
  async run({ values }) {
    const format = parseFormat(values.format);
    const store = new Store(dbPath(values.db));
    try {
      writeAll(renderDevices(store, format));
    } finally {
      store.close();
    }
    return 0;
  },
});
