import { renderNac } from "../respond.js";
import { decideMove } from "../../app/nac.js";
import { Store } from "../../store/store.js";
import { parseFormat } from "../output.js";
import { dbPath } from "../options.js";
import { command } from "../command.js";

export default command({
  name: "nac",
  summary: "RADIUS decisions per device, sessions, quarantines (from the database)",
  help: `Usage: cordon nac log [--device MAC] [--site NAME] [--limit N] [--format table|json] [--wide] [--db PATH]
       cordon nac sessions | quarantines [--format table|json] [--db PATH]
       cordon nac moves | pending [--limit N] [--format table|json] [--db PATH]
       cordon nac approve | reject MOVE_ID [--reason TEXT] [--db PATH]

What the RADIUS server decided for each MAB request (state, VLAN, reason), newest first; the
NAS and port each MAC was last seen at; quarantines with their release. Reads the database,
so it works whether or not serve runs.

Group membership follows the verdicts: a device whose category, criticality or MUD URL puts it
in another group of the policy in force moves at once when the new group may reach nothing the
old one could not (serve sends a CoA), and waits for a person otherwise, unless its MUD URL is
one of nac.trusted_mud. "moves" lists every move with the verdict behind it; "pending" the
ones waiting; "approve" lets one take effect at serve's next table (with a CoA), "reject"
keeps the device where it is under this policy. Each decision is audited with the
operating-system user who made it.`,
  options: {
    db: { type: "string" },
    device: { type: "string" },
    format: { type: "string" },
    wide: { type: "boolean" },
    limit: { type: "string" },
    reason: { type: "string" },
    site: { type: "string" },
  },
  async run({ values, positionals, by }) {
    const writes = positionals[0] === "approve" || positionals[0] === "reject";
    const store = new Store(dbPath(values.db), writes ? { mustExist: true } : { readOnly: true });
    try {
      if (positionals[0] === "approve" || positionals[0] === "reject") {
        const m = decideMove(store, positionals[0], positionals[1], by, values.reason);
        process.stdout.write(`move ${m.id} of ${m.mac} from ${m.from ?? "(no group)"} to ${m.to}: ${m.status} by ${m.decidedBy}${m.status === "approved" ? "; serve applies it, with a CoA, at its next table" : ""}\n`);
        return 0;
      }
      const limit = values.limit ? Number(values.limit) : undefined;
      process.stdout.write(`${renderNac(store, positionals[0], { device: values.device, site: values.site, limit, format: parseFormat(values.format, ["table", "json"]) === "json" ? "json" : "table", wide: values.wide === true })}\n`);
      return 0;
    } finally {
      store.close();
    }
  },
});
