import assert from "node:assert/strict";
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import type { Alert } from "../src/model/alert.js";
import { compileQuarantineNftables } from "../src/policy/compile/nftables-quarantine.js";
import { PacketRings } from "../src/respond/packet-ring.js";
import { type RespondConfig, triggers } from "../src/respond/playbook.js";
import { Responder, type ResponderEffects } from "../src/respond/responder.js";
import { ConfigError, validateConfig } from "../src/serve/config.js";
import { NacStore } from "../src/store/nac.js";
import { Store } from "../src/store/store.js";
import { NO_TSHARK, haveTool, tmpDir } from "./helpers.js";
import { threeHosts } from "./netns.js";

const IS_ROOT = process.getuid?.() === 0;
const NO_NFT = !IS_ROOT ? "nft needs root" : haveTool("nft") && haveTool("ip") ? false : "nft or ip not installed (run .ci/run)";

/** An Ethernet frame from `src` to `dst` (MACs as numbers) carrying `n` bytes of payload, tagged with `i`. */
function frame(src: number, dst: number, n: number, i: number): Buffer {
  const b = Buffer.alloc(14 + n);
  b.writeUIntBE(dst, 0, 6);
  b.writeUIntBE(src, 6, 6);
  b.writeUInt16BE(0x88b5, 12); // IEEE local experimental EtherType
  b.writeUInt32BE(i, 14);
  return b;
}

describe("per-device packet rings", () => {
  const A = 0x001122000001;
  const B = 0x001122000002;

  it("keep the newest frames of a device, in order, within its byte bound", () => {
    const rings = new PacketRings(64 << 10, 16);
    for (let i = 0; i < 10_000; i++) {
      const f = frame(A, B, 100 + (i % 900), i);
      rings.add(A, 1, 1_000_000 + i, f, 0, f.length, f.length + 4);
    }
    assert.ok(rings.bytes() <= 64 << 10);
    const got = rings.frames(A)!;
    const ids = got.frames.map((f) => f.data.readUInt32BE(14));
    assert.equal(ids.at(-1), 9999, "the newest is kept");
    assert.ok(ids.every((v, k) => k === 0 || v === ids[k - 1] + 1), "contiguous and in order: nothing newer was dropped");
    const held = got.frames.reduce((a, f) => a + f.data.length + 16, 0);
    assert.ok(held > (64 << 10) / 2, `most of the ring is used (${held} bytes)`);
    assert.equal(got.frames[0].wireLen, got.frames[0].data.length + 4);
  });

  it("start small, and give up the ring of the device that sent least recently", () => {
    const rings = new PacketRings(1 << 20, 3);
    const f = frame(A, B, 60, 1);
    for (let d = 0; d < 5; d++) rings.add(0x0200000000 + d, 1, d, f, 0, f.length, f.length);
    assert.equal(rings.devices, 3);
    assert.equal(rings.frames(0x0200000000), undefined, "the quietest went first");
    assert.ok(rings.frames(0x0200000004));
    assert.ok(rings.bytes() <= 3 * (16 << 10), "a quiet device costs its first 16 KiB, not the bound");
  });

  it("writes a device's frames since a time as pcapng that tshark reads", { skip: NO_TSHARK }, () => {
    const rings = new PacketRings(1 << 20, 4);
    for (let i = 0; i < 50; i++) {
      const f = frame(i % 2 ? A : B, i % 2 ? B : A, 64, i);
      rings.add(A, 1, 1_790_000_000_000_000 + i * 1_000_000, f, 0, f.length, f.length);
    }
    const file = join(tmpDir(), "a.pcapng");
    assert.equal(rings.writePcapng(A, 1_790_000_000_000_000 + 20 * 1_000_000, file), 30);
    const rows = execFileSync("tshark", ["-r", file, "-T", "fields", "-e", "frame.time_epoch", "-e", "eth.src"], { encoding: "utf8" }).trim().split("\n");
    assert.equal(rows.length, 30);
    assert.equal(Number(rows[0].split("\t")[0]), 1_790_000_020);
    assert.equal(rows[1].split("\t")[1], "00:11:22:00:00:01");
  });
});

