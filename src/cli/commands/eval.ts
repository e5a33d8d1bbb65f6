import { renderEvaluation } from "../eval.js";
import { evaluateCaptures } from "../../app/evaluate-classification.js";
import { renderAlertEvaluation } from "../eval-alerts.js";
import { evaluateAlerts } from "../../app/evaluate-alerts.js";
import { UsageError, parseFormat } from "../output.js";
import { COMMON, modelOption } from "../options.js";
import { command } from "../command.js";

export default command({
  name: "eval",
  summary: "score classification against a labels file",
  help: `Usage: cordon eval --labels LABELS.json [--model FILE|none] [--format table|json] [--wide] CAPTURE...
       cordon eval --alerts EXPECTED-ALERTS.json [--format table|json]

Analyses each capture on its own, classifies its devices and scores the labelled ones:
category and vendor accuracy, unknown rate, per labelled category what the devices were taken
for (--wide: the whole confusion matrix) and the misses; a labelled device its capture does
not show is listed, not scored. LABELS.json
has the shape of the corpus labels.json: { "captures": { "path relative to the file":
{ "mac": { "vendor", "model", "category" } } } }.

  --model FILE     behavioural model (default: the shipped one; 'none' for rules only)

With --alerts: runs every capture of an expected-alerts file (the corpus's shape: hostile
captures with the class, acting host and target each must raise; benign ones with the
classes they must not) and prints precision and recall per detector, the misses and the
false alarms.

${COMMON}`,
  options: {
    alerts: { type: "string" },
    format: { type: "string" },
    wide: { type: "boolean" },
    labels: { type: "string" },
    model: { type: "string" },
  },
  async run({ values, positionals }) {
    const format = parseFormat(values.format, ["table", "json"]);
    if (values.alerts !== undefined) {
      process.stdout.write(`${renderAlertEvaluation(await evaluateAlerts(values.alerts), format === "json" ? "json" : "table")}\n`);
      return 0;
    }
    if (!values.labels) throw new UsageError("eval needs --labels LABELS.json");
    if (positionals.length === 0) throw new UsageError("eval needs at least one CAPTURE");
    const e = await evaluateCaptures(values.labels, positionals, modelOption(values.model));
    process.stdout.write(`${renderEvaluation(e, format === "json" ? "json" : "table", values.wide === true)}\n`);
    return 0;
  },
});
