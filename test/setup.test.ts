import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { analyzeCaptures } from "../src/app/analyze-captures.js";
import type { EvidenceItem, Verdict } from "../src/classify/classify.js";
import { fromSiblings, setupFingerprint } from "../src/classify/setup.js";
import { settleVerdicts } from "../src/classify/verdicts.js";
import { type WrittenFrame, writePcap } from "../src/lab/capture-writer.js";
import { readCapture } from "../src/sources/capture.js";
import { Store } from "../src/store/store.js";
import { NO_CORPUS, corpus, inventoryOf, tmpDir } from "./helpers.js";

const PLUG = "40:ae:30:46:6e:a8"; // the Tapo P115 of the v4k0nd captures, which joins the network in its capture
const TWIN = "40:ae:30:00:00:02";
const bytes = (mac: string): Buffer => Buffer.from(mac.replace(/:/g, ""), "hex");

/** The plug's capture, then a day later the same frames as a second plug of its model (its MAC everywhere). */
async function twinPlugs(): Promise<string> {
  const frames: WrittenFrame[] = [];
  await readCapture(corpus("v4k0nd-ss-for-iot-MUD/tapo-p115/G06-tapo-p115.pcap"), (f) => {
    frames.push({ tsUs: f.tsUs, data: Buffer.from(f.buf.subarray(f.offset, f.offset + f.caplen)), wireLen: f.wireLen });
  });
  const twin = frames.map((f) => {
    const data = Buffer.from(f.data);
    for (let at = data.indexOf(bytes(PLUG)); at >= 0; at = data.indexOf(bytes(PLUG), at + 6)) bytes(TWIN).copy(data, at);
    return { ...f, data, tsUs: f.tsUs + 86_400_000_000 };
  });
  const file = join(tmpDir("cordon-setup-"), "twins.pcap");
  writeFileSync(file, writePcap([...frames, ...twin]));
  return file;
}

const verdict = (category: Verdict["category"], vendor?: string): Verdict => ({ category, vendor, confidence: category === "unknown" ? 0 : 0.8, criticality: "standard", evidence: [] });

describe("the setup phase as a fingerprint", () => {
  it("an unidentified device takes the kind of an identified sibling that set up alike, unless siblings disagree", () => {
    const out = fromSiblings([
      { key: "a", site: "s", fingerprint: "f1", verdict: verdict("smart-plug", "TP-Link") },
      { key: "b", site: "s", fingerprint: "f1", verdict: verdict("unknown") },
      { key: "c", site: "other", fingerprint: "f1", verdict: verdict("unknown") },
      { key: "d", site: "s", fingerprint: "f2", verdict: verdict("camera") },
      { key: "e", site: "s", fingerprint: "f2", verdict: verdict("doorbell") },
      { key: "f", site: "s", fingerprint: "f2", verdict: verdict("unknown") },
      { key: "g", site: "s", verdict: verdict("unknown") },
    ]);
    assert.deepEqual([...out.keys()], ["b"], "another site's, disagreeing siblings', and a device without a fingerprint: none");
    assert.deepEqual([out.get("b")!.category, out.get("b")!.vendor], ["smart-plug", "TP-Link"]);
    assert.deepEqual(out.get("b")!.evidence[0].facts, [{ kind: "setup_fingerprint", value: "f1" }, { kind: "sibling", value: "a" }]);
  });
});

describe("the setup phase of real devices", { skip: NO_CORPUS }, () => {
  it("two plugs of one model set up alike; other devices do not; a device whose join is not in the traffic has none", async () => {
    const devices = await inventoryOf(await twinPlugs());
    const fp = (mac: string): string | undefined => setupFingerprint(devices.find((d) => d.mac === mac)!);
    assert.match(fp(PLUG) ?? "", /^[0-9a-f]{16}$/);
    assert.equal(fp(TWIN), fp(PLUG));
    const camera = (await inventoryOf(corpus("tj-oconnor-IoT-Dataset/pcaps/blink-cam-01.pcap"))).find((d) => d.mac === "f4:b8:5e:ff:2b:1b")!;
    assert.notEqual(setupFingerprint(camera), fp(PLUG));
    const lamp = (await inventoryOf(corpus("v4k0nd-ss-for-iot-MUD/mood_lamp-3204432/G06-mood_lamp-3204432.pcap"))).find((d) => d.mac === "b8:06:0d:18:84:b4")!;
    assert.equal(setupFingerprint(lamp), undefined, "the lamp's capture starts after it joined");
  });

  it("a person names one plug; at the next settle its twin, which no rule names here, is named by that", async () => {
    const store = new Store(join(tmpDir("cordon-setup-"), "s.db"));
    try {
      const { inventory } = await analyzeCaptures(store, [await twinPlugs()], "default", { detect: false });
      const id = (mac: string): number => [...inventory.devices.values()].find((d) => d.mac === mac)!.storeId!;
      store.setOverride(id(PLUG), { category: "smart-plug", setBy: "tester", setAt: new Date().toISOString(), reason: "it is the kettle's plug" });
      // No fingerprint rules: only the override and the setup can say anything.
      settleVerdicts(store, inventory, [], inventory.devices.size);
      const v = store.latestVerdicts().get(id(TWIN))!;
      assert.equal(v.category, "smart-plug");
      const first = v.evidence[0] as EvidenceItem;
      assert.equal(first.rule, "same-setup-as-sibling");
      assert.deepEqual(first.facts, [{ kind: "setup_fingerprint", value: setupFingerprint([...inventory.devices.values()].find((d) => d.mac === TWIN)!) }, { kind: "sibling", value: PLUG }]);
    } finally {
      store.close();
    }
  });
});