const CONFIG: RespondConfig = {
  minSeverity: "high", classes: [], quarantine: "coa", approval: ["life-safety/physical-process"], evidenceDir: "", captureSeconds: 300,
  ringKb: 64, ringDevices: 8, nftCommand: "nft",
};
const CAM = "00:40:8c:00:00:01";
const PLC = "00:0e:8c:00:00:07";

function alert(mac: string, p: Partial<Alert> = {}): Alert {
  return {
    id: `a-${mac}-${p.class ?? "scan"}`, detector: "scan", class: "scan", severity: "high", technique: "T1046", site: "plant", source: "10.0.0.5", sourceMac: mac,
    title: "SYN scan", firstUs: 1, lastUs: 2, count: 100, evidence: { packets: [], flows: [], observations: [] }, status: "open", ...p,
  };
}

function responder(dir: string, coaOk = true): { r: Responder; nac: NacStore; calls: string[]; notices: { title: string; ot: boolean }[] } {
  const store = new Store(join(dir, "r.db"));
  const nac = new NacStore(store.sql);
  const calls: string[] = [];
  const notices: { title: string; ot: boolean }[] = [];
  const rings = new PacketRings(1 << 20, 8);
  const f = frame(0x00408c000001, 0x000e8c000007, 60, 1);
  rings.add(0x00408c000001, 1, Date.now() * 1000, f, 0, f.length, f.length);
  // The effects are the process's edges: the NAS (CoA), the firewall, the outputs.
  const fx: ResponderEffects = {
    now: () => new Date(),
    device: (_site, mac) => (mac === PLC ? { category: "plc", criticality: "life-safety/physical-process", addresses: ["10.0.0.7"] } : { category: "camera", criticality: "standard", name: "axis-1", addresses: ["10.0.0.5"] }),
    quarantineChanged: () => calls.push("table"),
    changeAuthorization: async (_s, mac, purpose) => {
      calls.push(`coa ${purpose} ${mac}`);
      return { ok: coaOk, summary: coaOk ? "CoA-Request → CoA-ACK" : "CoA-Request → timeout after 4 tries" };
    },
    applyFirewall: async (ruleset) => {
      calls.push(`nft ${ruleset.includes("10.0.0.5") ? "with" : "without"} 10.0.0.5`);
      return undefined;
    },
    notify: async (alerts, ot) => {
      for (const a of alerts) notices.push({ title: a.title, ot });
      return [];
    },
    rings,
  };
  return { r: new Responder({ ...CONFIG, evidenceDir: join(dir, "ev") }, nac, fx, ["10.0.99.5"]), nac, calls, notices };
}

