import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import type { Actor } from "../src/app/actor.js";
import { createAuthority, createEnrollToken, enroll, openAuthority } from "../src/app/certificates.js";
import { identityIndex } from "../src/app/identity-strength.js";
import type { StoredFact } from "../src/inventory/inventory.js";
import { buildNacTable, decide } from "../src/nac/authorization.js";
import { ConfigError, validateConfig } from "../src/serve/config.js";
import { Store } from "../src/store/store.js";
import { haveTool, tmpDir } from "./helpers.js";

/** Identity strength per device (model/identity.ts), and what NAC does with a group's minimum. */
const by: Actor = { principal: "os:test", name: "test", via: "cli" };
const PASS = "correct horse battery";

function fact(kind: string, value: string, count: number): StoredFact {
  return { kind, value, firstUs: 1_000_000, lastUs: 2_000_000, count, source: "test.pcap", packet: 1 };
}

/** Stores a device with these facts; its id. */
function device(store: Store, mac: string, facts: StoredFact[]): number {
  return store.saveDevices([{
    site: "main", key: mac, mac, router: false, firstUs: 1_000_000, lastUs: 2_000_000, packetsOut: 1, packetsIn: 1, bytesOut: 1, bytesIn: 1,
    ouiVendor: null, localMac: true, dropTrafficAddresses: false, addresses: [], endpoints: [], facts,
  }])[0];
}

describe("identity strength", { skip: haveTool("openssl") ? false : "openssl not installed" }, () => {
  it("ranks each device by what establishes it: certificate, MUD, a settled fingerprint, the MAC only; an open identity-change alert is a conflict", async () => {
    const dir = tmpDir("cordon-identity-");
    const store = new Store(join(dir, "c.db"));
    try {
      device(store, "02:00:00:00:00:01", [fact("dhcp.hostname", "cam", 5)]);
      device(store, "02:00:00:00:00:02", [fact("dhcp.param_list", "1,3,6,15", 4)]);
      device(store, "02:00:00:00:00:03", [fact("dhcp.param_list", "1,3,6", 1)]);
      device(store, "02:00:00:00:00:04", [fact("dhcp.mud_url", "https://mud.example.com/sensor.json", 1)]);
      device(store, "02:00:00:00:00:05", [fact("dhcp.param_list", "1,3,6,15", 4)]);
      const conflictId = device(store, "02:00:00:00:00:06", [fact("dhcp.param_list", "1,3,6,15", 4)]);
      store.saveAlerts([{
        id: "a1", detector: "identity-change", class: "identity-change", severity: "high", technique: "T1036", site: "main", source: "02:00:00:00:00:06", sourceMac: "02:00:00:00:00:06",
        title: "changed", firstUs: 1, lastUs: 1, count: 1, status: "open", evidence: { packets: [], flows: [], observations: [] }, deviceId: conflictId,
      }]);
      await createAuthority(store, by, { organisation: "Test", algorithm: "ecdsa-p256", passphrase: PASS });
      const authority = await openAuthority(store, PASS);
      const { token } = createEnrollToken(store, by, { site: "main", mac: "02:00:00:00:00:05" });
      execFileSync("openssl", ["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=x", "-keyout", join(dir, "k"), "-outform", "DER", "-out", join(dir, "c")], { stdio: "ignore" });
      await enroll(store, authority, { site: "main", csr: readFileSync(join(dir, "c")), credential: { kind: "token", token }, mode: "enroll", via: "est" });
      const expected: [string, string][] = [["02:00:00:00:00:01", "mac"], ["02:00:00:00:00:02", "fingerprint"], ["02:00:00:00:00:03", "mac"], ["02:00:00:00:00:04", "mud"],
        ["02:00:00:00:00:05", "certificate"], ["02:00:00:00:00:06", "conflict"]];
      const index = identityIndex(store);
      const devices = store.devices("main");
      for (const [mac, strength] of expected) {
        assert.equal(index.of("main", mac).strength, strength, `${mac} from the queries`);
        assert.equal(index.of("main", mac, devices.find((d) => d.mac === mac)!.facts).strength, strength, `${mac} from its facts`);
      }
      // A certificate past its end no longer counts.
      assert.equal(identityIndex(store, new Date(Date.now() + 2 * 365 * 86_400_000)).of("main", "02:00:00:00:00:05").strength, "fingerprint");
    } finally {
      store.close();
    }
  });

  it("a group's minimum sends a device below it to onboarding; a certificate presented in EAP-TLS meets it, a conflict never does", () => {
    const table = buildNacTable({
      settings: { vlans: { onboarding: "999", quarantine: "666" }, groupVlans: { plc: "30" }, groupMinIdentity: { plc: "certificate" }, quarantineAllow: [], unknown: "onboard" },
      devices: [{ site: "s", mac: "02:00:00:00:00:0a" }, { site: "s", mac: "02:00:00:00:00:0b" }, { site: "s", mac: "02:00:00:00:00:0c" }],
      policies: [{ site: "s", ref: { id: 1, name: "p", version: 1, status: "approved" }, resolved: { sets: [], rules: [], defaultAction: "deny" } as never, groups: { plc: ["02:00:00:00:00:0a", "02:00:00:00:00:0b", "02:00:00:00:00:0c"] } }],
      quarantines: [], identities: new Map([["s 02:00:00:00:00:0a", "fingerprint"], ["s 02:00:00:00:00:0b", "certificate"], ["s 02:00:00:00:00:0c", "conflict"]]),
    });
    const mab = decide(table, "s", "02:00:00:00:00:0a");
    assert.deepEqual([mab.state, mab.profile?.vlan], ["unknown", "999"]);
    assert.match(mab.reason, /requires identity certificate; this device has fingerprint: onboarding VLAN/);
    assert.equal(decide(table, "s", "02:00:00:00:00:0b").profile?.vlan, "30", "holds a certificate: its group's VLAN even by MAB");
    assert.equal(decide(table, "s", "02:00:00:00:00:0a", "certificate").profile?.vlan, "30", "EAP-TLS proved it");
    assert.equal(decide(table, "s", "02:00:00:00:00:0c", "certificate").profile?.vlan, "999", "a conflict is below every minimum");
  });

  it("nac.group_min_identity takes a strength per group, and names a wrong one", () => {
    const nac = (min: unknown): unknown => ({ nac: { vlans: { onboarding: 1, quarantine: 2 }, group_min_identity: min, nas: [{ name: "s", address: "127.0.0.1", secret: "x".repeat(16) }] } });
    assert.deepEqual(validateConfig(nac({ plc: "certificate", camera: "fingerprint" })).nac?.groupMinIdentity, { "category:plc": "certificate", "category:camera": "fingerprint" });
    assert.throws(() => validateConfig(nac({ plc: "strong" })), (e: Error) => e instanceof ConfigError && /group_min_identity\.plc: one of mac, fingerprint, mud, certificate/.test(e.message));
    assert.throws(() => validateConfig(nac({ nosuch_category: "mac", "category:toaster": "mac" })), /group_min_identity\.category:toaster: no such category/);
  });
});
