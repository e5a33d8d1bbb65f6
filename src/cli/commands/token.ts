import { Store } from "../../store/store.js";
import { createToken, listTokens, revokeToken } from "../../app/users.js";
import { reportJson } from "../../app/report-json.js";
import { UsageError, parseFormat, table } from "../output.js";
import { COMMON, dbPath } from "../options.js";
import { command } from "../command.js";

export default command({
  name: "token",
  summary: "API tokens of users, for scripts and the CLI against serve",
  help: `Usage: cordon token add --user NAME [--name TEXT] [--expires DAYS] [--db PATH]
       cordon token list [--format table|json] [--wide] [--db PATH]
       cordon token revoke ID [--db PATH]

An API token acts as its user, in the user's role, on serve's API (Authorization: Bearer
TOKEN; the CLI's commands that talk to serve take it from CORDON_TOKEN). 'add' prints the
token once: only its hash is kept. Tokens expire (--expires, 1 to 365 days, default 90) and
stop at once when revoked or when their user is disabled.

${COMMON}`,
  options: {
    db: { type: "string" },
    user: { type: "string" },
    name: { type: "string" },
    expires: { type: "string" },
    format: { type: "string" },
    wide: { type: "boolean" },
  },
  async run({ values, positionals, by }) {
    const sub = positionals[0];
    if (sub !== "add" && sub !== "list" && sub !== "revoke") throw new UsageError(`token takes add, list or revoke${sub ? `, not "${sub}"` : ""}`);
    const store = new Store(dbPath(values.db), sub === "list" ? { readOnly: true } : { mustExist: true });
    try {
      if (sub === "add") {
        if (!values.user) throw new UsageError("token add needs --user NAME");
        if (values.expires !== undefined && !/^\d{1,3}$/.test(values.expires)) throw new UsageError("--expires: a number of days from 1 to 365");
        const t = createToken(store, by, { user: values.user, name: values.name ?? "api", expiresDays: values.expires === undefined ? undefined : Number(values.expires) });
        process.stdout.write(`${t.token}\n`);
        process.stderr.write(`cordon: token ${t.id} for ${values.user}, expires ${t.expiresAt}; it is shown only now\n`);
        return 0;
      }
      if (sub === "revoke") {
        if (!positionals[1] || !/^\d{1,12}$/.test(positionals[1])) throw new UsageError("token revoke needs a token id (cordon token list shows them)");
        revokeToken(store, by, Number(positionals[1]));
        process.stdout.write(`token ${positionals[1]} revoked\n`);
        return 0;
      }
      const list = listTokens(store);
      if (parseFormat(values.format, ["table", "json"]) === "json") process.stdout.write(`${reportJson(list)}\n`);
      else process.stdout.write(`${list.length === 0 ? "no tokens" : table(["id", "user", "role", "name", "created", "expires", "last used", "state"],
        list.map((t) => [t.id, t.user, t.role, t.name, t.createdAt, t.expiresAt ?? "", t.lastUsedAt ?? "", t.revokedAt ? `revoked ${t.revokedAt}` : t.userDisabledAt ? "user disabled" : t.expiresAt !== undefined && t.expiresAt <= new Date().toISOString() ? "expired" : "active"]),
        { wide: values.wide === true, wideOnly: ["created"] })}\n`);
      return 0;
    } finally {
      store.close();
    }
  },
});