describe("response playbooks", () => {
  it("start on severe enough alerts of the chosen classes, with a MAC, not suppressed", () => {
    assert.equal(triggers(alert(CAM), CONFIG), true);
    assert.equal(triggers(alert(CAM, { severity: "medium" }), CONFIG), false);
    assert.equal(triggers(alert(CAM, { status: "suppressed" }), CONFIG), false);
    assert.equal(triggers(alert(CAM, { sourceMac: undefined }), CONFIG), false);
    assert.equal(triggers(alert(CAM), { ...CONFIG, classes: ["mining"] }), false);
  });

  it("a camera: evidence, quarantine by CoA, notice; once per alert", async () => {
    const { r, nac, calls, notices } = responder(tmpDir());
    const [done] = await r.onAlerts([alert(CAM)]);
    assert.equal(done.status, "done");
    assert.deepEqual(done.steps.map((s) => `${s.action}:${s.outcome}`), ["capture:ok", "quarantine:ok", "notify:ok"]);
    assert.match(done.steps[0].detail, /1 packets of the last 300 s written to .*\.pcapng/);
    assert.deepEqual(calls, ["table", `coa quarantine ${CAM}`]);
    assert.equal(nac.activeQuarantine("plant", CAM)?.by, "playbook");
    assert.equal(notices[0].ot, false);
    assert.match(notices[0].title, /^Quarantined: Response to "SYN scan" on 00:40:8c:00:00:01 \(axis-1\), camera/);
    assert.deepEqual(await r.onAlerts([alert(CAM)]), [], "the same alert again starts nothing");
    assert.deepEqual(await r.onAlerts([alert(CAM, { id: "other" })]), [], "nor does another alert while it is in quarantine");
  });

  it("a PLC (life-safety/physical-process): proposed, and quarantined only when a person approves", async () => {
    const { r, nac, calls, notices } = responder(tmpDir());
    const [p] = await r.onAlerts([alert(PLC)]);
    assert.equal(p.status, "proposed");
    assert.deepEqual(p.steps.map((s) => `${s.action}:${s.outcome}`), ["capture:skipped", "propose:waiting", "notify:ok"]);
    assert.equal(nac.activeQuarantine("plant", PLC), undefined);
    assert.deepEqual(calls, []);
    assert.equal(notices[0].ot, true, "the OT owners hear of it");
    const a = await r.approve(p.id, "olga");
    assert.equal(a.status, "done");
    assert.equal(a.steps.find((s) => s.action === "approve")?.by, "olga");
    assert.deepEqual(calls, ["table", `coa quarantine ${PLC}`]);
    await assert.rejects(r.approve(p.id, "olga"), /is done, not waiting for approval/);
    const [q] = await r.onAlerts([alert(PLC, { id: "second", class: "ot-operation" })]);
    assert.equal(q, undefined, "in quarantine already");
  });

  it("reject keeps the device out of quarantine; a person's quarantine needs no approval", async () => {
    const { r, nac } = responder(tmpDir());
    const [p] = await r.onAlerts([alert(PLC)]);
    assert.equal((await r.reject(p.id, "olga", "maintenance window")).status, "rejected");
    assert.equal(nac.activeQuarantine("plant", PLC), undefined);
    const m = await r.quarantine("plant", PLC, "olga", "confirmed compromise");
    assert.equal(m.status, "done");
    assert.equal(m.trigger, "manual");
  });

  it("release is explicit, logged, and sent to the NAS; a failed CoA leaves the quarantine listed, said as in effect from the next authentication", async () => {
    const dir = tmpDir();
    const { r, nac, calls } = responder(dir, false);
    const [f] = await r.onAlerts([alert(CAM)]);
    assert.equal(f.status, "next-auth");
    assert.equal(f.steps[1].outcome, "waiting");
    assert.match(f.steps[1].detail, /on the quarantine list .*: in effect from its next authentication, not now: .*timeout after 4 tries/);
    assert.ok(nac.activeQuarantine("plant", CAM));
    assert.match(nac.activeQuarantine("plant", CAM)!.reason, /^alert .* \(scan\): SYN scan/, "the quarantine list keeps why, not the response's title");
    const rel = await r.release("plant", CAM, "alice", "reimaged");
    assert.equal(rel.quarantine.releasedBy, "alice");
    assert.equal(nac.activeQuarantine("plant", CAM), undefined);
    assert.equal(calls.at(-1), `coa release ${CAM}`);
    const record = nac.response(f.id)!;
    assert.equal(record.steps.find((s) => s.action === "release")?.by, "alice");
    await assert.rejects(r.release("plant", CAM, "alice", "again"), /not in quarantine/);
  });

  it("with the firewall method, the nftables quarantine is loaded with the device and reloaded without it", async () => {
    const dir = tmpDir();
    const base = responder(dir);
    const r = new Responder({ ...CONFIG, quarantine: "nftables", evidenceDir: join(dir, "ev") }, base.nac, (base.r as unknown as { fx: ResponderEffects }).fx, ["10.0.99.5"]);
    await r.quarantine("plant", CAM, "alice", "test");
    await r.release("plant", CAM, "alice", "test over");
    assert.deepEqual(base.calls.filter((c) => c.startsWith("nft")), ["nft with 10.0.0.5", "nft without 10.0.0.5"]);
  });
});

