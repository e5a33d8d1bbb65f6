import assert from "node:assert/strict";
import { createHash, createHmac, randomBytes } from "node:crypto";
import { createSocket } from "node:dgram";
import { after, before, describe, it } from "node:test";
import { type NacSettings, type NacTable, buildNacTable, decide } from "../src/nac/authorization.js";
import { quarantinePolicy } from "../src/policy/quarantine.js";
import { CoaClient, buildChangeRequest } from "../src/nac/coa.js";
import { canonicalMac } from "../src/model/mac.js";
import { type NasConfig, NasRegistry, weakNasSettings } from "../src/nac/nas.js";
import { type AccountingEvent, type DecisionEvent, RadiusServer } from "../src/nac/radius-server.js";
import { type RadiusListener, listenRadius } from "../src/nac/radius-listener.js";
import { RadiusSecret, messageAuthenticator, requestAuthenticatorValid } from "../src/nac/radius/auth.js";
import { ATTR, CODE } from "../src/nac/radius/constants.js";
import { HmacMd5Key, Md5 } from "../src/nac/radius/md5.js";
import { decodePacket, encodeAttributes, encodePacket, text, vendorAttribute, vendorStrings } from "../src/nac/radius/packet.js";
import type { ResolvedPolicy } from "../src/policy/model.js";
import { DecisionRuns, fromColumns, toColumns } from "../src/nac/decision-runs.js";
import { SessionTable } from "../src/nac/sessions.js";
import { NacStore } from "../src/store/nac.js";
import { Store } from "../src/store/store.js";
import { Inventory } from "../src/inventory/inventory.js";
import { join } from "node:path";
import { tmpDir } from "./helpers.js";
import { NO_RADCLIENT, NasStandIn, radclient } from "./radius-peers.js";
import { saveInventory } from "../src/app/site-run.js";

const SECRET = "s3cret-for-tests";
const CAMERA = "aa:bb:cc:00:00:01";
const PRINTER = "aa:bb:cc:00:00:02";
const INFECTED = "aa:bb:cc:00:00:03";
const STRANGER = "de:ad:be:ef:00:09";

function nas(p: Partial<NasConfig> = {}): NasConfig {
  return { name: "access-1", address: "127.0.0.0/8", secret: SECRET, vendor: "cisco", acl: "per-user", requireMessageAuthenticator: true, coaPort: 3799, site: "plant", rateLimit: 100_000, ...p };
}

const POLICY: ResolvedPolicy = {
  name: "learned-plant", version: 4, mode: "enforce", managed: "camera",
  sets: [
    { name: "camera", v4: ["10.0.10.5"], v6: [], members: [CAMERA] },
    { name: "nvr", v4: ["10.0.20.2"], v6: [], members: ["aa:bb:cc:00:00:10"] },
    { name: "ntp.example.net", v4: ["192.0.2.123"], v6: [], members: ["ntp.example.net"] },
  ],
  rules: [
    { id: "r1", comment: "nvr pulls the camera's RTSP", from: "nvr", to: "camera", proto: "tcp", ports: [[554, 554]] },
    { id: "r2", comment: "camera sets its clock", from: "camera", to: "ntp.example.net", proto: "udp", ports: [[123, 123]] },
  ],
};

const SETTINGS: NacSettings = { vlans: { onboarding: "900", quarantine: "666", registered: "100" }, groupVlans: { camera: "20" }, quarantineAllow: ["10.0.99.5"], unknown: "onboard" };

function table(settings = SETTINGS): NacTable {
  return buildNacTable({
    settings,
    devices: [CAMERA, PRINTER, INFECTED].map((mac) => ({ site: "plant", mac })),
    policies: [{ site: "plant", ref: { id: 7, name: "learned-plant", version: 4, status: "enforced" }, resolved: POLICY, groups: { camera: [CAMERA] } }],
    quarantines: [{ site: "plant", mac: INFECTED, since: "2026-11-22T07:00:00Z", by: "playbook", reason: "scan alert" }],
  });
}

