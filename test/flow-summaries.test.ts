import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { type DeviceContext, deviceContext } from "../src/app/device-context.js";
import { FlowSummaries } from "../src/baseline/flow-summaries.js";
import { type DeviceBaseline, buildBaselines } from "../src/baseline/baseline.js";
import { DeviceIndex } from "../src/baseline/device-index.js";
import { learnDevices } from "../src/app/site-devices.js";
import { DEFAULT_LAB, generateLab } from "../src/lab/generate.js";
import { Store } from "../src/store/store.js";
import { runCli, tmpDir } from "./helpers.js";

/** A context without where it came from: what a person sees, read either way. */
const seen = (c: DeviceContext): DeviceContext => ({ ...c, read: "flows", flowsRead: 0 });

describe("flow summaries: a device's baseline and peers without reading its flows", () => {
  const dir = tmpDir("cordon-summaries-");
  const db = join(dir, "c.db");
  let keys: string[] = [];

  before(() => {
    mkdirSync(join(dir, "a"));
    const lab = generateLab(join(dir, "a"), { ...DEFAULT_LAB, devices: 60, durationS: 1800, seed: 7 });
    const r = runCli(["analyze", "--db", db, lab.pcap]);
    assert.equal(r.status, 0, r.stderr);
    const store = new Store(db, { readOnly: true });
    keys = store.sql.column<string>("SELECT key FROM devices WHERE site = 'default' ORDER BY id");
    store.close();
  });

  /** Every device's context read with `summaries` and from its flows alone; they must be the same. */
  function compare(store: Store, summaries: FlowSummaries): DeviceContext[] {
    return keys.map((key) => {
      const read = deviceContext(store, "default", key, { summaries });
      assert.deepEqual(seen(read), seen(deviceContext(store, "default", key)), key);
      return read;
    });
  }

  it("every device's context from the summaries equals its context from its flows", () => {
    const store = new Store(db, { readOnly: true });
    const read = compare(store, new FlowSummaries());
    const summarised = read.filter((c) => c.read === "summaries");
    assert.ok(keys.length >= 60, `${keys.length} devices`);
    assert.ok(summarised.length >= keys.length * 0.9, `${summarised.length} of ${keys.length} read from the summaries`);
    // The comparison covers every way a peer is named, and baselines with something in them.
    const peers = summarised.flatMap((c) => c.peers.map((p) => p.peer.split(":")[0]));
    for (const kind of ["device", "dns", "cidr"]) assert.ok(peers.includes(kind), `a peer named as ${kind}`);
    assert.ok(summarised.some((c) => c.peers.some((p) => p.direction === "serves")) && summarised.some((c) => (c.baseline?.activeHours ?? 0) >= 1));
    assert.ok(summarised.every((c) => !c.truncated));
    store.close();
  });

  it("each device's baseline from the summaries equals the one built from every flow of the site, hours, weekdays and elements", () => {
    const store = new Store(db, { readOnly: true });
    const devices = learnDevices(store, "default");
    const built = new Map(buildBaselines(devices, [...store.eachFlow("default")]).devices.map((b) => [b.key, b]));
    const summaries = new FlowSummaries();
    summaries.fold(store, "default");
    const index = new DeviceIndex(devices);
    let compared = 0;
    for (const d of devices) {
      if (!summaries.covers("default", d.ips)) continue;
      const want: Partial<DeviceBaseline> = { ...built.get(d.key) };
      delete want.volume;
      const got = summaries.baselineOf("default", d, index);
      if (got.baseline === undefined) {
        assert.equal(built.has(d.key), false, d.key);
        continue;
      }
      assert.deepEqual(got.baseline, want, d.key);
      compared++;
    }
    assert.ok(compared >= devices.length * 0.8, `${compared} of ${devices.length}`);
    store.close();
  });

  it("a fold brought up to date after more flows are stored, and a fold in slices, equal one fold of everything", () => {
    let store = new Store(db, { readOnly: true });
    const early = new FlowSummaries();
    early.fold(store, "default");
    const before = early.nextId("default");
    store.close();
    // More traffic of the same site, stored after the fold: the summaries fold only that.
    mkdirSync(join(dir, "b"));
    const more = generateLab(join(dir, "b"), { ...DEFAULT_LAB, devices: 20, durationS: 600, seed: 8, startUs: DEFAULT_LAB.startUs + 3_600_000_000 });
    const r = runCli(["analyze", "--db", db, more.pcap]);
    assert.equal(r.status, 0, r.stderr);
    store = new Store(db, { readOnly: true });
    keys = store.sql.column<string>("SELECT key FROM devices WHERE site = 'default' ORDER BY id");
    const read = compare(store, early);
    assert.ok(early.nextId("default") > before, "the flows stored since were folded");
    assert.ok(read.some((c) => c.read === "summaries" && (c.baseline?.activeHours ?? 0) >= 2), "a device with traffic in both hours");
    // A chunk at a time, as serve's reader folds between requests.
    const sliced = new FlowSummaries();
    let turns = 1;
    while (!sliced.fold(store, "default", 1)) turns++;
    assert.ok(turns >= 2, `${turns} turns: the site's flows are in more than one chunk`);
    compare(store, sliced);
    store.close();
  });

  it("past its budget of ends it reads flows; past an end's budget of elements it says its peers are truncated, its totals whole", () => {
    const store = new Store(db, { readOnly: true });
    const small = new FlowSummaries(5);
    small.fold(store, "default");
    assert.equal(small.full, true);
    assert.ok(compare(store, small).every((c) => c.read === "flows"));
    const narrow = new FlowSummaries(200_000, 2_000_000, 1);
    const cut = keys.map((key) => [deviceContext(store, "default", key, { summaries: narrow }), deviceContext(store, "default", key)] as const)
      .filter(([a]) => a.read === "summaries" && a.truncated);
    assert.ok(cut.length > 0, "some device has more than one element");
    for (const [a, b] of cut) {
      assert.equal(a.baseline?.flows, b.baseline?.flows, `${a.key}: its flows all count`);
      assert.deepEqual(a.baseline?.hours, b.baseline?.hours);
      assert.ok(a.peers.length < b.peers.length, `${a.key}: fewer peers`);
    }
    store.close();
  });

  it("holds only ends that can be a device's: a device with a public address is read from its flows", () => {
    const store = new Store(db, { readOnly: true });
    const s = new FlowSummaries();
    assert.equal(s.covers("default", ["10.0.0.1"]), false, "nothing folded yet");
    s.fold(store, "default");
    assert.equal(s.covers("default", ["10.0.0.1", "fd00::1", "fe80::1"]), true);
    assert.equal(s.covers("default", ["10.0.0.1", "8.8.8.8"]), false);
    assert.equal(s.covers("default", ["2001:db8::1"]), false);
    assert.equal(s.covers("elsewhere", ["10.0.0.1"]), false);
    store.close();
  });
});
