import { Store } from "../../store/store.js";
import { renderBaselines } from "../baseline.js";
import { UsageError, parseFormat } from "../output.js";
import { COMMON, dbPath } from "../options.js";
import { command } from "../command.js";

export default command({
  name: "baseline",
  summary: "what each device (and category) normally does, and whether that is settled",
  help: `Usage: cordon baseline [--db PATH] [--site NAME] [--device MAC | --category C]
                       [--min-window SECONDS] [--format table|json]

What each device normally does, from the stored flows: the peers it starts flows to and
serves (internal devices with their category, external endpoints by DNS name, else their
/24), protocols and ports, bytes, flows by hour of day and weekday, and whether the baseline
is mature: it spans --min-window (default 604800, 7 days), holds 20 flows, and at least 90%
of what it does was known before the last quarter of its window. --category shows what the
devices of one category do, with how many of them do it.

${COMMON}`,
  options: {
    category: { type: "string" },
    db: { type: "string" },
    device: { type: "string" },
    format: { type: "string" },
    "min-window": { type: "string" },
    site: { type: "string" },
  },
  async run({ values }) {
    const format = parseFormat(values.format, ["table", "json"]) === "json" ? "json" : "table";
    const minWindow = values["min-window"];
    if (minWindow !== undefined && !/^\d+$/.test(minWindow)) throw new UsageError("--min-window must be a number of seconds");
    const store = new Store(dbPath(values.db), { readOnly: true });
    try {
      process.stdout.write(`${renderBaselines(store, { site: values.site ?? "default", device: values.device, category: values.category, format, minWindowS: minWindow === undefined ? undefined : Number(minWindow) })}\n`);
      return 0;
    } finally {
      store.close();
    }
  },
});
