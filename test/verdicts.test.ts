import { userInfo } from "node:os";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import type { Verdict } from "../src/classify/classify.js";
import { shouldReplace } from "../src/classify/settle.js";
import { dhcp, ethernet, ipv4, udp } from "../src/lab/craft.js";
import { writePcap } from "../src/lab/capture-writer.js";
import { runCli, tmpDir } from "./helpers.js";

const verdict = (category: Verdict["category"], confidence: number, vendor?: string): Verdict =>
  ({ category, confidence, vendor, criticality: "standard", evidence: [] });

describe("settling verdicts", () => {
  it("changes category only on stronger evidence, and takes new details within a category", () => {
    assert.equal(shouldReplace(undefined, verdict("camera", 0.6)), true);
    assert.equal(shouldReplace({ category: "camera", confidence: 0.9 }, verdict("workstation", 0.8)), false);
    assert.equal(shouldReplace({ category: "camera", confidence: 0.9 }, verdict("workstation", 0.95)), true);
    assert.equal(shouldReplace({ category: "camera", confidence: 0.9 }, verdict("unknown", 0)), false);
    assert.equal(shouldReplace({ category: "camera", confidence: 0.9 }, verdict("camera", 0.9)), false);
    assert.equal(shouldReplace({ category: "camera", confidence: 0.9 }, verdict("camera", 0.9, "Axis Communications")), true);
  });

  /** A DHCP request from a MAC with the given option list and vendor class. */
  function request(mac: string, list: number[], vendorClass: string, tsUs: number): { tsUs: number; data: Buffer } {
    return {
      tsUs,
      data: ethernet("ff:ff:ff:ff:ff:ff", mac, 0x0800, ipv4({ src: "0.0.0.0", dst: "255.255.255.255", proto: 17 },
        udp(68, 67, dhcp({ op: 1, messageType: 3, mac, options: [[55, Buffer.from(list)], [60, Buffer.from(vendorClass)]] })))),
    };
  }

  it("keeps a settled verdict against weaker contrary evidence and records the identity change", () => {
    const dir = tmpDir();
    const db = join(dir, "v.db");
    const mac = "00:40:8c:11:22:33";
    const camera = join(dir, "a.pcap");
    writeFileSync(camera, writePcap([1, 2, 3].map((i) => request(mac, [1, 3, 6, 15], "AXIS,Network Camera,P1455-LE,10.12", 1e15 + i))));
    const windows = join(dir, "b.pcap");
    writeFileSync(windows, writePcap([request(mac, [1, 3, 6, 15, 31, 33, 43, 44, 46, 47, 119, 121, 249, 252], "MSFT 5.0", 2e15)]));
    assert.equal(runCli(["analyze", "--db", db, camera]).status, 0);
    assert.equal(runCli(["analyze", "--db", db, windows]).status, 0);
    const [d] = JSON.parse(runCli(["device", "--db", db, "--format", "json", mac]).stdout) as {
      category: string; verdict_history: { category: string }[]; facts: { kind: string; value: string }[];
    }[];
    assert.equal(d.category, "camera");
    assert.deepEqual(d.verdict_history.map((h) => h.category), ["camera"]);
    const changes = d.facts.filter((f) => f.kind === "identity.change").map((f) => f.value).sort();
    // The option list alone passes the threshold; the record is made again when the vendor class joins.
    assert.deepEqual(changes, [
      "score 0.60: dhcp.param_list: 1,3,6,15 -> 1,3,6,15,31,33,43,44,46,47,119,121,249,252",
      "score 0.84: dhcp.param_list: 1,3,6,15 -> 1,3,6,15,31,33,43,44,46,47,119,121,249,252; dhcp.vendor_class: AXIS,Network Camera,P1455-LE,10.12 -> MSFT 5.0",
    ]);
  });

  it("lets a person override category and criticality", () => {
    const dir = tmpDir();
    const db = join(dir, "o.db");
    const file = join(dir, "c.pcap");
    writeFileSync(file, writePcap([request("00:40:8c:44:55:66", [1, 3, 6], "AXIS,Network Camera,M3045-V,10.12", 1e15)]));
    assert.equal(runCli(["analyze", "--db", db, file]).status, 0);
    const r = runCli(["override", "--db", db, "--category", "access-control", "--reason", "door station", "00:40:8c:44:55:66"]);
    assert.equal(r.status, 0, r.stderr);
    const [d] = JSON.parse(runCli(["device", "--db", db, "--format", "json", "00:40:8c:44:55:66"]).stdout) as { category: string; criticality: string; override: { set_by: string } }[];
    assert.deepEqual([d.category, d.criticality, d.override.set_by], ["access-control", "life-safety/physical-process", userInfo().username]);
    assert.equal(runCli(["override", "--db", db, "--criticality", "extreme", "00:40:8c:44:55:66"]).status, 2);
  });
});