describe("RADIUS packets", () => {
  it("decodes what it encodes, attribute by attribute, vendor attributes included", () => {
    const body = encodeAttributes([{ type: ATTR.userName, value: "aabb.cc00.0001" }, { type: ATTR.nasPort, value: 50101 }, vendorAttribute(9, 1, "audit-session-id=0A0B0C")]);
    const raw = encodePacket(CODE.accessRequest, 42, randomBytes(16), body);
    const p = decodePacket(raw);
    assert.ok(typeof p !== "string");
    assert.equal(p.code, 1);
    assert.equal(p.identifier, 42);
    assert.equal(text(p, ATTR.userName), "aabb.cc00.0001");
    assert.equal(p.raw.readUInt32BE(p.attributes[1].offset), 50101);
    assert.deepEqual(vendorStrings(p, 9, 1), ["audit-session-id=0A0B0C"]);
  });

  it("names the defect of every malformed datagram instead of throwing", () => {
    const good = encodePacket(CODE.accessRequest, 1, Buffer.alloc(16), encodeAttributes([{ type: ATTR.userName, value: "x" }]));
    assert.equal(decodePacket(good.subarray(0, 19)), "too-short");
    const longer = Buffer.from(good);
    longer.writeUInt16BE(good.length + 5, 2);
    assert.equal(decodePacket(longer), "bad-length");
    const huge = Buffer.concat([good, Buffer.alloc(5000)]);
    huge.writeUInt16BE(5000, 2);
    assert.equal(decodePacket(huge), "too-long");
    const badAttr = Buffer.from(good);
    badAttr[21] = 1;
    assert.equal(decodePacket(badAttr), "attribute-length");
    const overrun = Buffer.from(good);
    overrun[21] = 40;
    assert.equal(decodePacket(overrun), "attribute-length");
    // Octets past the header's length are padding (RFC 2865 §3), not an error.
    const padded = Buffer.concat([good, Buffer.from([1, 2, 3])]);
    const p = decodePacket(padded);
    assert.ok(typeof p !== "string" && p.length === good.length);
  });

  it("refuses values past 253 octets and packets past 4096", () => {
    assert.throws(() => encodeAttributes([{ type: ATTR.filterId, value: "x".repeat(254) }]), /longer than 253/);
    assert.throws(() => vendorAttribute(9, 1, "x".repeat(248)), /longer than 247/);
    assert.throws(() => encodePacket(2, 1, Buffer.alloc(16), Buffer.alloc(4080)), /longer than 4096/);
  });

  it("MD5 and HMAC-MD5 agree with node:crypto for every length around the block boundaries", () => {
    for (let n = 0; n < 260; n++) {
      const data = randomBytes(n);
      assert.ok(new Md5().update(data).digest().equals(createHash("md5").update(data).digest()), `md5 of ${n} bytes`);
      // In pieces, and with zeros standing in for a field, as the authenticators hash packets.
      const split = Math.floor(n / 3);
      const zeroed = Buffer.from(data);
      zeroed.fill(0, split, Math.min(n, split + 16));
      const pieces = new Md5().update(data, 0, split).zeros(Math.min(n, split + 16) - split).update(data, Math.min(n, split + 16), n).digest();
      assert.ok(pieces.equals(createHash("md5").update(zeroed).digest()), `md5 in pieces of ${n} bytes`);
      const key = randomBytes(n % 100);
      const k = new HmacMd5Key(key);
      assert.ok(Buffer.from(k.finish(k.start().update(data), new Uint8Array(16))).equals(createHmac("md5", key).update(data).digest()), `hmac of ${n} bytes, key ${key.length}`);
    }
  });

  it("reads MACs in the spellings switches use", () => {
    for (const s of ["aa:bb:cc:00:00:01", "AA-BB-CC-00-00-01", "aabb.cc00.0001", "AABBCC000001", "aabbcc-000001", "aabb-cc00-0001", " aabbcc000001 "]) {
      assert.equal(canonicalMac(s), CAMERA, s);
    }
    for (const s of ["aa:bb:cc:00:00", "alice", "aabbcc00000g", "aa:bb-cc:00:00:01", ""]) assert.equal(canonicalMac(s), undefined, s);
  });
});

describe("authorisation table", () => {
  it("managed, registered, quarantined and unknown devices, each with its reason", () => {
    const t = table();
    const cam = decide(t, "plant", CAMERA);
    assert.equal(cam.state, "managed");
    assert.equal(cam.profile?.vlan, "20");
    assert.match(cam.reason, /group camera \(policy learned-plant v4\)/);
    assert.equal(decide(t, "plant", PRINTER).state, "registered");
    assert.equal(decide(t, "plant", PRINTER).profile?.vlan, "100");
    const q = decide(t, "plant", INFECTED);
    assert.equal(q.state, "quarantined");
    assert.equal(q.profile?.vlan, "666");
    assert.match(q.reason, /by playbook: scan alert/);
    assert.equal(decide(t, "plant", STRANGER).state, "unknown");
    assert.equal(decide(t, "plant", STRANGER).profile?.vlan, "900");
    // Sites never mix: the camera is a stranger at another site.
    assert.equal(decide(t, "office", CAMERA).state, "unknown");
    assert.equal(decide(table({ ...SETTINGS, unknown: "reject" }), "plant", STRANGER).accept, false);
  });

  it("the quarantine ACL allows the management interface and DHCP, and nothing else", () => {
    const acl = table().profiles.quarantine.acl["per-user"];
    assert.deepEqual(acl, [
      { type: 1, vendor: 9, value: "ip:inacl#1=permit ip any host 10.0.99.5" },
      { type: 1, vendor: 9, value: "ip:inacl#2=permit udp any any eq 67" },
      { type: 1, vendor: 9, value: "ip:inacl#3=deny ip any any" },
    ]);
    assert.equal(quarantinePolicy(["10.0.99.5", "fd00::5"]).sets[0].v6[0], "::/0");
  });
});

