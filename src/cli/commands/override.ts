import { CATEGORIES, CRITICALITY } from "../../classify/taxonomy.js";
import { Store } from "../../store/store.js";
import { UsageError } from "../output.js";
import { cliAudit } from "../actor.js";
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
  async run({ values, positionals, who }) {
    if (positionals.length !== 1) throw new UsageError("override needs one MAC or IP");
    if (values.category === undefined && values.criticality === undefined) throw new UsageError("override needs --category or --criticality");
    if (values.category !== undefined && !(CATEGORIES as readonly string[]).includes(values.category)) {
      throw new UsageError(`--category must be one of ${CATEGORIES.join(", ")}`);
    }
    if (values.criticality !== undefined && !(CRITICALITY as readonly string[]).includes(values.criticality)) {
      throw new UsageError(`--criticality must be one of ${CRITICALITY.join(", ")}`);
    }
    const store = new Store(dbPath(values.db));
    try {
      const found = store.findDevices(positionals[0]);
      if (found.length !== 1) {
        process.stderr.write(`cordon: ${found.length === 0 ? "no device" : `${found.length} devices`} with MAC or IP ${positionals[0]}\n`);
        return 1;
      }
      store.setOverride(found[0].id, {
        category: values.category, criticality: values.criticality, reason: values.reason,
        setBy: who, setAt: new Date().toISOString(),
      });
      cliAudit(store, "override", found[0].mac ?? found[0].key, [values.category && `category ${values.category}`, values.criticality && `criticality ${values.criticality}`, values.reason].filter(Boolean).join("; "), found[0].site);
      process.stdout.write(`${found[0].mac ?? found[0].key}: override recorded\n`);
    } finally {
      store.close();
    }
    return 0;
  },
});