describe("the nftables quarantine", { skip: NO_NFT }, () => {
  it("is accepted by nft -c, empty or not", () => {
    const dir = tmpDir();
    for (const [name, text] of [["empty", compileQuarantineNftables([], [])], ["full", compileQuarantineNftables([{ mac: "aa", v4: ["10.0.0.5"], v6: ["fd00::5"] }], ["10.0.99.5", "fd00::99"])]]) {
      const file = join(dir, `${name}.nft`);
      writeFileSync(file, text);
      const r = spawnSync("nft", ["-c", "-f", file], { encoding: "utf8" });
      assert.equal(r.status, 0, `${name}: ${r.stderr}`);
    }
  });

  it("cuts a quarantined camera off from all but the management address, in a real kernel", async () => {
    const { nvr, router, inNs, connects, teardown } = threeHosts(`q${process.pid % 100000}`);
    const dir = tmpDir();
    const server = spawn("ip", ["netns", "exec", nvr, process.execPath, "-e", `require("net").createServer((c)=>c.end()).listen(554,"10.0.1.7")`], { stdio: "ignore" });
    try {
      await new Promise((r) => setTimeout(r, 400));
      assert.equal(connects(554), true, "before quarantine");
      const load = (text: string): void => {
        writeFileSync(join(dir, "q.nft"), text);
        inNs(router, "nft", "-f", join(dir, "q.nft"));
      };
      load(compileQuarantineNftables([{ mac: "02:00:00:00:00:05", v4: ["10.0.0.5"], v6: [] }], ["10.0.1.99"]));
      assert.equal(connects(554), false, "quarantined: the NVR is out of reach");
      const listing = execFileSync("ip", ["netns", "exec", router, "nft", "list", "table", "inet", "cordon_quarantine"], { encoding: "utf8" });
      assert.match(listing, /ip saddr @quarantined_v4 counter packets [1-9]/);
      load(compileQuarantineNftables([{ mac: "02:00:00:00:00:05", v4: ["10.0.0.5"], v6: [] }], ["10.0.1.7"]));
      assert.equal(connects(554), true, "the management address stays reachable");
      load(compileQuarantineNftables([], ["10.0.1.7"]));
      assert.equal(connects(554), true, "released");
    } finally {
      server.kill();
      teardown();
    }
  });
});

