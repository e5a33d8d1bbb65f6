import { Store } from "../../store/store.js";
import { renderAlerts } from "../alerts.js";
import { moveAlert } from "../../app/alerts.js";
import { UsageError, parseFormat } from "../output.js";
import { COMMON, dbPath } from "../options.js";
import { command } from "../command.js";

export default command({
  name: "alerts",
  summary: "what the detectors raised; acknowledge and resolve them",
  help: `Usage: cordon alerts [--db PATH] [--site NAME] [--format table|json|csv] [--all] [--class CLASS]
       cordon alerts ack|resolve|reopen ID [--reason TEXT]

Alerts the detectors raised while captures were analysed (or serve ran): one per episode,
with counts, severity, ATT&CK technique, acting host and target, and evidence (packets by
source and frame, flows, observations). Open and acknowledged ones are listed; --all adds
resolved and suppressed ones; --site and --class keep one site's or one class's. IDs may be
shortened to a unique prefix.

${COMMON}`,
  options: {
    all: { type: "boolean" },
    class: { type: "string" },
    site: { type: "string" },
    db: { type: "string" },
    format: { type: "string" },
    reason: { type: "string" },
  },
  async run({ values, positionals, by }) {
    const sub = positionals[0];
    const store = new Store(dbPath(values.db));
    try {
      if (sub === "ack" || sub === "resolve" || sub === "reopen") {
        if (!positionals[1]) throw new UsageError(`alerts ${sub} needs an alert id`);
        moveAlert(store, positionals[1], sub === "ack" ? "acknowledged" : sub === "resolve" ? "resolved" : "open", by, values.reason);
        process.stdout.write(`alert ${positionals[1]}: ${sub === "ack" ? "acknowledged" : sub === "resolve" ? "resolved" : "open"}\n`);
        return 0;
      }
      if (sub !== undefined) throw new UsageError(`alerts takes ack, resolve or reopen, not "${sub}"`);
      process.stdout.write(`${renderAlerts(store, { format: parseFormat(values.format), all: values.all === true, class: values.class, site: values.site })}\n`);
      return 0;
    } finally {
      store.close();
    }
  },
});
