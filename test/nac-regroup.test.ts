import assert from "node:assert/strict";
import { userInfo } from "node:os";
import { join } from "node:path";
import { writeFileSync } from "node:fs";
import { describe, it } from "node:test";
import { movePolicy, proposePolicy } from "../src/app/policies.js";
import { learnDevices } from "../src/app/site-devices.js";
import type { Policy, PolicyRule } from "../src/policy/learn.js";
import { resolvePolicy } from "../src/policy/resolve.js";
import { Store } from "../src/store/store.js";
import { runCli, tmpDir } from "./helpers.js";
import { NO_RADCLIENT, NasStandIn, radclient } from "./radius-peers.js";
import { serve, waitFor } from "./serve-process.js";

const TESTER = { principal: "test", name: "tester", via: "cli" as const };

const SECRET = "regroup-secret-1";
const MA = "Message-Authenticator = 0x00";

const rule = (id: string, group: string, cidr: string, ports: [number, number][]): PolicyRule =>
  ({ id, comment: `${group} -> ${cidr}`, from: { group }, to: { cidr }, proto: "tcp", ports, seen: 1 });

interface Move { id: number; mac: string; from?: string; to: string; rights: string; status: string; reason: string; decided_by?: string }

describe("group membership follows the verdicts in serve", { skip: NO_RADCLIENT }, () => {
  it("a move that takes no new right is made at once with a CoA; one that does waits for nac approve", async () => {
    const dir = tmpDir("cordon-regroup-");
    const db = join(dir, "c.db");
    assert.equal(runCli(["lab", "--out", dir, "--devices", "20", "--duration", "60"]).status, 0);
    assert.equal(runCli(["analyze", "--db", db, join(dir, "lab.pcapng")]).status, 0);

    // The site's approved policy: the device starts among cameras, which may reach a cloud
    // on 443 and 8080; sensors may reach it on 8080 only (no new right); PLCs a network on 502.
    // A camera by its verdict, so the policy's camera group is where the verdicts keep it: the
    // first identified MAC is the lab's PLC, whose verdict alone asks for a move at serve's first
    // table, and whether the test's override came before that table was a race.
    const store = new Store(db);
    const { mac } = store.groupingInputs().find((i) => i.category === "camera")!;
    const policy: Policy = {
      name: "plant", version: 1, site: "default", mode: "enforce", managed: [mac], review: [],
      groups: { "category:camera": [mac], "category:sensor": [], "category:plc": [] },
      rules: [
        rule("r1", "category:camera", "203.0.113.5/32", [[443, 443], [8080, 8080]]),
        rule("r2", "category:sensor", "203.0.113.5/32", [[8080, 8080]]),
        rule("r3", "category:plc", "192.0.2.0/24", [[502, 502]]),
      ],
    };
    const proposed = proposePolicy(store, { policy, resolved: resolvePolicy(policy, learnDevices(store, "default")) }, TESTER);
    movePolicy(store, String(proposed.id), "approved", TESTER);
    store.close();

    const nas = await new NasStandIn(SECRET, (r) => ({ code: r.code === "CoA-Request" ? "CoA-ACK" : "Disconnect-ACK" })).start();
    const config = join(dir, "serve.yaml");
    writeFileSync(config, [
      `db: ${db}`, "persist_interval_s: 1",
      "nac:", "  host: 127.0.0.1", "  auth_port: 0", "  acct_port: 0", "  vlans: { onboarding: 900, quarantine: 666 }",
      "  coa: { timeout_ms: 500, retries: 2 }",
      `  nas: [ { name: access-1, address: 127.0.0.1, secret: ${SECRET}, vendor: cisco, coa_port: ${nas.port} } ]`,
    ].join("\n"));
    const s = await serve(["--config", config]);
    try {
      const auth = s.logs.find((l) => l.msg === "radius listener bound")!.auth as number;
      const mab = async (): Promise<string[]> => {
        const user = mac.replace(/:/g, "");
        const r = await radclient(auth, "auth", SECRET, [`User-Name = "${user}"`, `User-Password = "${user}"`, "Service-Type = Call-Check",
          `Calling-Station-Id = "${mac.replace(/:/g, "-").toUpperCase()}"`, 'NAS-Port-Id = "GigabitEthernet1/0/9"', 'Cisco-AVPair = "audit-session-id=0A000001000000990BADCAFE"', MA]);
        assert.equal(r.code, "Access-Accept", r.stdout);
        return r.attrs["Cisco-AVPair"] ?? [];
      };
      const moves = (status?: string): Move[] => {
        const r = runCli(["nac", status ?? "moves", "--format", "json", "--db", db]);
        assert.equal(r.status, 0, r.stderr);
        return JSON.parse(r.stdout) as Move[];
      };
      const session = "audit-session-id=0A000001000000990BADCAFE";
      // Only this device has a session at the NAS: the other moves find none to change.
      const coas = (): number => nas.requests.filter((r) => r.code === "CoA-Request" && r.avpairs.includes(session)).length;

      assert.ok((await mab()).includes("ip:inacl#1=permit tcp any host 203.0.113.5 eq 443"), "a camera reaches the cloud on 443");

      // Reclassified as a sensor: sensors may reach nothing cameras could not. Moved at once, with a CoA.
      assert.equal(runCli(["override", "--db", db, "--category", "sensor", "--reason", "it is the boiler's temperature sensor", mac]).status, 0);
      await waitFor(async () => coas() === 1, "the CoA for the move to sensors", 20);
      const coa = nas.requests.find((r) => r.code === "CoA-Request")!;
      assert.ok(coa.authenticatorOk && coa.avpairs.includes("subscriber:command=reauthenticate"), JSON.stringify(coa.avpairs));
      assert.ok(coa.avpairs.includes("audit-session-id=0A000001000000990BADCAFE"), "the session the NAS named");
      assert.deepEqual(await mab(), ["ip:inacl#1=permit tcp any host 203.0.113.5 eq 8080", "ip:inacl#2=deny ip any any"]);
      // The site's other cameras, known but in no group of this hand-written policy, joined theirs at once too.
      const first = moves().filter((m) => m.mac === mac);
      assert.deepEqual(first.map((m) => [m.mac, m.from, m.to, m.rights, m.status, m.decided_by]), [[mac, "category:camera", "category:sensor", "fewer", "applied", "cordon"]]);
      assert.match(first[0].reason, /a person's override: sensor/);

      // Reclassified as a PLC: PLCs may reach 192.0.2.0/24 (outside the lab, so no return rule reaches the camera) on 502, which sensors could not. It waits.
      assert.equal(runCli(["override", "--db", db, "--category", "plc", "--reason", "it is the boiler's controller", mac]).status, 0);
      await waitFor(async () => moves("pending").some((m) => m.mac === mac), "the move to PLCs to wait", 20);
      const waiting = moves("pending").find((m) => m.mac === mac)!;
      assert.deepEqual([waiting.from, waiting.to, waiting.rights], ["category:sensor", "category:plc", "more"]);
      await new Promise((r) => setTimeout(r, 2500));
      assert.equal(coas(), 1, "no CoA while the move waits");
      assert.equal(moves("pending").filter((m) => m.mac === mac).length, 1, "proposed once, not at every table");
      assert.deepEqual(await mab(), ["ip:inacl#1=permit tcp any host 203.0.113.5 eq 8080", "ip:inacl#2=deny ip any any"], "still a sensor");

      // A person approves: the move takes effect at the next table, with a CoA.
      const approved = runCli(["nac", "approve", String(waiting.id), "--db", db, "--reason", "checked with the plant engineer"]);
      assert.equal(approved.status, 0, approved.stderr);
      assert.match(approved.stdout, new RegExp(`move ${waiting.id} of ${mac} from category:sensor to category:plc: approved by ${userInfo().username}`));
      await waitFor(async () => coas() === 2, "the CoA for the approved move", 20);
      assert.deepEqual(await mab(), ["ip:inacl#1=permit tcp any 192.0.2.0 0.0.0.255 eq 502", "ip:inacl#2=deny ip any any"]);
      assert.equal(runCli(["nac", "approve", String(waiting.id), "--db", db]).status, 2, "a move is decided once");

      const audit = JSON.parse(runCli(["audit", "--format", "json", "--db", db]).stdout) as { principal: string; action: string; target: string }[];
      assert.ok(audit.some((e) => e.action === "nac.move" && e.principal === "cordon" && e.target === mac), "the automatic move is audited");
      assert.ok(audit.some((e) => e.action === "nac.move.approve" && e.principal === `os:${userInfo().username}` && e.target === mac), "so is the person's approval");
    } finally {
      s.child.kill("SIGTERM");
      await s.exit;
      nas.close();
    }
  });
});
