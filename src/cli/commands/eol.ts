import { Store } from "../../store/store.js";
import { reportJson } from "../../app/report-json.js";
import { EOL_DECISIONS, eolRegister, raiseEolAlerts, reviewEolDecision, setEolDecision } from "../../app/end-of-life.js";
import { UsageError, parseFormat, table, writeAll } from "../output.js";
import { COMMON, dbPath } from "../options.js";
import { command } from "../command.js";

export default command({
  name: "eol",
  summary: "the end-of-life register: decisions for devices and models that will not be fixed",
  help: `Usage: cordon eol set (--device MAC|IP | --model "VENDOR|PRODUCT") --decision DECISION --owner NAME
                    --rationale TEXT --review YYYY-MM-DD [--replace-by YYYY-MM-DD]
                    [--support TEXT] [--site NAME] [--db PATH]
       cordon eol list [--site NAME] [--format table|json] [--wide] [--db PATH]
       cordon eol review (--device MAC|IP | --model "VENDOR|PRODUCT") --next YYYY-MM-DD --note TEXT [--site NAME] [--db PATH]
       cordon eol check [--site NAME] [--db PATH]

set      records a decision for a device, or for every device of a model: ${EOL_DECISIONS.join(", ")}
         (replace needs --replace-by), who owns it, why, the vendor's support status where
         known (--support), and the date it is reviewed by (at most three years ahead).
         Decisions are appended, never changed; each is audited.
list     the decisions in force, with the devices each covers and whether its review is due
         or overdue, or the device is past its replace-by date.
review   keeps the decision in force, with what the review found and the next review date.
check    raises an alert for each overdue review and each device still seen past its
         replace-by date (run it from a timer; an alert already raised is not raised again).

${COMMON}`,
  options: {
    db: { type: "string" },
    site: { type: "string" },
    device: { type: "string" },
    model: { type: "string" },
    decision: { type: "string" },
    owner: { type: "string" },
    rationale: { type: "string" },
    review: { type: "string" },
    "replace-by": { type: "string" },
    support: { type: "string" },
    next: { type: "string" },
    note: { type: "string" },
    format: { type: "string" },
    wide: { type: "boolean" },
  },
  async run({ values, positionals, by }) {
    const sub = positionals[0];
    if (positionals.length > 1) throw new UsageError(`eol ${sub} takes no other argument (see cordon eol --help)`);
    const site = values.site ?? "default";
    const model = (): { vendor: string; product: string } | undefined => {
      if (values.model === undefined) return undefined;
      const [vendor, product, extra] = values.model.split("|");
      if (!vendor?.trim() || !product?.trim() || extra !== undefined) throw new UsageError('--model is "VENDOR|PRODUCT"');
      return { vendor: vendor.trim(), product: product.trim() };
    };
    if (sub === "set") {
      for (const k of ["decision", "owner", "rationale", "review"] as const) if (!values[k]) throw new UsageError(`eol set needs --${k}`);
      const store = new Store(dbPath(values.db));
      try {
        const d = setEolDecision(store, by, {
          site, device: values.device, model: model(), decision: values.decision!, owner: values.owner!, rationale: values.rationale!,
          reviewBy: values.review!, replaceBy: values["replace-by"], vendorSupport: values.support,
        });
        process.stdout.write(`decision ${d.id}: ${d.target} ${d.decision}${d.replaceBy ? ` by ${d.replaceBy}` : ""}, owner ${d.owner}, review by ${d.reviewBy}\n`);
        return 0;
      } finally {
        store.close();
      }
    }
    if (sub === "review") {
      if (!values.next || !values.note) throw new UsageError("eol review needs --next and --note");
      const m = model();
      const target = m ? `model:${m.vendor}|${m.product}` : values.device;
      if (!target) throw new UsageError("eol review needs --device or --model");
      const store = new Store(dbPath(values.db));
      try {
        const d = reviewEolDecision(store, by, site, target, { nextReview: values.next, note: values.note });
        process.stdout.write(`decision ${d.id}: ${d.target} ${d.decision} kept, review by ${d.reviewBy}\n`);
        return 0;
      } finally {
        store.close();
      }
    }
    if (sub === "list") {
      const format = parseFormat(values.format, ["table", "json"]);
      const store = new Store(dbPath(values.db), { readOnly: true });
      try {
        const list = eolRegister(store, values.site);
        if (format === "json") writeAll([reportJson(list)]);
        else {
          writeAll([table(["SITE", "TARGET", "DECISION", "OWNER", "REVIEW BY", "REPLACE BY", "STATUS", "DEVICES", "SUPPORT", "RATIONALE"],
            list.map((e) => [e.site, e.target, e.decision, e.owner, e.reviewBy, e.replaceBy ?? "", e.status.join(" "), e.devices.length, e.vendorSupport ?? "", e.rationale]),
            { wide: values.wide === true, flex: ["RATIONALE", "SUPPORT", "TARGET"] })]);
        }
        return 0;
      } finally {
        store.close();
      }
    }
    if (sub === "check") {
      const store = new Store(dbPath(values.db));
      try {
        const alerts = raiseEolAlerts(store, values.site);
        process.stdout.write(alerts.length ? `${alerts.map((a) => `${a.severity}: ${a.title}`).join("\n")}\n` : "no review overdue, no device past its replace-by date\n");
        return 0;
      } finally {
        store.close();
      }
    }
    throw new UsageError(`eol needs set, list, review or check${sub ? `, not "${sub}"` : ""}`);
  },
});
