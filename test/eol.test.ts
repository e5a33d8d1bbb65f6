import { before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { Store } from "../src/store/store.js";
import { eolRegister, raiseEolAlerts, reviewEolDecision, setEolDecision } from "../src/app/end-of-life.js";
import type { Actor } from "../src/app/actor.js";
import { NO_CORPUS, corpus, runCli, tmpDir } from "./helpers.js";

const DAY = 86_400_000;
const iso = (ms: number): string => new Date(ms).toISOString().slice(0, 10);
const person: Actor = { principal: "os:ot-lead", name: "ot-lead", via: "cli", role: "admin" };

describe("the end-of-life register", { skip: NO_CORPUS }, () => {
  const dir = tmpDir("cordon-eol-");
  const db = join(dir, "eol.db");
  const PLC = "00:1c:06:08:e7:db";
  before(() => {
    assert.equal(runCli(["analyze", "--db", db, corpus("ITI-ICS-Security-Tools/pcaps/s7/S7-1200-Uploading-OB1-TIAV12.pcap")]).status, 0);
    // Two HMIs of one model a CMDB knows (seen "now", by the import), and the PLC the capture showed in 2013.
    writeFileSync(join(dir, "cmdb.csv"), "ip,vendor,product,firmware\n192.168.1.60,Siemens,KTP700 Basic,13.0.1\n192.168.1.61,SIEMENS AG,KTP700 Basic,13.0.1\n");
    assert.equal(runCli(["assets", "import", "--db", db, join(dir, "cmdb.csv")]).status, 0);
  });

  it("records decisions for a device and for a model, refuses what is not one, and audits each", () => {
    const review = iso(Date.now() + 90 * DAY);
    const set = runCli(["eol", "set", "--db", db, "--device", PLC, "--decision", "isolate", "--owner", "OT lead, line 3", "--rationale", "S7-1200 V4.4 will not be updated before the 2027 shutdown", "--review", review, "--support", "firmware updates available"]);
    assert.equal(set.status, 0, set.stderr);
    assert.match(set.stdout, new RegExp(`^decision \\d+: ${PLC} isolate, owner OT lead, line 3, review by ${review}`));
    const model = runCli(["eol", "set", "--db", db, "--model", "SIEMENS AG|KTP700 Basic", "--decision", "replace", "--replace-by", iso(Date.now() + 400 * DAY), "--owner", "maintenance", "--rationale", "end of support", "--review", review]);
    assert.equal(model.status, 0, model.stderr);
    const bad: [string[], RegExp][] = [
      [["--device", PLC, "--decision", "ignore"], /decision: "ignore" is not one of accept-and-monitor, replace, isolate, take-offline/],
      [["--device", PLC, "--decision", "replace"], /replace-by: a decision to replace names the date/],
      [["--device", PLC, "--decision", "isolate", "--replace-by", review], /replace-by: only for a decision to replace/],
      [["--device", "00:00:00:00:00:42", "--decision", "isolate"], /no device 00:00:00:00:00:42 at site default/],
      [["--device", PLC, "--model", "a|b", "--decision", "isolate"], /names one device or one model/],
    ];
    for (const [args, error] of bad) {
      const r = runCli(["eol", "set", "--db", db, ...args, "--owner", "x", "--rationale", "y", "--review", review]);
      assert.equal(r.status, 2, `${args.join(" ")}: ${r.stderr}`);
      assert.match(r.stderr, error);
    }
    for (const [when, error] of [["2020-01-01", /review: 2020-01-01 is not in the future/], ["2031-02-30", /not a date/], [iso(Date.now() + 4 * 366 * DAY), /more than 1098 days ahead/]] as const) {
      const r = runCli(["eol", "set", "--db", db, "--device", PLC, "--decision", "isolate", "--owner", "x", "--rationale", "y", "--review", when]);
      assert.match(r.stderr, error);
    }
    const list = JSON.parse(runCli(["eol", "list", "--db", db, "--format", "json"]).stdout) as { target: string; devices: { key: string }[]; status: string[] }[];
    assert.deepEqual(list.map((e) => [e.target, e.devices.map((d) => d.key).sort(), e.status]), [
      [PLC, [PLC], ["ok"]],
      ["model:Siemens|KTP700 Basic", ["ip:192.168.1.60", "ip:192.168.1.61"], ["ok"]],
    ]);
    const audit = JSON.parse(runCli(["audit", "--db", db, "--format", "json"]).stdout) as { action: string; target: string }[];
    assert.deepEqual(audit.filter((a) => a.action === "eol.set").map((a) => a.target).sort(), [PLC, "model:Siemens|KTP700 Basic"]);
  });

  it("raises an alert for an overdue review and for devices still seen past their replace-by date, once", () => {
    const store = new Store(db);
    try {
      const later = Date.now() + 500 * DAY;
      const register = eolRegister(store, "default", later);
      assert.deepEqual(register.map((e) => e.status), [["review-overdue"], ["review-overdue", "past-replace-by"]]);
      const alerts = raiseEolAlerts(store, "default", later);
      // The HMIs were seen by the import, before the replace-by date: not yet "still on the network past it".
      assert.deepEqual(alerts.map((a) => [a.class, a.severity, a.source ?? null]), [["end-of-life", "medium", PLC], ["end-of-life", "medium", null]]);
      const again = raiseEolAlerts(store, "default", later);
      assert.deepEqual(again.map((a) => a.id), alerts.map((a) => a.id), "the same alerts, not new ones");
      assert.equal(store.alerts().filter((a) => a.class === "end-of-life").length, 2);
      // A review keeps the decision and moves the date; the register shows the review in the rationale.
      const reviewed = reviewEolDecision(store, person, "default", PLC, { nextReview: iso(Date.now() + 30 * DAY), note: "isolation verified with policy 3" });
      assert.equal(reviewed.decision, "isolate");
      assert.match(reviewed.rationale, /reviewed \d{4}-\d\d-\d\d by ot-lead: isolation verified with policy 3$/);
      assert.deepEqual(eolRegister(store, "default").find((e) => e.target === PLC)!.status, ["review-due-soon"]);
      assert.equal(store.eolDecisions({ site: "default" }).length, 3, "the register keeps its history");
      // A device seen after its replace-by date is an alert of its own.
      const d = setEolDecision(store, person, { site: "default", device: "192.168.1.60", decision: "replace", replaceBy: iso(Date.now() + DAY), owner: "maintenance", rationale: "swap", reviewBy: iso(Date.now() + 10 * DAY) });
      store.saveDevices([{ ...store.findDevices("192.168.1.60")[0]!, dropTrafficAddresses: false, addresses: [], endpoints: [], facts: [], packetsOut: 1, packetsIn: 0, bytesOut: 60, bytesIn: 0, firstUs: (Date.now() + 3 * DAY) * 1000, lastUs: (Date.now() + 3 * DAY) * 1000 }]);
      const past = raiseEolAlerts(store, "default", Date.now() + 4 * DAY).filter((a) => a.severity === "high");
      assert.deepEqual(past.map((a) => a.source), [d.target]);
      assert.match(past[0]!.title, /still on the network past its replace-by date/);
    } finally {
      store.close();
    }
  });

  it("check raises nothing while every date is ahead", () => {
    const r = runCli(["eol", "check", "--db", db]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, "no review overdue, no device past its replace-by date\n", "every review is ahead, every replace-by date too");
  });
});
