import { Store } from "../../store/store.js";
import { flowsByFirstSeen } from "../../app/queries.js";
import { renderFlows } from "../flows.js";
import { UsageError, parseFormat } from "../output.js";
import { COMMON, dbPath } from "../options.js";
import { command } from "../command.js";

export default command({
  name: "flows",
  summary: "print the flows",
  help: `Usage: cordon flows [--db PATH] [--site NAME] [--format table|json|csv] [--limit N]

Prints stored flows (of one site, or of all) by first seen: endpoints, ports, protocol,
application protocol, packets and bytes each way, first and last seen.

${COMMON}`,
  options: {
    db: { type: "string" },
    site: { type: "string" },
    format: { type: "string" },
    limit: { type: "string" },
  },
  async run({ values }) {
    const format = parseFormat(values.format);
    const limit = values.limit !== undefined ? Number(values.limit) : undefined;
    if (limit !== undefined && !(Number.isInteger(limit) && limit > 0)) throw new UsageError("--limit must be a positive integer");
    const store = new Store(dbPath(values.db), { mustExist: true });
    try {
      process.stdout.write(`${renderFlows(flowsByFirstSeen(store, { site: values.site, limit }), format)}\n`);
    } finally {
      store.close();
    }
    return 0;
  },
});
