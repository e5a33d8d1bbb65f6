import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { analyzeCaptures } from "../src/app/analyze-captures.js";
import { SiteRun } from "../src/app/site-run.js";
import { writePcap } from "../src/lab/capture-writer.js";
import { dhcp, ethernet, ipv4, udp } from "../src/lab/craft.js";
import { demoCapture } from "../src/lab/demo.js";
import { Store } from "../src/store/store.js";
import { tmpDir } from "./helpers.js";

const NEWCOMER = "02:00:5e:10:20:30";

/** A DHCP discover from a MAC the demo site does not have, a day after the demo capture. */
function newcomerCapture(): Buffer {
  const frame = ethernet("ff:ff:ff:ff:ff:ff", NEWCOMER, 0x0800, ipv4({ src: "0.0.0.0", dst: "255.255.255.255", proto: 17 },
    udp(68, 67, dhcp({ op: 1, messageType: 1, mac: NEWCOMER, options: [[12, Buffer.from("newcomer")]] }))));
  return writePcap([{ tsUs: Date.UTC(2026, 0, 6, 8, 0, 0) * 1000, data: frame }]);
}

const newDeviceAlerts = (store: Store): string[] => store.alerts().filter((a) => a.class === "new-device").map((a) => `${a.site} ${a.source}`).sort();

describe("the site run (one lifecycle for analyze and serve)", () => {
  const dir = tmpDir();
  const demo = join(dir, "demo.pcap");
  const newcomer = join(dir, "newcomer.pcap");
  writeFileSync(demo, demoCapture());
  writeFileSync(newcomer, newcomerCapture());

  it("a site's first devices are its inventory, not alerts; a device new to a known site is one alert", async () => {
    const store = new Store(":memory:");
    try {
      await analyzeCaptures(store, [demo], "plant-a");
      assert.deepEqual(newDeviceAlerts(store), []);
      await analyzeCaptures(store, [newcomer], "plant-a");
      assert.deepEqual(newDeviceAlerts(store), [`plant-a ${NEWCOMER}`]);
    } finally {
      store.close();
    }
  });

  it("a device at a site the store has never seen is not a new-device alert, whatever other sites hold", async () => {
    const store = new Store(":memory:");
    try {
      await analyzeCaptures(store, [demo], "plant-a");
      await analyzeCaptures(store, [newcomer], "plant-b");
      assert.deepEqual(newDeviceAlerts(store), []);
      assert.ok(store.devices("plant-b").some((d) => d.mac === NEWCOMER), "stored in its own site's inventory");
    } finally {
      store.close();
    }
  });

  it("saving devices again (serve's commits) raises nothing twice, and the run's alerts are stored once", async () => {
    const store = new Store(":memory:");
    try {
      await analyzeCaptures(store, [demo], "plant-a");
      const run = new SiteRun(store, { site: "plant-a" });
      const frame = newcomerCapture();
      // The one frame of the capture, as a live source hands it to the pipeline.
      run.pipeline.beginSource("live", "plant-a");
      run.pipeline.push({ buf: frame, offset: 24 + 16, caplen: frame.length - 40, wireLen: frame.length - 40, tsUs: Date.UTC(2026, 0, 6, 8, 0, 0) * 1000, linkType: 1, index: 1 });
      run.saveDevices();
      run.saveDevices();
      const first = run.saveAlerts(false);
      assert.deepEqual(first.map((a) => a.class), ["new-device"]);
      assert.deepEqual(run.saveAlerts(false), [], "an alert already stored is not new again");
      const { newAlerts } = run.finish();
      assert.deepEqual(newAlerts, []);
      assert.deepEqual(newDeviceAlerts(store), [`plant-a ${NEWCOMER}`]);
    } finally {
      store.close();
    }
  });
});
