import type { Store, StoredDevice } from "../store/store.js";
import { classifiedView } from "../app/classification.js";
import type { AnalyzeStats } from "../app/analyze-captures.js";
import { type Format, csv, table } from "./output.js";

const DEVICE_COLUMNS = ["site", "mac", "ips", "category", "vendor", "model", "oui_vendor", "hostnames", "first_seen", "last_seen", "packets_out", "packets_in"];

/** The inventory as the commands print it: a table, CSV, or JSON, in pieces to write one after another. */
export function* renderDevices(store: Store, format: Format, stats?: AnalyzeStats): Generator<string> {
  const verdicts = store.latestVerdicts();
  const overrides = store.overrides();
  const view = (d: StoredDevice): Record<string, unknown> => classifiedView(d, verdicts.get(d.id), overrides.get(d.id));
  if (format === "json") {
    yield* devicesJson(store.eachDevice(), view, stats);
    return;
  }
  const devices = store.devices().map(view);
  if (format === "csv") {
    yield csv(DEVICE_COLUMNS, devices.map((d) => DEVICE_COLUMNS.map((c) => d[c])));
    return;
  }
  const rows = devices.map((d) => DEVICE_COLUMNS.map((c) => {
    if (c === "oui_vendor" && d.randomized_mac) return "(randomised MAC)";
    return d[c];
  }));
  let out = table(DEVICE_COLUMNS.map((c) => c.toUpperCase()), rows);
  if (stats) {
    const errs = Object.entries(stats.errors);
    out += `\n\n${stats.packets} packets, ${stats.bytes} bytes, ${devices.length} devices, ${stats.flows} flows`;
    out += errs.length === 0 ? ", no errors" : `\nerrors: ${errs.map(([k, v]) => `${k} ${v}`).join(", ")}`;
  }
  yield out;
}

/**
 * `JSON.stringify(stats ? { stats, devices } : devices, null, 2)`, written a device at a
 * time: the same text, without every device's view and the whole text in memory at once.
 */
export function* devicesJson<T>(devices: Iterable<T>, view: (d: T) => unknown, stats?: AnalyzeStats): Generator<string> {
  const indent = stats ? "    " : "  ";
  if (stats) yield `{\n  "stats": ${JSON.stringify(stats, null, 2).replace(/\n/g, "\n  ")},\n  "devices": `;
  // Each device is written at the depth it has in the whole: JSON.stringify indents it there
  // itself, inside a wrapper whose own text is cut off, instead of a second pass re-indenting.
  const [head, tail] = stats ? [`{\n  "d": [\n${indent}`.length, "\n  ]\n}".length] : [`[\n${indent}`.length, "\n]".length];
  let n = 0;
  for (const d of devices) {
    const nested = JSON.stringify(stats ? { d: [view(d)] } : [view(d)], null, 2);
    yield `${n++ === 0 ? "[\n" : ",\n"}${indent}${nested.slice(head, nested.length - tail)}`;
  }
  yield n === 0 ? "[]" : stats ? "\n  ]" : "\n]";
  if (stats) yield "\n}";
}
