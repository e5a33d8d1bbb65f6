import { Store } from "../../store/store.js";
import { renderAlert, renderAlerts } from "../alerts.js";
import { findAlert, moveAlert } from "../../app/alerts.js";
import { UsageError, parseFormat } from "../output.js";
import { COMMON, dbPath } from "../options.js";
import { command } from "../command.js";

export default command({
  name: "alerts",
  summary: "what the detectors raised; acknowledge and resolve them",
  help: `Usage: cordon alerts [--db PATH] [--site NAME] [--format table|json|csv] [--wide] [--all] [--class CLASS]
       cordon alerts show ID [--format table|json]
       cordon alerts ack|resolve|reopen ID [--reason TEXT]

Alerts the detectors raised while captures were analysed (or serve ran): one per episode,
with counts, severity, ATT&CK technique, acting host and target, and evidence (packets by
source and frame, flows, observations). Open and acknowledged ones are listed; --all adds
resolved and suppressed ones; --site and --class keep one site's or one class's. The table
shows each alert's shortest unique id prefix (8 characters or more), and cuts long titles;
'show' prints one alert whole with all its evidence. Every command takes an id or a unique
prefix of it (4 characters or more).

${COMMON}`,
  options: {
    all: { type: "boolean" },
    class: { type: "string" },
    site: { type: "string" },
    db: { type: "string" },
    format: { type: "string" },
    wide: { type: "boolean" },
    reason: { type: "string" },
  },
  async run({ values, positionals, by }) {
    const sub = positionals[0];
    const store = new Store(dbPath(values.db), sub === undefined || sub === "show" ? { readOnly: true } : { mustExist: true });
    try {
      if (sub === "show") {
        if (!positionals[1]) throw new UsageError("alerts show needs an alert id");
        process.stdout.write(`${renderAlert(findAlert(store, positionals[1]), parseFormat(values.format, ["table", "json"]) === "json" ? "json" : "table")}\n`);
        return 0;
      }
      if (sub === "ack" || sub === "resolve" || sub === "reopen") {
        if (!positionals[1]) throw new UsageError(`alerts ${sub} needs an alert id`);
        const a = moveAlert(store, positionals[1], sub === "ack" ? "acknowledged" : sub === "resolve" ? "resolved" : "open", by, values.reason);
        process.stdout.write(`alert ${a.id}: ${sub === "ack" ? "acknowledged" : sub === "resolve" ? "resolved" : "open"}\n`);
        return 0;
      }
      if (sub !== undefined) throw new UsageError(`alerts takes show, ack, resolve or reopen, not "${sub}"`);
      process.stdout.write(`${renderAlerts(store, { format: parseFormat(values.format), all: values.all === true, class: values.class, site: values.site, wide: values.wide === true })}\n`);
      return 0;
    } finally {
      store.close();
    }
  },
});
