import { type DeviceBaseline } from "../baseline/baseline.js";
import { checkOneOf, checkSite } from "../app/queries.js";
import { CATEGORIES } from "../classify/taxonomy.js";
import { reportJson } from "../app/report-json.js";
import { parseMac, macToString } from "../net/addr.js";
import type { Store } from "../store/store.js";
import { UsageError, table } from "./output.js";
import { storeBaselines } from "../app/baselines.js";

const iso = (us: number): string => new Date(us / 1000).toISOString().replace(/\.\d+Z$/, "Z");

function deviceText(b: DeviceBaseline): string {
  const lines = [
    `${b.key} (${b.category}): ${b.maturity}`,
    `  window ${iso(b.window.firstUs)} .. ${iso(b.window.lastUs)}, ${b.flows} flows, ${(b.initiatedShare * 100).toFixed(0)}% started by the device, active in ${b.activeHours} clock hours`,
    `  bytes per active hour: out mean ${Math.round(b.volume.outMean)}, p95 ${b.volume.outP95}; in mean ${Math.round(b.volume.inMean)}, p95 ${b.volume.inP95}`,
    `  flows by UTC hour: ${b.hours.join(" ")}`,
    "",
    table(["DIRECTION", "PEER", "ROLE", "PROTO", "PORT", "FLOWS", "BYTES_OUT", "BYTES_IN", "FIRST", "LAST"],
      b.elements.map((e) => [e.direction, e.peer, e.peerRole, e.proto, e.port || "", e.flows, e.bytesOut, e.bytesIn, iso(e.firstUs), iso(e.lastUs)])),
  ];
  return lines.join("\n");
}

/** `cordon baseline`: every device's baseline in one line, or one device's (or category's) in full. */
export function renderBaselines(store: Store, o: { site: string; device?: string; category?: string; format: "table" | "json"; minWindowS?: number }): string {
  checkOneOf("category", o.category, CATEGORIES);
  checkSite(store, o.site);
  const all = storeBaselines(store, o.site, { minWindowS: o.minWindowS });
  if (o.device) {
    const mac = parseMac(o.device);
    const key = mac !== undefined ? macToString(mac) : o.device;
    const b = all.devices.find((d) => d.key === key || d.key === `ip:${key}`);
    if (!b) throw new UsageError(`no baseline for ${o.device} at site ${o.site} (no flows, or no such device)`);
    return o.format === "json" ? reportJson(b) : deviceText(b);
  }
  if (o.category) {
    const c = all.categories.find((x) => x.category === o.category);
    if (!c) throw new UsageError(`no device of category ${o.category} at site ${o.site}`);
    if (o.format === "json") return reportJson(c);
    return [`${c.category}: ${c.devices} devices`, table(["DIRECTION", "PEER", "ROLE", "PROTO", "PORT", "DEVICES"],
      c.elements.map((e) => [e.direction, e.peer, e.peerRole, e.proto, e.port || "", e.devices]))].join("\n");
  }
  if (o.format === "json") return reportJson(all);
  return table(["DEVICE", "CATEGORY", "HOURS", "FLOWS", "ELEMENTS", "STABILITY", "MATURITY"],
    all.devices.map((b) => [b.key, b.category, (b.window.seconds / 3600).toFixed(1), b.flows, b.elements.length, b.stability.toFixed(2), b.maturity]));
}
