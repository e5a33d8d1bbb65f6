import { Store } from "../../store/store.js";
import { UsageError } from "../output.js";
import { overrideDevice } from "../../app/devices.js";
import { COMMON, dbPath } from "../options.js";
import { command } from "../command.js";

export default command({
  name: "override",
  summary: "set a device's category or criticality by hand",
  help: `Usage: cordon override [--db PATH] [--category C] [--criticality CLASS] [--reason TEXT] MAC|IP

Records a person's decision about a device: its category, its criticality class
(life-safety/physical-process, sensitive-data, standard, low), or both. The classifier keeps
learning, but what is shown and enforced follows the override.

${COMMON}`,
  options: {
    category: { type: "string" },
    criticality: { type: "string" },
    db: { type: "string" },
    reason: { type: "string" },
  },
  async run({ values, positionals, by }) {
    if (positionals.length !== 1) throw new UsageError("override needs one MAC or IP");
    if (values.category === undefined && values.criticality === undefined) throw new UsageError("override needs --category or --criticality");
    const store = new Store(dbPath(values.db));
    try {
      const key = overrideDevice(store, by, { device: positionals[0], category: values.category, criticality: values.criticality, reason: values.reason });
      process.stdout.write(`${key}: override recorded\n`);
    } finally {
      store.close();
    }
    return 0;
  },
});
