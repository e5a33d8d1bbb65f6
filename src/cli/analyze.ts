import type { Store } from "../store/store.js";
import { viewOf } from "../app/classification.js";
import { type ClassifiedDevice, type DeviceQuery, listDevices } from "../app/queries.js";
import type { AnalyzeStats } from "../app/analyze-captures.js";
import { type Format, csv, table } from "./output.js";
import { reportJson, snakeKeys } from "../app/report-json.js";
import { SEVERITIES } from "../model/alert.js";

const DEVICE_COLUMNS = ["site", "mac", "ips", "category", "identity", "vendor", "model", "oui_vendor", "hostnames", "first_seen", "last_seen", "packets_out", "packets_in"];

/** The inventory as the commands print it: a table, CSV, or JSON, in pieces to write one after another. */
export function* renderDevices(store: Store, format: Format, stats?: AnalyzeStats, query: Omit<DeviceQuery, "limit" | "after"> = {}, wide = false): Generator<string> {
  const view = (d: ClassifiedDevice): Record<string, unknown> => viewOf(d.device, d.classification, d.identity);
  if (format === "json") {
    yield* devicesJson(allDevices(store, query), view, stats);
    return;
  }
  const devices = [...allDevices(store, query)].map(view);
  if (format === "csv") {
    yield csv(DEVICE_COLUMNS, devices.map((d) => DEVICE_COLUMNS.map((c) => d[c])));
    return;
  }
  const rows = devices.map((d) => DEVICE_COLUMNS.map((c) => {
    if (c === "oui_vendor" && d.randomized_mac) return "(randomised MAC)";
    return d[c];
  }));
  const oneSite = new Set(devices.map((d) => d.site)).size <= 1;
  let out = table(DEVICE_COLUMNS, rows, { wide, wideOnly: ["oui_vendor", "first_seen", "packets_out", "packets_in", ...(oneSite ? ["site"] : [])], flex: ["hostnames", "model", "vendor", "ips", "category"] });
  if (stats) {
    const errs = Object.entries(stats.errors);
    out += `\n\n${stats.packets} packets, ${stats.bytes} bytes, ${devices.length} devices, ${stats.flows} flows`;
    if (stats.alerts !== undefined) {
      const by = SEVERITIES.filter((s) => stats.alertsBySeverity?.[s]).reverse().map((s) => `${stats.alertsBySeverity![s]} ${s}`);
      out += `, ${stats.alerts} alert${stats.alerts === 1 ? "" : "s"}${by.length ? ` (${by.join(", ")}; cordon alerts)` : ""}`;
    }
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
  if (stats) yield `{\n  "stats": ${reportJson(stats).replace(/\n/g, "\n  ")},\n  "devices": `;
  // Each device is written at the depth it has in the whole: JSON.stringify indents it there
  // itself, inside a wrapper whose own text is cut off, instead of a second pass re-indenting.
  const [head, tail] = stats ? [`{\n  "d": [\n${indent}`.length, "\n  ]\n}".length] : [`[\n${indent}`.length, "\n]".length];
  let n = 0;
  for (const d of devices) {
    const nested = JSON.stringify(snakeKeys(stats ? { d: [view(d)] } : [view(d)]), null, 2);
    yield `${n++ === 0 ? "[\n" : ",\n"}${indent}${nested.slice(head, nested.length - tail)}`;
  }
  yield n === 0 ? "[]" : stats ? "\n  ]" : "\n]";
  if (stats) yield "\n}";
}

/** Every device the query names, a page at a time: memory holds a page, not the inventory. */
function* allDevices(store: Store, query: Omit<DeviceQuery, "limit" | "after">): Generator<ClassifiedDevice> {
  let after: string | undefined;
  do {
    const page = listDevices(store, { ...query, after });
    yield* page.items;
    after = page.next;
  } while (after !== undefined);
}
