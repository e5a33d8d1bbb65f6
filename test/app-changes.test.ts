import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Actor } from "../src/app/actor.js";
import { addMaintenanceWindow, addSuppression, moveAlert, removeSuppression } from "../src/app/alerts.js";
import { overrideDevice } from "../src/app/devices.js";
import { InputError } from "../src/app/errors.js";
import { assignMud } from "../src/app/mud.js";
import { AuditLog } from "../src/store/audit.js";
import { Store } from "../src/store/store.js";

/** An API caller, as issue 23's face will pass one: the use cases audit with it, whatever the face. */
const API: Actor = { principal: "token:ops", name: "ana", via: "api", peer: "10.9.0.7" };

describe("changes through the application layer record who made them", () => {
  it("override, alert moves, suppressions, maintenance and MUD assignments each leave one audit entry with the caller", () => {
    const store = new Store(":memory:");
    try {
      store.saveDevices([{ site: "plant", key: "02:00:00:00:00:0a", mac: "02:00:00:00:00:0a", ouiVendor: null, localMac: false, router: false, firstUs: 1, lastUs: 2,
        packetsOut: 1, packetsIn: 1, bytesOut: 1, bytesIn: 1, dropTrafficAddresses: false, addresses: [{ ip: "10.0.0.5", origin: "dhcp", firstUs: 1, lastUs: 2, source: "t", packet: 1 }],
        endpoints: [], facts: [] }]);
      store.saveAlerts([{ id: "abc123", detector: "scan", class: "scan", severity: "high", technique: "T1046", site: "plant", title: "scan", firstUs: 1, lastUs: 2, count: 1,
        evidence: { packets: [], flows: [], observations: [] }, status: "open" }]);
      assert.equal(overrideDevice(store, API, { device: "10.0.0.5", criticality: "life-safety/physical-process", reason: "infusion pump" }), "02:00:00:00:00:0a");
      moveAlert(store, "abc1", "acknowledged", API, "looking");
      const sup = addSuppression(store, API, { detector: "scan", reason: "pentest this week", expires: "2026-12-13T00:00:00+01:00" }, Date.parse("2026-12-06T00:00:00Z"));
      assert.equal(store.suppressions()[0].expiresAt, "2026-12-12T23:00:00.000Z");
      removeSuppression(store, API, sup);
      const w = addMaintenanceWindow(store, API, { site: "plant", device: "10.0.0.5", from: "2026-12-07T06:00:00Z", until: "2026-12-07T08:00:00+01:00", reason: "firmware" });
      assert.deepEqual([w.startsAt, w.endsAt, w.target], ["2026-12-07T06:00:00.000Z", "2026-12-07T07:00:00.000Z", "10.0.0.5"]);
      assignMud(store, "plant", "02:00:00:00:00:0a", "https://mud.example.com/pump.json", API);
      const log = new AuditLog(store.sql).list().reverse();
      assert.deepEqual(log.map((e) => e.action), ["override", "alert.ack", "suppress.add", "suppress.remove", "maintenance.add", "mud.assign"]);
      for (const e of log) assert.deepEqual([e.principal, e.actor, e.via, e.peer, e.outcome], ["token:ops", "ana", "api", "10.9.0.7", "ok"], e.action);
      assert.equal(log[0].detail, "criticality life-safety/physical-process; infusion pump");
      assert.equal(store.overrides().values().next().value?.setBy, "ana");
      assert.equal(store.alerts()[0].statusBy, "ana");
    } finally {
      store.close();
    }
  });

  it("input a use case cannot act on is refused before anything is stored or audited", () => {
    const store = new Store(":memory:");
    try {
      assert.throws(() => overrideDevice(store, API, { device: "10.0.0.5" }), InputError);
      assert.throws(() => overrideDevice(store, API, { device: "10.0.0.5", category: "toaster" }), /category must be one of/);
      assert.throws(() => overrideDevice(store, API, { device: "10.0.0.5", category: "camera" }), /no device with MAC or IP 10\.0\.0\.5/);
      assert.throws(() => addSuppression(store, API, { reason: "x" }), /at least one of device, detector, peer/);
      assert.throws(() => addSuppression(store, API, { detector: "scan", reason: "" }), /needs a reason/);
      for (const [expires, why] of <[string, RegExp][]>[["2026-12-13", /neither a duration/], ["7 days", /neither a duration/], ["2020-01-01T00:00:00Z", /has passed/], ["400d", /at most a year/], ["0m", /has passed/]]) {
        assert.throws(() => addSuppression(store, API, { detector: "scan", reason: "x", expires }), why, expires);
      }
      assert.throws(() => removeSuppression(store, API, 42), /no suppression 42/);
      for (const [from, until] of [["2026-12-07 06:00", "2026-12-07T08:00:00Z"], ["2026-12-07T06:00:00Z", "2026-12-07T05:00:00Z"], ["2026-13-07T06:00:00Z", "2026-12-07T08:00:00Z"]]) {
        assert.throws(() => addMaintenanceWindow(store, API, { site: "plant", from, until, reason: "r" }), InputError, `${from} .. ${until}`);
      }
      assert.throws(() => addMaintenanceWindow(store, API, { site: "plant", device: "plc-1", from: "2026-12-07T06:00:00Z", until: "2026-12-07T08:00:00Z", reason: "r" }), /not an IP address/);
      assert.deepEqual(new AuditLog(store.sql).list(), []);
    } finally {
      store.close();
    }
  });
});
