import { Store } from "../../store/store.js";
import { UsageError, parseFormat, table } from "../output.js";
import { cliAudit } from "../actor.js";
import { canonicalIp } from "../../model/values.js";
import { COMMON, dbPath } from "../options.js";
import { command } from "../command.js";

export default command({
  name: "maintenance",
  summary: "declare OT maintenance windows: engineering work outside them is an alert",
  help: `Usage: cordon maintenance add --from TIME --until TIME --reason TEXT [--site NAME] [--device IP] [--db PATH]
       cordon maintenance list [--format table|json] [--db PATH]

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
    from: { type: "string" },
    reason: { type: "string" },
    site: { type: "string" },
    until: { type: "string" },
  },
  async run({ values, positionals, who }) {
    const sub = positionals[0];
    const store = new Store(dbPath(values.db));
    try {
      if (sub === "add") {
        const time = (v: string | undefined, name: string): string => {
          const t = v === undefined ? Number.NaN : Date.parse(v);
          if (!v || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})$/.test(v) || Number.isNaN(t)) {
            throw new UsageError(`maintenance add needs --${name} as an ISO 8601 time with its zone (2026-12-07T06:00:00Z)`);
          }
          return new Date(t).toISOString();
        };
        const startsAt = time(values.from, "from");
        const endsAt = time(values.until, "until");
        if (endsAt <= startsAt) throw new UsageError("--until must be after --from");
        if (!values.reason) throw new UsageError("maintenance add needs --reason: a window says what work it is for");
        const target = values.device === undefined ? undefined : canonicalIp(values.device);
        if (values.device !== undefined && target === undefined) throw new UsageError(`--device: "${values.device}" is not an IP address (OT operations name their target by address)`);
        const site = values.site ?? "default";
        const id = store.addMaintenanceWindow({ site, target, startsAt, endsAt, reason: values.reason, createdBy: who, createdAt: new Date().toISOString() });
        cliAudit(store, "maintenance.add", `window ${id}`, `${startsAt} - ${endsAt}${target ? ` for ${target}` : ""}: ${values.reason}`, site);
        process.stdout.write(`maintenance window ${id}: site ${site}${target ? `, ${target}` : ""}, ${startsAt} to ${endsAt}\n`);
      } else if (sub === "list") {
        const list = store.maintenanceWindows();
        if (parseFormat(values.format, ["table", "json"]) === "json") process.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
        else process.stdout.write(`${list.length === 0 ? "no maintenance windows" : table(["ID", "SITE", "DEVICE", "FROM", "UNTIL", "BY", "REASON"], list.map((w) => [w.id, w.site, w.target ?? "(all)", w.startsAt, w.endsAt, w.createdBy, w.reason]))}\n`);
      } else {
        throw new UsageError(`maintenance needs add or list${sub ? `, not "${sub}"` : ""}`);
      }
      return 0;
    } finally {
      store.close();
    }
  },
});