describe("nac and respond configuration", () => {
  const nas = [{ name: "sw1", address: "10.0.0.0/24", secret: "s" }];
  it("fills defaults by vendor", () => {
    const c = validateConfig({ nac: { vlans: { onboarding: 900, quarantine: "quarantine" }, nas: [...nas, { address: "10.0.1.2", secret: "t", vendor: "aruba" }] }, respond: {} });
    assert.equal(c.nac!.authPort, 1812);
    assert.deepEqual(c.nac!.vlans, { onboarding: "900", quarantine: "quarantine", registered: undefined });
    assert.equal(c.nac!.nas[0].acl, "filter-id");
    assert.equal(c.nac!.nas[0].requireMessageAuthenticator, true);
    assert.equal(c.nac!.nas[1].acl, "aruba-role");
    assert.equal(c.nac!.nas[1].name, "10.0.1.2");
    assert.equal(c.respond!.quarantine, "coa");
    assert.deepEqual(c.respond!.approval, ["life-safety/physical-process"]);
    assert.deepEqual(c.nac!.trustedMud, []);
    assert.deepEqual(validateConfig({ nac: { vlans: { onboarding: 9, quarantine: 1 }, nas, trusted_mud: ["https://mud.example.com/"] } }).nac!.trustedMud, ["https://mud.example.com/"]);
  });

  it("group_vlans takes categories short or as policies name them, MUD groups and defined groups, by the name policies use", () => {
    const c = validateConfig({ nac: { vlans: { onboarding: 9, quarantine: 1 }, nas, group_vlans: { camera: 20, "category:plc": 30, "mud:https://mud.example.com/lock.json": 40, "door-locks": "locks" } } });
    assert.deepEqual(c.nac!.groupVlans, { "category:camera": "20", "category:plc": "30", "mud:https://mud.example.com/lock.json": "40", "door-locks": "locks" });
  });

  it("names the bad key", () => {
    const bad: [unknown, RegExp][] = [
      [{ nac: { nas } }, /^nac\.vlans: required/],
      [{ nac: { vlans: { onboarding: 5000, quarantine: 1 }, nas } }, /^nac\.vlans\.onboarding: a VLAN id from 1 to 4094/],
      [{ nac: { vlans: { onboarding: 9, quarantine: 1 }, nas: [] } }, /^nac\.nas: list at least one NAS/],
      [{ nac: { vlans: { onboarding: 9, quarantine: 1 }, nas: [{ address: "10.0.0.300", secret: "s" }] } }, /^nac\.nas\[0\]\.address: "10\.0\.0\.300" is not an address/],
      [{ nac: { vlans: { onboarding: 9, quarantine: 1 }, nas: [{ address: "10.0.0.1" }] } }, /^nac\.nas\[0\]\.secret: required/],
      [{ nac: { vlans: { onboarding: 9, quarantine: 1 }, nas: [{ address: "10.0.0.1", secret_env: "NO_SUCH_VAR_X" }] } }, /^nac\.nas\[0\]\.secret_env: the environment has no NO_SUCH_VAR_X/],
      [{ nac: { vlans: { onboarding: 9, quarantine: 1 }, nas: [{ address: "10.0.0.1", secret: "s", vendor: "juniper" }] } }, /^nac\.nas\[0\]\.vendor: must be one of cisco, aruba, generic/],
      [{ nac: { vlans: { onboarding: 9, quarantine: 1 }, nas: [{ address: "10.0.0.1", secret: "s", acl: "acs" }] } }, /^nac\.nas\[0\]\.acl: must be one of/],
      [{ nac: { vlans: { onboarding: 9, quarantine: 1 }, nas, trusted_mud: ["http://mud.example.com/lock.json"] } }, /^nac\.trusted_mud\[0\]: "http:\/\/mud\.example\.com\/lock\.json" is not an https URL/],
      [{ nac: { vlans: { onboarding: 9, quarantine: 1 }, nas, trusted_mud: ["https://MUD.example.com/a b"] } }, /^nac\.trusted_mud\[0\]: .* written in full/],
      [{ nac: { vlans: { onboarding: 9, quarantine: 1 }, nas, trusted_mud: "https://mud.example.com/" } }, /^nac\.trusted_mud/],
      [{ nac: { vlans: { onboarding: 9, quarantine: 1 }, nas, group_vlans: { "category:camra": 20 } } }, /^nac\.group_vlans\.category:camra: no such category \(known: .*camera/],
      [{ nac: { vlans: { onboarding: 9, quarantine: 1 }, nas, group_vlans: { camera: 20, "category:camera": 21 } } }, /^nac\.group_vlans\.category:camera: names the group category:camera a second time/],
      [{ nac: { vlans: { onboarding: 9, quarantine: 1 }, nas, group_vlans: { "mud:http://x.example/a.json": 20 } } }, /^nac\.group_vlans\.mud:http:.*https URL/],
      [{ nac: { vlans: { onboarding: 9, quarantine: 1 }, nas, group_vlans: { "device:00:11:22:33:44:55": 20 } } }, /^nac\.group_vlans\.device:.*gets no group VLAN/],
      [{ nac: { vlans: { onboarding: 9, quarantine: 1 }, nas, group_vlans: { "a b": 20 } } }, /^nac\.group_vlans\.a b: not a group name/],
      [{ respond: { quarantine: "coa" } }, /^respond\.quarantine: coa needs the nac section/],
      [{ respond: { classes: ["scna"] } }, /^respond\.classes: "scna" is not an alert class/],
      [{ respond: { approval: ["critical"] } }, /^respond\.approval: "critical" is not a criticality class/],
      [{ respond: { quarantine: "none", min_severity: "urgent" } }, /^respond\.min_severity: must be one of low, medium, high, critical/],
    ];
    for (const [raw, re] of bad) assert.throws(() => validateConfig(raw), (e: Error) => e instanceof ConfigError && re.test(e.message), JSON.stringify(raw));
  });
});
