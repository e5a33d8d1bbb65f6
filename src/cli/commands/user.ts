import { readFileSync } from "node:fs";
import { Store } from "../../store/store.js";
import { addUser, changeUser, listUsers } from "../../app/users.js";
import { ACTIONS, PERMISSIONS, ROLES } from "../../app/permissions.js";
import { reportJson } from "../../app/report-json.js";
import { UsageError, parseFormat, table } from "../output.js";
import { COMMON, dbPath } from "../options.js";
import { command } from "../command.js";

/** The password on standard input (its first line): never on the command line, where ps and shell history see it. */
function passwordFromStdin(): string {
  const text = readFileSync(0, "utf8");
  const line = text.split(/\r?\n/)[0];
  if (!line) throw new UsageError("--password-stdin: standard input has no password on its first line");
  return line;
}

export default command({
  name: "user",
  summary: "the people who may use serve's API, and their roles",
  help: `Usage: cordon user add NAME --role ROLE [--password-stdin] [--db PATH]
       cordon user list [--format table|json] [--wide] [--db PATH]
       cordon user set NAME [--role ROLE] [--password-stdin] [--disable | --enable] [--db PATH]
       cordon user roles

People who use serve's API (and its console) with an API token ('cordon token') or a
password. The first user is an admin. ROLE: ${ROLES.join(", ")}. 'user roles' prints
who may do what. --password-stdin reads the password from the first line of standard input
(at least 12 characters, 5 different, not containing the name); a user without one uses API
tokens only. The last admin cannot be disabled or demoted. Every change is audited with the
operating-system user who made it.

${COMMON}`,
  options: {
    db: { type: "string" },
    role: { type: "string" },
    "password-stdin": { type: "boolean" },
    disable: { type: "boolean" },
    enable: { type: "boolean" },
    format: { type: "string" },
    wide: { type: "boolean" },
  },
  async run({ values, positionals, by }) {
    const sub = positionals[0];
    if (sub === "roles") {
      const rows = (Object.keys(ACTIONS) as (keyof typeof ACTIONS)[]).map((a) => [a, ...ROLES.map((r) => (PERMISSIONS[a].includes(r) ? "yes" : "-")), ACTIONS[a]]);
      process.stdout.write(`${table(["action", ...ROLES, "what"], rows, { wide: values.wide === true, flex: ["what"] })}\n`);
      return 0;
    }
    if (sub !== "add" && sub !== "list" && sub !== "set") throw new UsageError(`user takes add, list, set or roles${sub ? `, not "${sub}"` : ""}`);
    const store = new Store(dbPath(values.db), sub === "list" ? { readOnly: true } : {});
    try {
      if (sub === "list") {
        const list = listUsers(store);
        if (parseFormat(values.format, ["table", "json"]) === "json") process.stdout.write(`${reportJson(list)}\n`);
        else process.stdout.write(`${list.length === 0 ? "no users (cordon user add NAME --role admin)" : table(["name", "role", "password", "created", "by", "disabled"],
          list.map((u) => [u.name, u.role, u.hasPassword ? "yes" : "-", u.createdAt, u.createdBy, u.disabledAt ?? ""]), { wide: values.wide === true })}\n`);
        return 0;
      }
      const name = positionals[1];
      if (!name || positionals.length !== 2) throw new UsageError(`user ${sub} needs one NAME`);
      const password = values["password-stdin"] ? passwordFromStdin() : undefined;
      if (sub === "add") {
        if (!values.role) throw new UsageError(`user add needs --role (${ROLES.join(", ")})`);
        const u = addUser(store, by, { name, role: values.role, password });
        process.stdout.write(`user ${u.name} added: ${u.role}${u.hasPassword ? "" : ", no password (cordon token add --user NAME)"}\n`);
        return 0;
      }
      if (values.disable && values.enable) throw new UsageError("user set takes --disable or --enable, not both");
      if (values.role === undefined && password === undefined && !values.disable && !values.enable) throw new UsageError("user set needs --role, --password-stdin, --disable or --enable");
      const u = changeUser(store, by, name, { role: values.role, password, disabled: values.disable ? true : values.enable ? false : undefined });
      process.stdout.write(`user ${u.name}: ${u.role}${u.disabledAt ? ", disabled" : ""}\n`);
      return 0;
    } finally {
      store.close();
    }
  },
});
