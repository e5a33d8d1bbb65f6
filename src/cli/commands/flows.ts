import { Store } from "../../store/store.js";
import { flowFilter, flowsByFirstSeen } from "../../app/queries.js";
import { renderFlows } from "../flows.js";
import { UsageError, parseFormat } from "../output.js";
import { COMMON, dbPath } from "../options.js";
import { command } from "../command.js";

export default command({
  name: "flows",
  summary: "print the flows",
  help: `Usage: cordon flows [--db PATH] [--site NAME] [--device MAC|IP] [--protocol P] [--port N]
                    [--from TIME] [--until TIME] [--limit N] [--format table|json|csv] [--wide]

Prints stored flows by first seen: endpoints, ports, protocol, application protocol, packets
and bytes each way, first and last seen. Filters, all of which must hold:
  --site NAME       one site's flows
  --device MAC|IP   flows with this device at either end
  --protocol P      tcp, udp, icmp, icmpv6 (or any IP protocol number), or an application
                    protocol: dns, http, tls, modbus, s7comm, bacnet...
  --port N          either end's port
  --from, --until   flows seen within: a time (2026-01-05T08:00:00Z, 2026-01-05) or a
                    duration ago (30m, 12h, 7d)

${COMMON}`,
  options: {
    db: { type: "string" },
    site: { type: "string" },
    device: { type: "string" },
    protocol: { type: "string" },
    port: { type: "string" },
    from: { type: "string" },
    until: { type: "string" },
    format: { type: "string" },
    wide: { type: "boolean" },
    limit: { type: "string" },
  },
  async run({ values }) {
    const format = parseFormat(values.format);
    const limit = values.limit !== undefined ? Number(values.limit) : undefined;
    if (limit !== undefined && !(Number.isInteger(limit) && limit > 0)) throw new UsageError("--limit must be a positive integer");
    const store = new Store(dbPath(values.db), { readOnly: true });
    try {
      process.stdout.write(`${renderFlows(flowsByFirstSeen(store, { ...flowFilter(values), limit }), format, values.wide === true)}\n`);
    } finally {
      store.close();
    }
    return 0;
  },
});
