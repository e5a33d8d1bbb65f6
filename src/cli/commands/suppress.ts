import { Store } from "../../store/store.js";
import { renderSuppressions } from "../alerts.js";
import { UsageError, parseFormat } from "../output.js";
import { addSuppression, removeSuppression } from "../../app/alerts.js";
import { listSuppressions } from "../../app/queries.js";
import { COMMON, dbPath } from "../options.js";
import { command } from "../command.js";

export default command({
  name: "suppress",
  summary: "silence alerts by device, detector or peer, with a reason and an expiry",
  help: `Usage: cordon suppress add [--device MAC|IP] [--detector NAME] [--peer IP] --reason TEXT [--expires 7d|ISO-TIME]
       cordon suppress list [--format table|json] [--wide]
       cordon suppress remove ID

A suppression silences the alerts it matches from then on (they are kept, marked
suppressed): every given field must match; without --expires it lasts until removed.

${COMMON}`,
  options: {
    db: { type: "string" },
    detector: { type: "string" },
    device: { type: "string" },
    expires: { type: "string" },
    format: { type: "string" },
    wide: { type: "boolean" },
    peer: { type: "string" },
    reason: { type: "string" },
  },
  async run({ values, positionals, by }) {
    const sub = positionals[0];
    const store = new Store(dbPath(values.db), sub === "list" ? { readOnly: true } : {});
    try {
      if (sub === "add") {
        if (!values.reason) throw new UsageError("suppress add needs --reason: a suppression says why");
        if (!values.device && !values.detector && !values.peer) throw new UsageError("suppress add needs at least one of --device, --detector, --peer");
        const id = addSuppression(store, by, { device: values.device, detector: values.detector, peer: values.peer, reason: values.reason ?? "",
          expires: values.expires });
        process.stdout.write(`suppression ${id} added\n`);
      } else if (sub === "list") {
        process.stdout.write(`${renderSuppressions(listSuppressions(store), parseFormat(values.format, ["table", "json"]) === "json" ? "json" : "table", values.wide === true)}\n`);
      } else if (sub === "remove") {
        if (!positionals[1] || !/^\d{1,12}$/.test(positionals[1])) throw new UsageError("suppress remove needs a suppression id (cordon suppress list shows them)");
        removeSuppression(store, by, Number(positionals[1]));
        process.stdout.write(`suppression ${positionals[1]} removed\n`);
      } else {
        throw new UsageError(`suppress needs add, list or remove${sub ? `, not "${sub}"` : ""}`);
      }
      return 0;
    } finally {
      store.close();
    }
  },
});
