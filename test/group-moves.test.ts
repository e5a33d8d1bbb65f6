import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type LiveDevice, liveGroupOf, noNewRights, planMoves } from "../src/nac/group-moves.js";
import type { Policy, PolicyRule } from "../src/policy/learn.js";

const rule = (id: string, from: string, to: string, proto: PolicyRule["proto"], ports: [number, number][]): PolicyRule => ({
  id, comment: id, from: from === "any" ? "any" : from.startsWith("cidr:") ? { cidr: from.slice(5) } : { group: from },
  to: to === "any" ? "any" : to.startsWith("cidr:") ? { cidr: to.slice(5) } : { group: to }, proto, ports, seen: 1,
});

const CAM = "02:00:00:00:00:0a";
const NEW = "02:00:00:00:00:0b";

/** A site's approved policy: an unknown device's own group, cameras, sensors, PLCs and a MUD group. */
function policy(): Policy {
  return {
    name: "site", version: 3, site: "default", mode: "enforce",
    groups: { [`device:${CAM}`]: [CAM], "category:camera": ["02:00:00:00:00:01"], "category:sensor": [], "category:plc": [], "mud:https://mud.example.com/lock.json": [], "floor-2": [] },
    managed: [CAM],
    rules: [
      rule("r1", `device:${CAM}`, "cidr:203.0.113.5/32", "tcp", [[443, 443], [8000, 8100]]),
      rule("r2", `device:${CAM}`, "cidr:10.1.1.0/24", "udp", []),
      rule("r3", "category:camera", "cidr:203.0.113.5/32", "tcp", [[443, 443]]),
      rule("r4", "category:sensor", "cidr:203.0.113.5/32", "tcp", [[8080, 8080]]),
      rule("r5", "category:plc", "cidr:10.0.0.0/8", "tcp", [[502, 502]]),
      rule("r6", "mud:https://mud.example.com/lock.json", "cidr:198.51.100.7/32", "tcp", [[443, 443]]),
    ],
    review: [],
    groupSpecs: [{ name: "floor-2", criticality: "life-safety/physical-process", vlan: 20 }],
  };
}

const device = (mac: string, category: string, o: Partial<LiveDevice> = {}): LiveDevice => ({ key: mac, mac, site: "default", category, criticality: "standard", ...o });
const noMud = { has: (): boolean => false };

function plan(devices: LiveDevice[], inForce: Record<string, string>, o: { waiting?: Record<string, string>; mud?: { has(u: string): boolean }; trusted?: (u: string) => boolean } = {}) {
  return planMoves({
    policy: policy(), devices, mud: o.mud ?? noMud, trustedMud: o.trusted ?? (() => false),
    inForce: (k) => inForce[k], waiting: (k) => o.waiting?.[k], because: (d) => `verdict: ${d.category}`,
  });
}

describe("group membership that follows the verdicts", () => {
  it("rights compare rule by rule, in both directions, with ports as ranges", () => {
    const p = policy();
    assert.equal(noNewRights(p, `device:${CAM}`, "category:camera"), true, "443 lies within what the device had");
    assert.equal(noNewRights(p, "category:camera", `device:${CAM}`), false, "8000-8100 and UDP to 10.1.1.0/24 are new");
    assert.equal(noNewRights(p, "category:camera", "category:sensor"), false, "8080 is a port cameras never had");
    assert.equal(noNewRights(p, "category:sensor", "category:sensor"), true);
    assert.equal(noNewRights(p, "category:camera", "floor-2"), true, "a group without rules takes nothing new");
  });

  it("an unknown device classified as a camera moves at once when cameras may reach nothing it could not", () => {
    const moves = plan([device(CAM, "camera")], { [CAM]: `device:${CAM}` });
    assert.deepEqual(moves.map((m) => [m.mac, m.from, m.to, m.rights, m.at]), [[CAM, `device:${CAM}`, "category:camera", "fewer", "now"]]);
    assert.match(moves[0].reason, /verdict: camera; category:camera has no right device:.* lacked/);
  });

  it("a move to a group that may reach more waits for a person, and is not proposed twice", () => {
    const moves = plan([device(CAM, "plc")], { [CAM]: "category:camera" });
    assert.deepEqual(moves.map((m) => [m.to, m.rights, m.at]), [["category:plc", "more", "approval"]]);
    assert.match(moves[0].reason, /may reach more than category:camera: waits for a person/);
    assert.deepEqual(plan([device(CAM, "plc")], { [CAM]: "category:camera" }, { waiting: { [CAM]: "category:plc" } }), []);
    // The verdict changed again before anyone decided: a new move, to the new group.
    assert.deepEqual(plan([device(CAM, "sensor")], { [CAM]: "category:camera" }, { waiting: { [CAM]: "category:plc" } }).map((m) => m.to), ["category:sensor"]);
  });

  it("a MUD URL the operator trusts moves the device at once; an untrusted one waits", () => {
    const url = "https://mud.example.com/lock.json";
    const d = device(CAM, "smart-lock", { mudUrl: url });
    const mud = { has: (u: string): boolean => u === url };
    assert.deepEqual(plan([d], { [CAM]: "category:camera" }, { mud }).map((m) => [m.to, m.rights, m.at]), [[`mud:${url}`, "more", "approval"]]);
    assert.deepEqual(plan([d], { [CAM]: "category:camera" }, { mud, trusted: (u) => u.startsWith("https://mud.example.com/") }).map((m) => m.at), ["now"]);
  });

  it("a group the policy lacks waits for a new version; a device in no group stays so", () => {
    const moves = plan([device(CAM, "printer")], { [CAM]: "category:camera" });
    assert.deepEqual(moves.map((m) => [m.to, m.rights, m.at]), [["category:printer", "undefined", "approval"]]);
    assert.match(moves[0].reason, /policy site v3 has no group category:printer/);
    assert.deepEqual(plan([device(NEW, "printer")], {}), [], "known after approval, and no group for it: nothing to do");
    assert.deepEqual(plan([device(NEW, "sensor")], {}).map((m) => [m.from, m.to, m.at]), [[undefined, "category:sensor", "now"]], "leaving an unrestricted port takes no right");
  });

  it("a person's selectors come first; a VLAN selector keeps the devices learning saw there", () => {
    const p = policy();
    const critical = device(CAM, "camera", { criticality: "life-safety/physical-process" });
    assert.equal(liveGroupOf(critical, p, noMud), "category:camera", "not among floor-2's learned members, so its VLAN is not known to be 20");
    p.groups["floor-2"] = [CAM];
    assert.equal(liveGroupOf(critical, p, noMud), "floor-2");
    assert.equal(liveGroupOf({ ...critical, criticality: "standard" }, p, noMud), "category:camera", "the criticality selector still holds");
    assert.deepEqual(plan([device(CAM, "camera")], { [CAM]: "category:camera" }), [], "no change, no move");
  });
});
