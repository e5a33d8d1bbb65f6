import { certificateSite, createEnrollToken, enrollTokens } from "../../app/certificates.js";
import { reportJson } from "../../app/report-json.js";
import { Store } from "../../store/store.js";
import { command } from "../command.js";
import { COMMON, dbPath } from "../options.js";
import { UsageError, parseFormat, table } from "../output.js";

export default command({
  name: "enroll",
  summary: "one-time enrollment tokens: a device proves with one that it may get a certificate",
  help: `Usage: cordon enroll token MAC [--serial SERIAL] [--hours N] [--site NAME] [--db PATH]
       cordon enroll list [--site NAME] [--format table|json] [--db PATH]

'token' prints a one-time token for the device with this MAC (and serial, when given): the
device enrolls once with it, by EST (HTTP Basic authentication, the token as password) or
SCEP (the token as challenge password), and gets a certificate naming that MAC only. The
token is shown only now (its hash is kept), expires after --hours (default 168, at most 720),
and cannot be used twice. 'list' shows tokens and whether each is open, used or expired.

${COMMON}`,
  options: {
    db: { type: "string" },
    site: { type: "string" },
    serial: { type: "string" },
    hours: { type: "string" },
    format: { type: "string" },
  },
  async run({ values, positionals, by }) {
    const sub = positionals[0];
    if (sub !== "token" && sub !== "list") throw new UsageError(`enroll takes token or list${sub ? `, not "${sub}"` : ""}`);
    const store = new Store(dbPath(values.db), sub === "list" ? { readOnly: true } : {});
    try {
      if (sub === "token") {
        if (!positionals[1]) throw new UsageError("enroll token needs the device's MAC");
        if (values.hours !== undefined && !/^\d{1,4}$/.test(values.hours)) throw new UsageError("--hours: a whole number of hours");
        const t = createEnrollToken(store, by, { site: certificateSite(store, values.site), mac: positionals[1], serial: values.serial, hours: values.hours === undefined ? undefined : Number(values.hours) });
        process.stdout.write(`${t.token}\n`);
        process.stderr.write(`cordon: enrollment token for ${t.mac}, valid until ${t.expiresAt}, once; it is shown only now\n`);
        return 0;
      }
      const list = enrollTokens(store, values.site);
      if (parseFormat(values.format, ["table", "json"]) === "json") process.stdout.write(`${reportJson(list)}\n`);
      else process.stdout.write(`${list.length === 0 ? "no enrollment tokens" : table(["id", "site", "mac", "serial", "state", "expires", "created by", "used"],
        list.map((t) => [t.id, t.site, t.mac, t.deviceSerial ?? "", t.state, t.expiresAt, t.createdBy, t.usedAt ?? ""]))}\n`);
      return 0;
    } finally {
      store.close();
    }
  },
});