describe("RADIUS server with radclient (freeradius-utils)", { skip: NO_RADCLIENT }, () => {
  const decisions: DecisionEvent[] = [];
  const accounting: AccountingEvent[] = [];
  const servers: { server: RadiusServer; listener: RadiusListener }[] = [];
  const start = async (n: NasConfig, t = table()): Promise<{ server: RadiusServer; port: number; acct: number }> => {
    const server = new RadiusServer(new NasRegistry([n]), t, { decision: (e) => decisions.push(e), accounting: (e) => accounting.push(e) });
    const listener = await listenRadius(server, { host: "127.0.0.1", authPort: 0, acctPort: 0 }, (e) => assert.fail(e));
    servers.push({ server, listener });
    return { server, port: listener.authPort, acct: listener.acctPort };
  };
  after(async () => {
    for (const s of servers) await s.listener.close();
  });
  const mab = (userName: string, extra: string[] = []): string[] => [`User-Name = "${userName}"`, `User-Password = "${userName}"`, "Service-Type = Call-Check", "NAS-Port-Type = Ethernet", ...extra];
  const MA = "Message-Authenticator = 0x00";

  it("a managed camera gets its group's VLAN (RFC 3580) and its per-user ACL as Cisco-AVPairs", async () => {
    const { port } = await start(nas());
    const r = await radclient(port, "auth", SECRET, mab("aabbcc000001", ['Calling-Station-Id = "AA-BB-CC-00-00-01"', 'NAS-Port-Id = "GigabitEthernet1/0/5"', 'Cisco-AVPair = "audit-session-id=0A00000100000012ABCD"', MA]));
    assert.equal(r.code, "Access-Accept", r.stdout);
    assert.deepEqual(r.attrs["Tunnel-Type"], ["VLAN"]);
    assert.deepEqual(r.attrs["Tunnel-Medium-Type"], ["IEEE-802"]);
    assert.deepEqual(r.attrs["Tunnel-Private-Group-Id"], ["20"]);
    assert.deepEqual(r.attrs["Cisco-AVPair"], [
      "ip:inacl#1=permit tcp any eq 554 host 10.0.20.2 established",
      "ip:inacl#2=permit udp any host 192.0.2.123 eq 123",
      "ip:inacl#3=deny ip any any",
    ]);
    // The Message-Authenticator comes first (BlastRADIUS): radclient lists attributes in packet order.
    assert.match(r.stdout, /Received Access-Accept[^\n]*\n\s+Message-Authenticator = 0x[0-9a-f]{32}\n\s+Tunnel-Type/);
    const d = decisions.at(-1)!;
    assert.equal(d.mac, CAMERA);
    assert.equal(d.state, "managed");
    assert.equal(d.nasPortId, "GigabitEthernet1/0/5");
  });

  it("a quarantined MAC gets the quarantine VLAN and the ACL that reaches only the management interface", async () => {
    const { port, server } = await start(nas());
    const r = await radclient(port, "auth", SECRET, mab("aabb.cc00.0003", [MA]));
    assert.equal(r.code, "Access-Accept", r.stdout);
    assert.deepEqual(r.attrs["Tunnel-Private-Group-Id"], ["666"]);
    assert.deepEqual(r.attrs["Cisco-AVPair"], ["ip:inacl#1=permit ip any host 10.0.99.5", "ip:inacl#2=permit udp any any eq 67", "ip:inacl#3=deny ip any any"]);
    assert.equal(server.sessions.get("plant", INFECTED)?.userName, "aabb.cc00.0003");
  });

  it("an unknown MAC goes to the onboarding VLAN; a known one without a group to the registered VLAN", async () => {
    const { port } = await start(nas());
    const u = await radclient(port, "auth", SECRET, mab("DE-AD-BE-EF-00-09", [MA]));
    assert.equal(u.code, "Access-Accept");
    assert.deepEqual(u.attrs["Tunnel-Private-Group-Id"], ["900"]);
    assert.equal(u.attrs["Cisco-AVPair"], undefined);
    assert.equal(decisions.at(-1)!.state, "unknown");
    const p = await radclient(port, "auth", SECRET, mab("aabbcc000002", [MA]));
    assert.deepEqual(p.attrs["Tunnel-Private-Group-Id"], ["100"]);
  });

  it("downloadable ACLs: the Access-Accept names the dACL and the switch's download gets its entries", async () => {
    const { port, server } = await start(nas({ acl: "dacl" }));
    const r = await radclient(port, "auth", SECRET, mab("aabbcc000001", [MA]));
    assert.equal(r.code, "Access-Accept", r.stdout);
    assert.deepEqual(r.attrs["Tunnel-Private-Group-Id"], ["20"]);
    const named = r.attrs["Cisco-AVPair"];
    assert.equal(named.length, 1);
    const name = /^ACS:CiscoSecure-Defined-ACL=(#ACSACL#-IP-CORDON-camera-[0-9a-f]{8})$/.exec(named[0])?.[1];
    assert.ok(name, named[0]);
    // What a Catalyst sends next: the dACL's name as User-Name, and the download event.
    const download = (n: string, extra: string[] = []): string[] => [`User-Name = "${n}"`, 'Cisco-AVPair = "aaa:service=ip_admission"', 'Cisco-AVPair = "aaa:event=acl-download"', MA, ...extra];
    const d = await radclient(port, "auth", SECRET, download(name));
    assert.equal(d.code, "Access-Accept", d.stdout);
    assert.deepEqual(d.attrs["Cisco-AVPair"], ["ip:inacl#1=permit tcp any eq 554 host 10.0.20.2 established", "ip:inacl#2=permit udp any host 192.0.2.123 eq 123", "ip:inacl#3=deny ip any any"]);
    assert.match(d.stdout, /Received Access-Accept[^\n]*\n\s+Message-Authenticator = 0x[0-9a-f]{32}\n/);
    assert.equal(server.stats.nas["access-1"].daclDownloads, 1);
    const unknown = await radclient(port, "auth", SECRET, download("#ACSACL#-IP-CORDON-camera-00000000"));
    assert.equal(unknown.code, "Access-Reject");
    assert.match(unknown.attrs["Reply-Message"][0], /no downloadable ACL named/);
    // Without the download event it is a login attempt, and Cordon answers MAB only.
    const login = await radclient(port, "auth", SECRET, [`User-Name = "${name}"`, MA]);
    assert.equal(login.code, "Access-Reject");
  });

  it("a dACL too large for one packet comes in parts: Access-Challenge with State until the last part's Access-Accept", async () => {
    const big: ResolvedPolicy = { ...POLICY, sets: POLICY.sets.map((x) => (x.name === "ntp.example.net" ? { ...x, v4: Array.from({ length: 200 }, (_, i) => `192.0.2.${i + 1}`) } : x)) };
    const t = buildNacTable({
      settings: SETTINGS, devices: [{ site: "plant", mac: CAMERA }], quarantines: [],
      policies: [{ site: "plant", ref: { id: 8, name: "learned-plant", version: 5, status: "enforced" }, resolved: big, groups: { camera: [CAMERA] } }],
    });
    const { port } = await start(nas({ acl: "dacl" }), t);
    const name = /=(.*)$/.exec((await radclient(port, "auth", SECRET, mab("aabbcc000001", [MA]))).attrs["Cisco-AVPair"][0])![1];
    const request = [`User-Name = "${name}"`, 'Cisco-AVPair = "aaa:service=ip_admission"', 'Cisco-AVPair = "aaa:event=acl-download"', MA];
    const entries: string[] = [];
    let state: string | undefined;
    let parts = 0;
    for (;;) {
      const r = await radclient(port, "auth", SECRET, [...request, ...(state ? [`State = ${state}`] : [])]);
      parts++;
      entries.push(...r.attrs["Cisco-AVPair"]);
      if (r.code === "Access-Accept") break;
      assert.equal(r.code, "Access-Challenge", r.stdout);
      state = r.attrs.State[0];
      assert.ok(parts < 10);
    }
    assert.ok(parts > 1, "split across packets");
    assert.deepEqual(entries.map((v) => Number(/^ip:inacl#(\d+)=/.exec(v)![1])), entries.map((_, i) => i + 1), "numbering runs on across parts");
    assert.equal(entries.length, 1 + 200 + 1);
    assert.equal(entries.at(-1), `ip:inacl#${entries.length}=deny ip any any`);
    const past = await radclient(port, "auth", SECRET, [...request, `State = 0x${Buffer.from("CORDON-DACL-99").toString("hex")}`]);
    assert.equal(past.code, "Access-Reject");
  });

  it("other NAS profiles: Filter-Id (generic), NAS-Filter-Rule (RFC 4849), Aruba-User-Role", async () => {
    const generic = await start(nas({ vendor: "generic", acl: "filter-id" }));
    const g = await radclient(generic.port, "auth", SECRET, mab("aabbcc000001", [MA]));
    assert.deepEqual(g.attrs["Filter-Id"], ["CORDON-camera-4"]);
    const rfc = await start(nas({ vendor: "generic", acl: "nas-filter-rule" }));
    const f = await radclient(rfc.port, "auth", SECRET, mab("aabbcc000001", [MA]));
    assert.deepEqual(f.attrs["NAS-Filter-Rule"], ["permit in 6 from assigned 554 to 10.0.20.2 established", "permit in 17 from assigned to 192.0.2.123 123", "deny in ip from assigned to any"]);
    const aruba = await start(nas({ vendor: "aruba", acl: "aruba-role" }));
    const a = await radclient(aruba.port, "auth", SECRET, mab("aabbcc000001", [MA]));
    assert.deepEqual(a.attrs["Aruba-User-Role"], ["cordon-camera"]);
  });

  it("drops, and counts, an Access-Request without Message-Authenticator and one with the wrong secret", async () => {
    const { port, server } = await start(nas());
    const none = await radclient(port, "auth", SECRET, mab("aabbcc000001"));
    assert.equal(none.code, undefined, "no reply without Message-Authenticator");
    const wrong = await radclient(port, "auth", "not-the-secret", mab("aabbcc000001", [MA]));
    assert.equal(wrong.code, undefined, "no reply with the wrong secret");
    const c = server.stats.nas["access-1"];
    const sent = (r: { stdout: string }): number => r.stdout.split("\n").filter((l) => l.startsWith("Sent ")).length;
    assert.equal(c.drops["missing-message-authenticator"], sent(none));
    assert.equal(c.drops["bad-message-authenticator"], sent(wrong));
    assert.equal(c.accepts, 0);
    // A legacy NAS may be let off the requirement, one NAS at a time.
    const legacy = await start(nas({ requireMessageAuthenticator: false }));
    assert.equal((await radclient(legacy.port, "auth", SECRET, mab("aabbcc000001"))).code, "Access-Accept");
  });

  it("answers Status-Server (RFC 5997) on both ports, and rejects what is not MAB", async () => {
    const { port, acct } = await start(nas());
    const s = await radclient(port, "status", SECRET, [MA]);
    assert.equal(s.code, "Access-Accept", s.stdout);
    const sa = await radclient(acct, "status", SECRET, [MA]);
    assert.equal(sa.code, "Accounting-Response", sa.stdout);
    const dot1x = await radclient(port, "auth", SECRET, ['User-Name = "alice"', 'User-Password = "hunter2"', MA]);
    assert.equal(dot1x.code, "Access-Reject");
    assert.deepEqual(dot1x.attrs["Reply-Message"], ["Cordon answers MAC authentication bypass only"]);
  });

  it("accounting binds MAC, address, NAS and port, and the Accounting-Response checks out", async () => {
    const { acct, server } = await start(nas());
    const r = await radclient(acct, "acct", SECRET, [
      'Acct-Status-Type = Start', 'Calling-Station-Id = "aa-bb-cc-00-00-02"', 'User-Name = "aabbcc000002"', "Framed-IP-Address = 10.0.30.7",
      'NAS-Port-Id = "GigabitEthernet1/0/9"', 'Acct-Session-Id = "00000021"',
    ]);
    assert.equal(r.code, "Accounting-Response", r.stdout);
    const e = accounting.at(-1)!;
    assert.deepEqual({ mac: e.mac, status: e.status, ip: e.ip, port: e.nasPortId, session: e.acctSessionId }, { mac: PRINTER, status: "start", ip: "10.0.30.7", port: "GigabitEthernet1/0/9", session: "00000021" });
    assert.equal(server.sessions.get("plant", PRINTER)?.ip, "10.0.30.7");
    const bad = await radclient(acct, "acct", "wrong", ['Acct-Status-Type = Stop', 'Calling-Station-Id = "aa-bb-cc-00-00-02"']);
    assert.equal(bad.code, undefined);
    assert.equal(server.stats.nas["access-1"].drops["bad-authenticator"], bad.stdout.split("\n").filter((l) => l.startsWith("Sent ")).length);
  });
});

describe("RADIUS server: duplicates, floods and garbage", () => {
  const request = (id: number, mac: string, secret = SECRET): Buffer => {
    const body = encodeAttributes([{ type: ATTR.messageAuthenticator, value: Buffer.alloc(16) }, { type: ATTR.userName, value: mac }, { type: ATTR.serviceType, value: 10 }]);
    const raw = encodePacket(CODE.accessRequest, id, randomBytes(16), body);
    messageAuthenticator(raw, raw.length, 22, raw.subarray(4, 20), new RadiusSecret(secret), raw, 22);
    return raw;
  };

  it("answers a retransmission with the same reply, and counts it", () => {
    const events: DecisionEvent[] = [];
    const server = new RadiusServer(new NasRegistry([nas()]), table(), { decision: (e) => events.push(e), accounting: () => undefined });
    const r = request(9, "aabbcc000001");
    const a = server.handle(r, "127.0.0.1", 5000, "auth");
    const b = server.handle(r, "127.0.0.1", 5000, "auth");
    assert.ok(Buffer.isBuffer(a) && Buffer.isBuffer(b) && a.equals(b));
    assert.equal(server.stats.nas["access-1"].duplicates, 1);
    assert.equal(events.length, 1, "one decision, not two");
    // Same identifier, new authenticator: a new request.
    assert.ok(server.handle(request(9, "aabbcc000001"), "127.0.0.1", 5000, "auth"));
    assert.equal(events.length, 2);
  });

  it("garbage, hostile lengths and unknown codes are dropped and counted; the server keeps answering", () => {
    const server = new RadiusServer(new NasRegistry([nas()]), table(), { decision: () => undefined, accounting: () => undefined });
    let dropped = 0;
    for (let i = 0; i < 20_000; i++) {
      const len = 1 + (i % 200);
      const junk = randomBytes(len);
      if (i % 3 === 0 && len >= 20) {
        junk[0] = 1;
        junk.writeUInt16BE(len, 2);
      }
      if (server.handle(junk, "127.0.0.1", 4000 + (i % 50), "auth") === undefined) dropped++;
    }
    assert.equal(dropped, 20_000);
    // Mutations of a valid request: every byte flipped somewhere.
    const good = request(1, "aabbcc000001");
    for (let i = 0; i < good.length; i++) {
      const m = Buffer.from(good);
      m[i] ^= 0x5a;
      server.handle(m, "127.0.0.1", 6000, "auth");
    }
    const all = { ...server.stats.drops, ...server.stats.nas["access-1"].drops };
    assert.ok(all["malformed-too-short"] > 0 && all["malformed-attribute-length"] > 0 && all["bad-message-authenticator"] > 0, JSON.stringify(all));
    assert.ok(Object.keys(all).some((k) => k.startsWith("unexpected-code-")));
    assert.ok(server.handle(request(2, "aabbcc000001"), "127.0.0.1", 6001, "auth"), "still answering");
    assert.equal(server.handle(request(3, "aabbcc000001"), "192.0.2.1", 6001, "auth"), undefined, "not a NAS");
    assert.equal(server.stats.drops["unknown-nas"], 1);
  });

  it("a spoofed flood without the secret spends neither the NAS's rate limit nor the duplicate cache", () => {
    const t = 1_000_000;
    const server = new RadiusServer(new NasRegistry([nas({ name: "switch", address: "10.9.0.0/24", rateLimit: 100 })]), table(), { decision: () => undefined, accounting: () => undefined }, () => t);
    // The real switch asks first; its reply is cached.
    const real = request(7, "aabbcc000001");
    const first = server.handle(real, "10.9.0.1", 1812, "auth");
    assert.ok(Buffer.isBuffer(first));
    // 5,000 spoofed requests from the switch's prefix, without the secret; one copies the real
    // request's identifier and authenticator but changes its attributes.
    for (let i = 0; i < 5000; i++) assert.equal(server.handle(request(i & 0xff, "aabbcc0000ff", "not-the-secret"), `10.9.0.${1 + (i % 200)}`, 1812, "auth"), undefined);
    const forged = Buffer.from(real);
    forged[forged.length - 1] ^= 1;
    assert.equal(server.handle(forged, "10.9.0.1", 1812, "auth"), undefined, "a changed copy of a cached request gets no cached reply");
    assert.equal(server.stats.nas.switch.drops["bad-message-authenticator"], 5001);
    assert.equal(server.stats.nas.switch.drops["rate-limited"], undefined);
    assert.equal(server.stats.nas.switch.duplicates, 0);
    // Within the same second the real switch is still answered, retransmission included.
    for (let i = 0; i < 50; i++) assert.ok(server.handle(request(100 + i, `aabbcc0001${(i % 100).toString().padStart(2, "0")}`), "10.9.0.1", 1812, "auth"), `request ${i}`);
    const again = server.handle(real, "10.9.0.1", 1812, "auth");
    assert.ok(Buffer.isBuffer(again) && again.equals(first));
    assert.equal(server.stats.nas.switch.duplicates, 1);
  });

  it("warns about weak client settings: short secrets, wide prefixes, Message-Authenticator optional", () => {
    assert.deepEqual(weakNasSettings(nas()), ["address 127.0.0.0/8 admits 16777216 addresses as this NAS: name the switches' management range"]);
    const weak = weakNasSettings(nas({ address: "0.0.0.0/0", secret: "x", requireMessageAuthenticator: false }));
    assert.equal(weak.length, 3);
    assert.match(weak.join("\n"), /1 characters.*\n.*0\.0\.0\.0\/0 admits 4294967296 addresses.*\n.*BlastRADIUS/);
    assert.deepEqual(weakNasSettings(nas({ address: "10.9.0.0/24" })), []);
  });

  it("a flood from one NAS is cut at its rate limit and does not touch another NAS", () => {
    let t = 1_000_000;
    const registry = new NasRegistry([nas({ name: "noisy", address: "10.9.0.1", rateLimit: 100 }), nas({ name: "quiet", address: "10.9.0.2", rateLimit: 100 })]);
    const server = new RadiusServer(registry, table(), { decision: () => undefined, accounting: () => undefined }, () => t);
    let answered = 0;
    for (let i = 0; i < 5000; i++) if (server.handle(request(i & 0xff, "aabbcc000001"), "10.9.0.1", 1000 + i, "auth")) answered++;
    assert.equal(answered, 100, "the bucket holds one second's worth");
    assert.equal(server.stats.nas.noisy.drops["rate-limited"], 4900);
    assert.ok(server.handle(request(1, "aabbcc000002"), "10.9.0.2", 1000, "auth"), "the quiet NAS is answered");
    t += 1000;
    assert.ok(server.handle(request(2, "aabbcc000001"), "10.9.0.1", 999, "auth"), "the noisy one again after a second");
  });

  it("replies past the duplicate window are retired as new requests are answered", () => {
    let t = 1_000_000;
    const server = new RadiusServer(new NasRegistry([nas()]), table(), { decision: () => undefined, accounting: () => undefined }, () => t);
    const cache = (server as unknown as { cache: Map<string, unknown> }).cache;
    for (let i = 0; i < 100; i++) server.handle(request(i, "aabbcc000001"), "127.0.0.1", 2000 + i, "auth");
    assert.equal(cache.size, 100);
    t += 4_000;
    server.handle(request(1, "aabbcc000001"), "127.0.0.1", 9000, "auth");
    assert.equal(cache.size, 101, "within the window every reply is kept");
    t += 2_000;
    server.handle(request(2, "aabbcc000001"), "127.0.0.1", 9001, "auth");
    assert.equal(cache.size, 2, "the first hundred are past the window");
  });

  it("memory stays bounded under a flood of distinct requests", () => {
    const server = new RadiusServer(new NasRegistry([nas()]), table(), { decision: () => undefined, accounting: () => undefined }, Date.now, 1000);
    for (let i = 0; i < 100_000; i++) {
      const mac = (0xde0000000000 + i).toString(16).padStart(12, "0");
      server.handle(request(i & 0xff, mac), "127.0.0.1", 1024 + (i % 60000), "auth");
    }
    assert.equal(server.sessions.size, 1000);
    assert.ok((server as unknown as { cache: Map<string, unknown> }).cache.size <= 65_536);
  });
});

describe("decision log and sessions", () => {
  const event = (mac: string, atMs: number, p: Partial<DecisionEvent> = {}): DecisionEvent => ({
    atMs, site: "plant", mac, nas: "access-1", nasIp: "10.0.0.2", nasPortId: "Gi1/0/1", callingStationId: mac.toUpperCase(), state: "registered", accept: true, vlan: "100",
    reason: "known device", ...p,
  });
  const stored = (nac: NacStore): unknown[] => nac.decisions({ limit: 1000 }).map((d) => [d.mac, d.at, d.lastAt, d.count, d.state, d.vlan, d.nasPortId]);

  it("runs of identical decisions are stored exactly as the requests one by one would be", () => {
    const dir = tmpDir("decisions");
    const requests: DecisionEvent[] = [];
    let t = Date.UTC(2026, 0, 1);
    const other: Partial<DecisionEvent> = { state: "quarantined", vlan: "666", reason: "quarantined by alice" };
    // A re-authenticating port, an answer that changes and changes back, another port, a second device.
    for (let i = 0; i < 5; i++) requests.push(event(CAMERA, (t += 10)));
    for (let i = 0; i < 2; i++) requests.push(event(CAMERA, (t += 10), other));
    requests.push(event(CAMERA, (t += 10)));
    requests.push(event(CAMERA, (t += 10), { nasPortId: "Gi1/0/2" }));
    for (let i = 0; i < 3; i++) requests.push(event(PRINTER, (t += 10)));
    const one = new NacStore(new Store(join(dir, "one.db")).sql);
    const runs = new NacStore(new Store(join(dir, "runs.db")).sql);
    // Two hand-overs: the second batch's first runs continue the records the first batch left.
    for (const half of [requests.slice(0, 6), requests.slice(6)]) {
      for (const e of half) one.saveDecisions([e]);
      const batch = new DecisionRuns();
      for (const e of half) batch.add(e);
      const taken = batch.take();
      assert.ok(taken.length < half.length, "repeats travel as one run");
      assert.equal(batch.size, 0);
      runs.saveDecisions(taken);
    }
    assert.deepEqual(stored(runs), stored(one));
    const camera = runs.decisions({ mac: CAMERA });
    assert.deepEqual(camera.map((d) => [d.count, d.state, d.nasPortId]), [[1, "registered", "Gi1/0/2"], [1, "registered", "Gi1/0/1"], [2, "quarantined", "Gi1/0/1"], [5, "registered", "Gi1/0/1"]]);
  });

  it("a run keeps the session names of its last request", () => {
    const batch = new DecisionRuns();
    batch.add(event(CAMERA, 1, { auditSessionId: "A1" }));
    batch.add(event(CAMERA, 2, { auditSessionId: "A2", nasIp: "10.0.0.3" }));
    const [run] = batch.take();
    assert.deepEqual([run.count, run.atMs, run.lastAtMs, run.auditSessionId, run.nasIp], [2, 1, 2, "A2", "10.0.0.3"]);
  });

  it("runs cross to the worker as columns and come back the same", () => {
    const batch = new DecisionRuns();
    batch.add(event(CAMERA, 1, { auditSessionId: "A1" }));
    batch.add(event(PRINTER, 2, { nasPortId: undefined, vlan: undefined, accept: false, state: "rejected" }));
    batch.add(event(CAMERA, 3, { auditSessionId: "A1" }));
    const runs = batch.take();
    const back = fromColumns(structuredClone(toColumns(runs)));
    assert.equal(back.length, 2);
    const plain = (r: object): Record<string, unknown> => Object.fromEntries(Object.entries(r).filter(([, v]) => v !== undefined));
    assert.deepEqual(back.map(plain), runs.map(plain));
  });

  it("the table's known MACs: an override, or a newest verdict with a category; in one query", () => {
    const store = new Store(join(tmpDir("known"), "k.db"));
    const inv = new Inventory();
    const macs = [0xaabbcc000001, 0xaabbcc000002, 0xaabbcc000003, 0xaabbcc000004, 0xaabbcc000005];
    const devices = macs.map((m) => inv.byMacNumber("plant", m)!);
    const byIp = inv.byIp("plant", "10.0.0.9");
    saveInventory(store, inv);
    const verdict = (category: string) => ({ category, confidence: category === "unknown" ? 0 : 0.9, evidence: [], decidedUs: 1 });
    store.saveVerdicts([
      { deviceId: devices[0].storeId!, verdict: verdict("camera") },
      // Identified once, then unknown: the newest verdict counts.
      { deviceId: devices[1].storeId!, verdict: verdict("printer") },
      { deviceId: devices[1].storeId!, verdict: verdict("unknown") },
      { deviceId: devices[2].storeId!, verdict: verdict("unknown") },
      { deviceId: byIp.storeId!, verdict: verdict("plc") },
    ]);
    // A person's word makes a device known, whatever it says.
    store.setOverride(devices[3].storeId!, { criticality: "low", setBy: "olga", setAt: "2026-12-06T00:00:00Z" });
    const known = store.identifiedMacs();
    assert.deepEqual(known, [{ site: "plant", mac: "aa:bb:cc:00:00:01" }, { site: "plant", mac: "aa:bb:cc:00:00:04" }]);
    // The same as reading every device and its newest verdict, as the table was built before.
    const verdicts = store.latestVerdicts();
    const overrides = store.overrides();
    const slow = store.devices().filter((d) => d.mac && (overrides.has(d.id) || (verdicts.get(d.id)?.category ?? "unknown") !== "unknown")).map((d) => ({ site: d.site, mac: d.mac }));
    assert.deepEqual(known, slow);
  });

  it("sessions: the least recently seen goes first, a busy port's session is not the one evicted", () => {
    const table = new SessionTable(2);
    const s = (mac: string, lastMs: number) => ({ site: "plant", mac, nas: "access-1", nasIp: "10.0.0.2", status: "authorized" as const, lastMs });
    table.update(s(CAMERA, 0));
    table.update(s(PRINTER, 10));
    for (let t = 100; t <= 1500; t += 100) table.update(s(CAMERA, t));
    table.update(s(INFECTED, 1600));
    assert.ok(table.get("plant", CAMERA), "the camera re-authenticated after the printer");
    assert.equal(table.get("plant", PRINTER), undefined);
    assert.equal(table.get("plant", CAMERA)?.lastMs, 1500);
  });
});

describe("CoA and Disconnect (RFC 5176) against a NAS stand-in", { skip: NO_RADCLIENT }, () => {
  const session = { site: "plant", mac: CAMERA, nas: "access-1", nasIp: "127.0.0.1", callingStationId: "AA-BB-CC-00-00-01", auditSessionId: "0A00000100000012ABCD", status: "authorized" as const, lastMs: 0 };
  let standIn: NasStandIn;
  let answer: (code: string) => { code: string; attributes?: unknown[] } | undefined = () => undefined;
  before(async () => {
    standIn = await new NasStandIn(SECRET, (r) => answer(r.code)).start();
  });
  after(() => standIn.close());

  it("the stand-in's checks are right: radclient's CoA-Request passes them", async () => {
    answer = (code) => ({ code: code === "CoA-Request" ? "CoA-ACK" : "Disconnect-ACK" });
    const r = await radclient(standIn.port, "coa", SECRET, ['Calling-Station-Id = "aa-bb-cc-00-00-01"', 'Cisco-AVPair = "subscriber:command=reauthenticate"', "Message-Authenticator = 0x00"]);
    assert.equal(r.code, "CoA-ACK", r.stdout);
    const got = standIn.requests.at(-1)!;
    assert.equal(got.authenticatorOk, true);
    assert.equal(got.messageAuthenticatorOk, true);
    const wrong = await radclient(standIn.port, "coa", "other", ['Calling-Station-Id = "aa-bb-cc-00-00-01"']);
    assert.equal(wrong.code, undefined);
    assert.equal(standIn.requests.at(-1)!.authenticatorOk, false);
  });

  it("Cisco reauthenticate: the session named by audit-session-id, Event-Timestamp and Message-Authenticator; ACK", async () => {
    answer = () => ({ code: "CoA-ACK" });
    const client = new CoaClient({ timeoutMs: 500, retries: 1 });
    const before = Math.floor(Date.now() / 1000);
    const r = await client.change(nas({ coaPort: standIn.port }), session, "reauthenticate");
    client.close();
    assert.equal(r.ok, true, r.summary);
    const got = standIn.requests.at(-1)!;
    assert.equal(got.code, "CoA-Request");
    assert.ok(got.authenticatorOk && got.messageAuthenticatorOk);
    assert.deepEqual(got.avpairs, ["audit-session-id=0A00000100000012ABCD", "subscriber:command=reauthenticate", "subscriber:reauthenticate-type=last"]);
    assert.equal(got.attributes["Calling-Station-Id"], "AA-BB-CC-00-00-01", "as the NAS spelled it");
    const ts = got.attributes["Event-Timestamp"] as Date;
    assert.ok(Math.abs(ts.getTime() / 1000 - before) <= 2);
    assert.equal(got.attributes["NAS-IP-Address"], "127.0.0.1");
  });

  it("bounce and disable commands; Disconnect when the CoA is NAKed, with the Error-Cause reported", async () => {
    answer = () => ({ code: "CoA-ACK" });
    const client = new CoaClient({ timeoutMs: 500, retries: 1 });
    assert.equal((await client.change(nas({ coaPort: standIn.port }), session, "bounce-port")).ok, true);
    assert.ok(standIn.requests.at(-1)!.avpairs.includes("subscriber:command=bounce-host-port"));
    assert.equal((await client.change(nas({ coaPort: standIn.port }), session, "disable-port")).ok, true);
    assert.ok(standIn.requests.at(-1)!.avpairs.includes("subscriber:command=disable-host-port"));
    answer = (code) => (code === "CoA-Request" ? { code: "CoA-NAK", attributes: [["Error-Cause", 503]] } : { code: "Disconnect-ACK" });
    const r = await client.change(nas({ coaPort: standIn.port }), session, "reauthenticate");
    client.close();
    assert.equal(r.ok, true);
    assert.deepEqual(r.attempts.map((a) => [a.request, a.outcome, a.errorCause?.code]), [["CoA-Request", "CoA-NAK", 503], ["Disconnect-Request", "Disconnect-ACK", undefined]]);
    assert.match(r.summary, /Error-Cause 503 Session Context Not Found/);
    assert.equal(standIn.requests.at(-1)!.code, "Disconnect-Request");
    assert.equal(standIn.requests.at(-1)!.authenticatorOk, true);
  });

  it("retries with backoff on silence, then says it timed out; a reply with the wrong secret is ignored", async () => {
    answer = () => undefined;
    const client = new CoaClient({ timeoutMs: 100, retries: 2 });
    const n = standIn.requests.length;
    const r = await client.change(nas({ coaPort: standIn.port }), session, "reauthenticate");
    assert.equal(r.ok, false);
    assert.equal(r.attempts[0].outcome, "timeout");
    assert.equal(standIn.requests.length - n, 3);
    assert.ok(r.attempts[0].ms >= 100 + 200 + 400 - 20, `backoff doubled: ${r.attempts[0].ms} ms`);
    // A stand-in with another secret answers, but its reply fails the authenticator check.
    const liar = await new NasStandIn("other-secret", () => ({ code: "CoA-ACK" })).start();
    const forged = await client.change(nas({ coaPort: liar.port, secret: "other-secret-not" }), session, "reauthenticate");
    liar.close();
    client.close();
    assert.equal(forged.ok, false);
  });

  it("Aruba applies the quarantine role by CoA; generic gear gets a Disconnect", () => {
    const secret = new RadiusSecret(SECRET);
    const aruba = buildChangeRequest(nas({ vendor: "aruba" }), session, "apply-role", { identifier: 1, nowS: 1_790_000_000, role: "cordon-quarantine", secret });
    const p = decodePacket(aruba);
    assert.ok(typeof p !== "string");
    assert.equal(p.code, CODE.coaRequest);
    assert.deepEqual(vendorStrings(p, 14823, 1), ["cordon-quarantine"]);
    assert.ok(requestAuthenticatorValid(p, secret));
    const generic = decodePacket(buildChangeRequest(nas({ vendor: "generic" }), session, "reauthenticate", { identifier: 2, nowS: 1_790_000_000, secret }));
    assert.ok(typeof generic !== "string" && generic.code === CODE.disconnectRequest);
    assert.throws(() => buildChangeRequest(nas({ vendor: "generic" }), session, "bounce-port", { identifier: 3, nowS: 0, secret }), /not available on generic/);
  });
});

describe("the RADIUS listener on a socket", () => {
  it("answers over UDP and ignores datagrams it drops", async () => {
    const server = new RadiusServer(new NasRegistry([nas({ requireMessageAuthenticator: false })]), table(), { decision: () => undefined, accounting: () => undefined });
    const l = await listenRadius(server, { host: "127.0.0.1", authPort: 0, acctPort: 0 }, (e) => assert.fail(e));
    const sock = createSocket("udp4");
    const replies: Buffer[] = [];
    sock.on("message", (m) => replies.push(m));
    await new Promise<void>((r) => sock.bind(0, "127.0.0.1", () => r()));
    sock.send(Buffer.from("garbage"), l.authPort, "127.0.0.1");
    sock.send(encodePacket(CODE.accessRequest, 5, randomBytes(16), encodeAttributes([{ type: ATTR.userName, value: "aabbcc000001" }])), l.authPort, "127.0.0.1");
    for (let i = 0; i < 50 && replies.length < 1; i++) await new Promise((r) => setTimeout(r, 20));
    sock.close();
    await l.close();
    assert.equal(replies.length, 1);
    assert.equal(replies[0][0], CODE.accessAccept);
    assert.equal(server.stats.drops["malformed-too-short"], 1);
  });
});
