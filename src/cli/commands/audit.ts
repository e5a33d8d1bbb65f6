import { Store } from "../../store/store.js";
import { reportJson } from "../../app/report-json.js";
import { UsageError, parseFormat, table } from "../output.js";
import type { StoredAuditEntry } from "../../store/audit.js";
import { MAX_PAGE, listAudit } from "../../app/queries.js";
import { COMMON, dbPath } from "../options.js";
import { command } from "../command.js";

export default command({
  name: "audit",
  summary: "who did what: quarantines, releases, approvals, alert and policy moves",
  help: `Usage: cordon audit [--limit N] [--format table|json] [--wide] [--db PATH]

The audit log, newest first: every quarantine, release, approval and rejection (through the
API or by the playbook), alert, suppression, override, MUD and policy change made with the
CLI, each with the authenticated principal, the person, the face (api, cli, playbook), the
peer address and the outcome. The database refuses to change or delete its rows.

${COMMON}`,
  options: {
    db: { type: "string" },
    format: { type: "string" },
    wide: { type: "boolean" },
    limit: { type: "string" },
  },
  async run({ values }) {
    const store = new Store(dbPath(values.db), { readOnly: true });
    try {
      const limit = values.limit === undefined ? 100 : Number(values.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 1_000_000) throw new UsageError("--limit must be a whole number from 1 to 1000000");
      // Pages of the audit log until the limit: the newest entries first.
      const list: StoredAuditEntry[] = [];
      let after: string | undefined;
      do {
        const page = listAudit(store, { limit: Math.min(MAX_PAGE, limit - list.length), after });
        list.push(...page.items);
        after = page.next;
      } while (after !== undefined && list.length < limit);
      if (parseFormat(values.format, ["table", "json"]) === "json") process.stdout.write(`${reportJson(list)}\n`);
      else if (list.length === 0) process.stdout.write("no audit entries\n");
      else process.stdout.write(`${table(["id", "at", "principal", "actor", "role", "via", "peer", "action", "site", "target", "outcome", "detail"], list.map((e) => [e.id, e.at, e.principal, e.actor, e.role ?? "", e.via, e.peer ?? "", e.action, e.site ?? "", e.target ?? "", e.outcome, e.detail]), { wide: values.wide === true, wideOnly: ["principal", "via", "peer"], flex: ["detail", "target"] })}\n`);
      return 0;
    } finally {
      store.close();
    }
  },
});
