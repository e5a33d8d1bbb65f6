/**
 * Classification on labelled real devices that are not in the corpus (bench/field-labels.json):
 * the IoT SENTINEL setup captures (31 devices, each set up about 20 times), the lock
 * bridges of tj-oconnor/IoT-Dataset, and the smart home of sprout-uci/madea (14 devices in
 * every capture, traffic of devices long set up). Each capture is analysed on its own, as `cordon eval`
 * does; a device counts as right when most of its captures are. Accuracy, not speed: the
 * issue's target is 90% category and 90% maker on such devices.
 *
 * The datasets are public repositories, read where they were checked out:
 *   CORDON_IOT_SENTINEL=.../IoT_Sentinel/captures_IoT_Sentinel/captures_IoT-Sentinel
 *   CORDON_TJ_OCONNOR=.../IoT-Dataset/pcaps
 *   CORDON_MADEA=.../madea/dataset/traffic
 * A dataset whose folder is not given is skipped with a message.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { analyzeCaptures } from "../src/app/analyze-captures.js";
import { evaluateCaptures } from "../src/app/evaluate-classification.js";
import { decide } from "../src/classify/decide.js";
import { inMemoryFacts } from "../src/classify/device-facts.js";
import { vendorMatches } from "../src/classify/evaluate.js";
import { type BehaviourModel, loadModel } from "../src/classify/model.js";
import { loadRules } from "../src/classify/rules.js";
import { Store } from "../src/store/store.js";
import { type FieldDevice, type Label, fieldDatasets } from "./field-datasets.js";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const out = join(root, "bench", "out", "field");
mkdirSync(out, { recursive: true });

/** Per device: the captures that show it (absent ones are not scored), and how many had the category and the maker right. */
interface DeviceResult { device: string; label: Label; captures: number; category: number; vendor: number; takenFor: Record<string, number> }

async function score(name: string, devices: Map<string, FieldDevice>): Promise<DeviceResult[]> {
  const captures: Record<string, Record<string, Label>> = {};
  const deviceOf = new Map<string, string>();
  for (const [device, d] of devices) {
    for (const f of d.files) {
      (captures[f] ??= {})[d.mac] = d.label;
      deviceOf.set(`${f} ${d.mac}`, device);
    }
  }
  const labelsPath = join(out, `${name}-labels.json`);
  writeFileSync(labelsPath, JSON.stringify({ captures }, null, 1));
  const e = await evaluateCaptures(labelsPath, Object.keys(captures), model);
  const results = new Map<string, DeviceResult>();
  for (const [device, d] of devices) {
    results.set(device, { device, label: d.label, captures: d.files.length, category: d.files.length, vendor: d.label.vendor ? d.files.length : 0, takenFor: {} });
  }
  for (const a of e.absent) {
    const r = results.get(deviceOf.get(`${a.capture} ${a.mac}`)!)!;
    r.captures--;
    r.category--;
    if (r.label.vendor) r.vendor--;
  }
  for (const m of e.misses) {
    const r = results.get(deviceOf.get(`${m.capture} ${m.mac}`)!)!;
    if (m.expected.startsWith("category")) {
      r.category--;
      r.takenFor[m.got] = (r.takenFor[m.got] ?? 0) + 1;
    } else {
      r.vendor--;
    }
  }
  return [...results.values()];
}

function report(name: string, results: DeviceResult[]): Record<string, unknown> {
  const pct = (a: number, b: number): string => `${((100 * a) / Math.max(1, b)).toFixed(1)}% (${a}/${b})`;
  console.log(`\n${name}`);
  console.log(`${"DEVICE".padEnd(22)} ${"LABEL".padEnd(12)} CAPTURES  CATEGORY  MAKER  TAKEN FOR`);
  for (const r of results) {
    const taken = Object.entries(r.takenFor).map(([c, n]) => `${c} ${n}`).join(", ");
    console.log(`${r.device.padEnd(22)} ${r.label.category.padEnd(12)} ${String(r.captures).padStart(8)}  ${String(r.category).padStart(8)}  ${String(r.vendor).padStart(5)}  ${taken}`);
  }
  const captures = results.reduce((a, r) => a + r.captures, 0);
  const byCapture = { category: results.reduce((a, r) => a + r.category, 0), vendor: results.reduce((a, r) => a + r.vendor, 0) };
  const byDevice = { category: results.filter((r) => r.category * 2 > r.captures).length, vendor: results.filter((r) => r.vendor * 2 > r.captures).length };
  const wrong = results.reduce((a, r) => a + Object.entries(r.takenFor).filter(([c]) => c !== "unknown").reduce((s, [, n]) => s + n, 0), 0);
  console.log(`by capture: category ${pct(byCapture.category, captures)}, maker ${pct(byCapture.vendor, captures)}, a wrong category (not unknown) in ${wrong}`);
  console.log(`by device (most of its captures): category ${pct(byDevice.category, results.length)}, maker ${pct(byDevice.vendor, results.length)}`);
  return { devices: results.length, captures, byCapture, byDevice, wrongCategory: wrong, results };
}

/**
 * The other way to score: all of a device's captures read as one watch (as `cordon analyze`
 * of them together, or serve watching the device through its setups, would), then the device
 * classified once. Devices that share their captures are read together.
 */
async function merged(devices: Map<string, FieldDevice>, model: BehaviourModel | undefined): Promise<Record<string, unknown>> {
  const rules = loadRules();
  const bySet = new Map<string, string[]>();
  for (const [device, d] of devices) {
    const key = [...d.files].sort().join("\n");
    bySet.set(key, [...(bySet.get(key) ?? []), device]);
  }
  let category = 0;
  let vendor = 0;
  let vendorScored = 0;
  const misses: string[] = [];
  for (const [key, names] of bySet) {
    const store = new Store(":memory:");
    try {
      const { inventory } = await analyzeCaptures(store, key.split("\n"), "default", { detect: false });
      for (const name of names) {
        const d = devices.get(name)!;
        const dev = [...inventory.devices.values()].find((x) => x.mac === d.mac);
        const v = dev ? decide(inMemoryFacts(dev).facts, rules, dev.router ? undefined : dev.behaviour?.vector(), model) : undefined;
        if (v?.category === d.label.category) category++;
        else misses.push(`${name}: ${v?.category ?? "not seen"}`);
        if (d.label.vendor) {
          vendorScored++;
          if (vendorMatches(d.label.vendor, v?.vendor)) vendor++;
        }
      }
    } finally {
      store.close();
    }
  }
  const pct = (a: number, b: number): string => `${((100 * a) / Math.max(1, b)).toFixed(1)}% (${a}/${b})`;
  console.log(`all of a device's captures read as one watch: category ${pct(category, devices.size)}, maker ${pct(vendor, vendorScored)}`);
  if (misses.length > 0) console.log(`  category missed: ${misses.join("; ")}`);
  return { category, vendor, vendorScored, devices: devices.size, misses };
}

const summary: Record<string, unknown> = {};
const model = loadModel();
for (const [name, devices] of fieldDatasets()) summary[name] = { ...report(name, await score(name, devices)), merged: await merged(devices, model) };
writeFileSync(join(out, "results.json"), `${JSON.stringify(summary, null, 1)}\n`);
