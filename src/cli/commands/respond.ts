import { DEFAULT_SERVER, type ServedResponse, callServe, renderResponse, renderResponses } from "../respond.js";
import { UsageError, parseFormat } from "../output.js";
import { dbPath } from "../options.js";
import { command } from "../command.js";

export default command({
  name: "respond",
  summary: "list responses; approve or reject a proposed quarantine",
  help: `Usage: cordon respond list [--format table|json] [--wide] [--server URL] [--db PATH]
       cordon respond approve ID [--reason NOTE] [--server URL] [--db PATH]
       cordon respond reject ID --reason TEXT [--server URL] [--db PATH]

Responses the playbook started (alerts at or above respond.min_severity) or a person asked
for, with every step. Devices in the classes of respond.approval (by default
life-safety/physical-process) are only proposed for quarantine: a person approves or rejects.`,
  options: {
    db: { type: "string" },
    format: { type: "string" },
    wide: { type: "boolean" },
    reason: { type: "string" },
    server: { type: "string" },
  },
  async run({ values, positionals }) {
    const sub = positionals[0];
    const server = values.server ?? process.env.CORDON_SERVER ?? DEFAULT_SERVER;
    if (sub === "list") {
      const list = (await callServe(server, "GET", "/api/responses", undefined, dbPath(values.db))) as ServedResponse[];
      process.stdout.write(`${renderResponses(list, parseFormat(values.format, ["table", "json"]) === "json" ? "json" : "table", values.wide === true)}\n`);
      return 0;
    }
    if (sub === "approve" || sub === "reject") {
      const id = positionals[1];
      if (!id || !/^[0-9a-f]{4,16}$/.test(id)) throw new UsageError(`respond ${sub} needs a response id, or at least 4 characters of it (cordon respond list shows them)`);
      if (sub === "reject" && !values.reason) throw new UsageError("respond reject needs --reason TEXT");
      const r = await callServe(server, "POST", `/api/responses/${id}/${sub}`, sub === "reject" ? { reason: values.reason } : values.reason ? { note: values.reason } : {}, dbPath(values.db));
      process.stdout.write(`${renderResponse(r as ServedResponse)}\n`);
      return 0;
    }
    throw new UsageError(`respond takes list, approve or reject${sub ? `, not "${sub}"` : ""}`);
  },
});
