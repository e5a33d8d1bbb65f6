import { Store } from "../../store/store.js";
import { reportJson } from "../../app/report-json.js";
import { UsageError, parseFormat, table } from "../output.js";
import { addMaintenanceWindow } from "../../app/alerts.js";
import { listMaintenanceWindows } from "../../app/queries.js";
import { COMMON, dbPath } from "../options.js";
import { command } from "../command.js";

export default command({
  name: "maintenance",
  summary: "declare OT maintenance windows: engineering work outside them is an alert",
  help: `Usage: cordon maintenance add --from TIME --until TIME --reason TEXT [--site NAME] [--device IP] [--db PATH]
       cordon maintenance list [--site NAME] [--format table|json] [--wide] [--db PATH]

Declares when a site (or one OT device in it, by address) is under maintenance. Once a site
has declared a window, program downloads and uploads, mode changes and restarts outside every
window are alerts whoever does them, and at least high; inside one, a declared or habitual
engineering workstation's work is a record. Writes and commands (an HMI's daily work) are not
judged by windows. Times are ISO 8601 (2026-12-07T06:00:00Z). Audited with the operating-system user.

${COMMON}`,
  options: {
    db: { type: "string" },
    device: { type: "string" },
    format: { type: "string" },
    wide: { type: "boolean" },
    from: { type: "string" },
    reason: { type: "string" },
    site: { type: "string" },
    until: { type: "string" },
  },
  async run({ values, positionals, by }) {
    const sub = positionals[0];
    const store = new Store(dbPath(values.db), sub === "list" ? { readOnly: true } : {});
    try {
      if (sub === "add") {
        if (values.from === undefined || values.until === undefined) throw new UsageError("maintenance add needs --from and --until, ISO 8601 times with their zone (2026-12-07T06:00:00Z)");
        if (!values.reason) throw new UsageError("maintenance add needs --reason: a window says what work it is for");
        const site = values.site ?? "default";
        const w = addMaintenanceWindow(store, by, { site, device: values.device, from: values.from, until: values.until, reason: values.reason });
        process.stdout.write(`maintenance window ${w.id}: site ${site}${w.target ? `, ${w.target}` : ""}, ${w.startsAt} to ${w.endsAt}\n`);
      } else if (sub === "list") {
        const list = listMaintenanceWindows(store, values.site);
        if (parseFormat(values.format, ["table", "json"]) === "json") process.stdout.write(`${reportJson(list)}\n`);
        else process.stdout.write(`${list.length === 0 ? "no maintenance windows" : table(["ID", "SITE", "DEVICE", "FROM", "UNTIL", "BY", "REASON"], list.map((w) => [w.id, w.site, w.target ?? "(all)", w.startsAt, w.endsAt, w.createdBy, w.reason]), { wide: values.wide === true })}\n`);
      } else {
        throw new UsageError(`maintenance needs add or list${sub ? `, not "${sub}"` : ""}`);
      }
      return 0;
    } finally {
      store.close();
    }
  },
});
