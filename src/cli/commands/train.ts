import { writeFileSync } from "node:fs";
import { MODEL_MIN_PROBABILITY } from "../../classify/decide.js";
import { trainOnCaptures } from "../../app/evaluate-classification.js";
import { UsageError } from "../output.js";
import { COMMON } from "../options.js";
import { command } from "../command.js";

export default command({
  name: "train",
  summary: "train the behavioural model from labelled captures",
  help: `Usage: cordon train --labels LABELS.json [--out FILE] CAPTURE...

Trains the behavioural model (logistic regression over what each device's flows look like:
protocols used and served, peers, packet sizes, durations, periodicity, duty cycle) on the
labelled devices of the captures, and writes it as JSON (default: ./behaviour-model.json).
The model only names a category for devices that the fingerprint rules cannot place, and
only above ${Math.round(MODEL_MIN_PROBABILITY * 100)}% probability.

${COMMON}`,
  options: {
    labels: { type: "string" },
    out: { type: "string" },
  },
  async run({ values, positionals }) {
    if (!values.labels) throw new UsageError("train needs --labels LABELS.json");
    if (positionals.length === 0) throw new UsageError("train needs at least one CAPTURE");
    const m = await trainOnCaptures(values.labels, positionals);
    const out = values.out ?? "./behaviour-model.json";
    writeFileSync(out, `${JSON.stringify(m)}\n`);
    const classes = Object.entries(m.trained.perClass).map(([c, n]) => `${c} ${n}`).join(", ");
    process.stdout.write(`${out}: ${m.trained.devices} devices, ${m.classes.length} categories (${classes})\n`);
    return 0;
  },
});
