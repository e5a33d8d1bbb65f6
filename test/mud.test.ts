import assert from "node:assert/strict";
import { copyFileSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import type { PolicyRule } from "../src/policy/learn.js";
import { exportMud } from "../src/policy/mud/export.js";
import { MudError, loadMudDirectory, parseMud, readMudFile } from "../src/policy/mud/import.js";
import { mudRules } from "../src/policy/mud/rules.js";
import { DEFAULT_LAB, generateLab } from "../src/lab/generate.js";
import { NO_CORPUS, corpus, runCli, tmpDir, unreviewedDrops } from "./helpers.js";

function mudFiles(dir: string): string[] {
  const out: string[] = [];
  for (const f of readdirSync(dir)) {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) out.push(...mudFiles(p));
    else if ((f.endsWith(".json") || f.endsWith(".mud")) && !f.startsWith("mud_config")) out.push(p);
  }
  return out.sort();
}

describe("MUD import of the corpus files", { skip: NO_CORPUS }, () => {
  it("imports every NIST, Cisco and mudgee MUD file, with as many ACEs as the files reference", () => {
    const files = ["usnistgov-nist-mud", "CiscoDevNet-MUD-Manager", "v4k0nd-ss-for-iot-MUD"].flatMap((d) => mudFiles(corpus(d)));
    assert.ok(files.length >= 20, `${files.length} files`);
    for (const f of files) {
      const doc = JSON.parse(readFileSync(f, "utf8")) as Record<string, Record<string, unknown>>;
      if (!doc["ietf-mud:mud"]) continue;
      const p = readMudFile(f);
      const container = (doc["ietf-access-control-list:acls"] ?? doc["ietf-access-control-list:access-lists"]) as { acl: { name: string; aces: { ace: unknown[] } }[] };
      const mud = doc["ietf-mud:mud"] as Record<string, { "access-lists": { "access-list": { name: string }[] } }>;
      const referenced = ["from-device-policy", "to-device-policy"].flatMap((k) => mud[k]?.["access-lists"]["access-list"] ?? [])
        .reduce((n, l) => n + container.acl.find((a) => a.name === l.name)!.aces.ace.length, 0);
      assert.equal(p.aces.length, referenced, f);
      assert.equal(p.url, mud["mud-url"] as unknown as string);
    }
  });

  it("reads the luminaire's controller, local-network and DNS-name rules", () => {
    const p = readMudFile(corpus("CiscoDevNet-MUD-Manager/examples/luminaire/fs/Luminaire_150.json"));
    const lines = p.aces.map((a) => [a.policy, `${a.peer.kind}${a.peer.kind === "dns" ? `:${a.peer.name}` : ""}`, `p${a.protocol}`,
      `${a.srcPorts?.join("-") ?? "*"}>${a.dstPorts?.join("-") ?? "*"}`, a.initiated, a.action].filter(Boolean).join(" "));
    assert.deepEqual(lines, [
      "from-device dns:fw-update.luminaire.example.com p6 *>443-443 from-device accept",
      "from-device my-controller p17 *>5684-5684 accept",
      "from-device local-networks p17 *>5683-5683 accept",
      "to-device dns:fw-update.luminaire.example.com p6 443-443>* from-device accept",
      "to-device my-controller p17 5684-5684>* accept",
      "to-device local-networks p17 5683-5683>* accept",
    ]);
  });

  it("reads mudgee's older container, its networks and its Ethernet ACL", () => {
    const p = readMudFile(corpus("v4k0nd-ss-for-iot-MUD/door_sensor-19JWT/G06-door_sensor-19JWT.mud"));
    const from = p.aces.filter((a) => a.policy === "from-device");
    assert.ok(from.some((a) => a.peer.kind === "network" && a.peer.cidr === "54.188.109.168/32" && a.dstPorts?.[0] === 8886));
    assert.ok(from.some((a) => a.peer.kind === "network" && a.peer.cidr === "255.255.255.255/32" && a.ethertype === 0x0800), "an address beside local-networks is the peer");
    assert.ok(from.some((a) => a.family === "eth" && a.ethertype === 0x0806 && a.peer.kind === "local-networks"), "ARP to the local network");
    assert.ok(p.aces.some((a) => a.policy === "to-device" && a.peer.kind === "controller" && a.peer.uri === "urn:ietf:params:mud:gateway"));
  });
});

describe("MUD validation", () => {
  const good = {
    "ietf-mud:mud": {
      "mud-version": 1, "mud-url": "https://example.com/thing", "from-device-policy": { "access-lists": { "access-list": [{ name: "fr" }] } },
    },
    "ietf-access-control-list:acls": {
      acl: [{ name: "fr", type: "ipv4-acl-type", aces: { ace: [{ name: "a0", matches: { ipv4: { protocol: 6, "ietf-acldns:dst-dnsname": "cloud.example.com" }, tcp: { "destination-port": { operator: "eq", port: 443 } } }, actions: { forwarding: "accept" } }] } }],
    },
  };
  const spoiled = (f: (d: any) => void): unknown => { // eslint-disable-line @typescript-eslint/no-explicit-any
    const d = JSON.parse(JSON.stringify(good)) as unknown;
    f(d);
    return d;
  };
  const ACE = `$["ietf-access-control-list:acls"].acl[0].aces.ace[0]`;

  it("accepts a minimal file", () => {
    const p = parseMud(good);
    assert.deepEqual(p.aces.map((a) => [a.peer, a.protocol, a.dstPorts]), [[{ kind: "dns", name: "cloud.example.com" }, 6, [443, 443]]]);
  });

  it("names the JSON path of each error", () => {
    const cases: [(d: any) => void, string][] = [ // eslint-disable-line @typescript-eslint/no-explicit-any
      [(d) => (d["ietf-access-control-list:acls"].acl[0].type = "ipv5-acl-type"), `$["ietf-access-control-list:acls"].acl[0].type: unknown ACL type "ipv5-acl-type"`],
      [(d) => (d["ietf-mud:mud"]["from-device-policy"]["access-lists"]["access-list"][0].name = "nope"), `$["ietf-mud:mud"]["from-device-policy"]["access-lists"]["access-list"][0].name: no ACL named "nope"`],
      [(d) => (d["ietf-access-control-list:acls"].acl[0].aces.ace[0].matches.tcp["destination-port"].operator = "neq"), `${ACE}.matches.tcp["destination-port"].operator: operator "neq" cannot be expressed`],
      [(d) => (d["ietf-access-control-list:acls"].acl[0].aces.ace[0].matches.tcp["destination-port"].port = 70000), `${ACE}.matches.tcp["destination-port"].port: must be a port number`],
      [(d) => (d["ietf-access-control-list:acls"].acl[0].aces.ace[0].matches.sctp = {}), `${ACE}.matches.sctp: unknown match`],
      [(d) => (d["ietf-access-control-list:acls"].acl[0].aces.ace[0].actions.forwarding = "maybe"), `${ACE}.actions.forwarding: must be accept, drop or reject`],
      [(d) => (d["ietf-access-control-list:acls"].acl[0].aces.ace[0].matches["ietf-mud:mud"] = { "same-network": [null] }), `${ACE}.matches["ietf-mud:mud"]["same-network"]: unknown MUD match`],
      [(d) => (d["ietf-mud:mud"]["mud-url"] = "http://insecure.example.com"), `$["ietf-mud:mud"]["mud-url"]: "http://insecure.example.com" is not an https URL`],
      [(d) => (d["ietf-mud:mud"]["mud-version"] = 2), `$["ietf-mud:mud"]["mud-version"]: must be 1`],
      [(d) => (d["ietf-access-control-list:acls"].acl[0].aces.ace[0].matches.ipv4["destination-ipv4-network"] = "10.0.0.0/33"), `${ACE}.matches.ipv4["destination-ipv4-network"]: "10.0.0.0/33" is not an IPv4 network`],
    ];
    for (const [f, message] of cases) {
      assert.throws(() => parseMud(spoiled(f)), (e: Error) => e instanceof MudError && e.message.startsWith(message), message);
    }
  });

  it("loads a directory by MUD URL and reports the files that are not MUD files", () => {
    const dir = tmpDir("cordon-mud-");
    writeFileSync(join(dir, "thing.json"), JSON.stringify(good));
    writeFileSync(join(dir, "broken.mud"), "{ not json");
    writeFileSync(join(dir, "notes.txt"), "ignored");
    const { byUrl, errors } = loadMudDirectory(dir);
    assert.deepEqual([...byUrl.keys()], ["https://example.com/thing"]);
    assert.equal(errors.length, 1);
    assert.match(errors[0].message, /broken\.mud: not valid JSON/);
  });

  it("loads the corpus files from a directory of their own", { skip: NO_CORPUS }, () => {
    const dir = tmpDir("cordon-mudc-");
    for (const f of mudFiles(corpus("usnistgov-nist-mud/test/unittest")).slice(0, 6)) copyFileSync(f, join(dir, f.split("/").slice(-2).join("-")));
    const { byUrl, errors } = loadMudDirectory(dir);
    assert.deepEqual(errors, []);
    assert.ok(byUrl.size >= 4);
  });
});

const ruleForm = (rules: PolicyRule[]): string[] => rules.map((r) => JSON.stringify([r.from, r.to, r.proto, r.ports])).sort();

describe("MUD profiles as policy rules, and back", () => {
  it("every corpus MUD file: import -> rules -> export -> import gives the same rules", { skip: NO_CORPUS }, () => {
    const files = ["usnistgov-nist-mud", "CiscoDevNet-MUD-Manager", "v4k0nd-ss-for-iot-MUD"].flatMap((d) => mudFiles(corpus(d)))
      .filter((f) => (JSON.parse(readFileSync(f, "utf8")) as Record<string, unknown>)["ietf-mud:mud"] !== undefined);
    assert.ok(files.length >= 20);
    for (const f of files) {
      const p = readMudFile(f);
      const first = mudRules(p, "dev");
      assert.ok(first.rules.length > 0, f);
      const doc = exportMud(first.rules, "dev", { url: p.url, systeminfo: p.systeminfo ?? "test", lastUpdate: "2026-11-22T00:00:00Z" });
      const again = mudRules(parseMud(JSON.parse(JSON.stringify(doc)) as unknown, `${f} (exported)`), "dev");
      assert.deepEqual(ruleForm(again.rules), ruleForm(first.rules), f);
    }
  });

  it("reads ACEs as connections: replies merge into the rule that opens them", { skip: NO_CORPUS }, () => {
    const p = readMudFile(corpus("v4k0nd-ss-for-iot-MUD/door_sensor-19JWT/G06-door_sensor-19JWT.mud"));
    const m = mudRules(p, "sensor");
    assert.deepEqual(m.rules.map((r) => r.comment.replace(/ \(MUD .*\)$/, "")), [
      "sensor -> 54.187.112.38/32 tcp/443", "sensor -> 255.255.255.255/32 udp/6667", "sensor -> 54.188.109.168/32 tcp/8886",
      "sensor -> mud:controller:urn:ietf:params:mud:gateway udp/67",
    ]);
    assert.match(m.review[0], /from-ethernet-door_sensor-19jwt-0: an Ethernet match \(EtherType 0x0806\) that IP targets cannot express/);
  });

  it("keeps MUD abstractions; same-manufacturer is the file's own authority; drops and odd protocols go to review", () => {
    const doc = {
      "ietf-mud:mud": { "mud-version": 1, "mud-url": "https://lights.example.com/bulb", "from-device-policy": { "access-lists": { "access-list": [{ name: "fr" }] } }, "to-device-policy": { "access-lists": { "access-list": [{ name: "to" }] } } },
      "ietf-access-control-list:acls": { acl: [
        { name: "fr", type: "ipv4-acl-type", aces: { ace: [
          { name: "same", matches: { "ietf-mud:mud": { "same-manufacturer": [null] }, ipv4: { protocol: 17 }, udp: { "destination-port": { operator: "eq", port: 5683 } } }, actions: { forwarding: "accept" } },
          { name: "ctl", matches: { "ietf-mud:mud": { "my-controller": [null] }, ipv4: { protocol: 6 }, tcp: { "destination-port": { operator: "eq", port: 8883 }, "ietf-mud:direction-initiated": "from-device" } }, actions: { forwarding: "accept" } },
          { name: "gre", matches: { ipv4: { protocol: 47 } }, actions: { forwarding: "accept" } },
          { name: "no", matches: { ipv4: { protocol: 6 } }, actions: { forwarding: "drop" } },
        ] } },
        { name: "to", type: "ipv4-acl-type", aces: { ace: [
          { name: "lan", matches: { "ietf-mud:mud": { "local-networks": [null] }, ipv4: { protocol: 6 }, tcp: { "destination-port": { operator: "eq", port: 80 }, "ietf-mud:direction-initiated": "to-device" } }, actions: { forwarding: "accept" } },
        ] } },
      ] },
    };
    const m = mudRules(parseMud(doc), "bulb");
    assert.deepEqual(m.rules.map((r) => [r.from, r.to, r.proto, r.ports]), [
      [{ group: "bulb" }, { mud: { kind: "manufacturer", name: "lights.example.com" } }, "udp", [[5683, 5683]]],
      [{ group: "bulb" }, { mud: { kind: "my-controller", url: "https://lights.example.com/bulb" } }, "tcp", [[8883, 8883]]],
      [{ mud: { kind: "local-networks" } }, { group: "bulb" }, "tcp", [[80, 80]]],
    ]);
    assert.equal(m.review.length, 2);
    assert.match(m.review.join("\n"), /ACE gre: IP protocol 47 that no Cordon target can express/);
    assert.match(m.review.join("\n"), /ACE no: drop is not imported/);
    const out = exportMud(m.rules, "bulb", { url: "https://lights.example.com/bulb", systeminfo: "bulb", lastUpdate: "2026-11-22T00:00:00Z" }) as any; // eslint-disable-line @typescript-eslint/no-explicit-any
    const aces = out["ietf-access-control-list:acls"].acl.flatMap((a: { aces: { ace: unknown[] } }) => a.aces.ace) as { matches: Record<string, unknown> }[];
    assert.deepEqual(aces[0].matches["ietf-mud:mud"], { "same-manufacturer": [null] }, "the file's own authority is written as same-manufacturer");
    assert.ok(aces.some((a) => JSON.stringify(a.matches["ietf-mud:mud"]) === '{"my-controller":[null]}'));
    assert.ok(aces.some((a) => JSON.stringify(a.matches["ietf-mud:mud"]) === '{"local-networks":[null]}' && JSON.stringify(a.matches.tcp) === '{"destination-port":{"operator":"eq","port":80},"ietf-mud:direction-initiated":"to-device"}'));
  });

  it("exports a learned group: DNS names, IPv6 networks, other groups as urn:cordon:group controllers; and imports back to the same rules", () => {
    const rules: PolicyRule[] = [
      { id: "r1", comment: "", from: { group: "category:nvr" }, to: { group: "category:camera" }, proto: "tcp", ports: [[554, 554]], seen: 9 },
      { id: "r2", comment: "", from: { group: "category:camera" }, to: { dns: "dispatcher.axis.com" }, proto: "tcp", ports: [[443, 443]], seen: 4 },
      { id: "r3", comment: "", from: { group: "category:camera" }, to: { cidr: "2001:db8:5::/48" }, proto: "udp", ports: [[123, 123]], seen: 2 },
      { id: "r4", comment: "", from: { group: "category:camera" }, to: { group: "category:server" }, proto: "icmp", ports: [], seen: 1 },
      { id: "r5", comment: "", from: { group: "category:hmi" }, to: { group: "category:plc" }, proto: "tcp", ports: [[502, 502]], seen: 1 },
    ];
    const doc = exportMud(rules, "category:camera", { url: "https://mud.cordon.invalid/default/camera", systeminfo: "cameras", lastUpdate: "2026-11-22T00:00:00Z" }) as any; // eslint-disable-line @typescript-eslint/no-explicit-any
    const acls = doc["ietf-access-control-list:acls"].acl as { name: string; type: string; aces: { ace: { matches: Record<string, any> }[] } }[]; // eslint-disable-line @typescript-eslint/no-explicit-any
    assert.deepEqual(acls.map((a) => `${a.name} ${a.type}`).sort(), [
      "from-ipv4-category-camera ipv4-acl-type", "from-ipv6-category-camera ipv6-acl-type", "to-ipv4-category-camera ipv4-acl-type", "to-ipv6-category-camera ipv6-acl-type",
    ]);
    const from4 = acls.find((a) => a.name === "from-ipv4-category-camera")!.aces.ace;
    assert.ok(from4.some((a) => a.matches.ipv4["ietf-acldns:dst-dnsname"] === "dispatcher.axis.com" && a.matches.tcp["ietf-mud:direction-initiated"] === "from-device"));
    const to4 = acls.find((a) => a.name === "to-ipv4-category-camera")!.aces.ace;
    assert.ok(to4.some((a) => a.matches["ietf-mud:mud"]?.controller === "urn:cordon:group:category:nvr" && a.matches.tcp["destination-port"].port === 554));
    assert.ok(acls.find((a) => a.name === "from-ipv6-category-camera")!.aces.ace.some((a) => a.matches.ipv6["destination-ipv6-network"] === "2001:db8:5::/48"));
    const back = mudRules(parseMud(JSON.parse(JSON.stringify(doc)) as unknown), "category:camera");
    assert.deepEqual(ruleForm(back.rules), ruleForm(rules.slice(0, 4)), "the camera group's rules, and no other group's");
    assert.throws(() => exportMud(rules, "x", { url: "http://plain.example.com/x", systeminfo: "", lastUpdate: "" }), /not an https URL/);
  });
});

describe("cordon mud", () => {
  it("imports (all or nothing), assigns, governs learning, and exports", () => {
    const dir = tmpDir("cordon-mudcli-");
    const lab = generateLab(dir, { ...DEFAULT_LAB, devices: 30, durationS: 900, seed: 6 });
    const db = join(dir, "c.db");
    assert.equal(runCli(["analyze", "--db", db, lab.pcap]).status, 0);
    const url = "https://mud.axis.example.com/camera";
    const profile = {
      "ietf-mud:mud": { "mud-version": 1, "mud-url": url, "from-device-policy": { "access-lists": { "access-list": [{ name: "fr" }] } }, "to-device-policy": { "access-lists": { "access-list": [{ name: "to" }] } } },
      "ietf-access-control-list:acls": { acl: [
        { name: "fr", type: "ipv4-acl-type", aces: { ace: [{ name: "cloud", matches: { ipv4: { protocol: 6, "ietf-acldns:dst-dnsname": "dispatcher.axis.com" }, tcp: { "destination-port": { operator: "eq", port: 443 }, "ietf-mud:direction-initiated": "from-device" } }, actions: { forwarding: "accept" } }] } },
        { name: "to", type: "ipv4-acl-type", aces: { ace: [{ name: "rtsp", matches: { "ietf-mud:mud": { controller: "urn:cordon:group:category:nvr" }, ipv4: { protocol: 6 }, tcp: { "destination-port": { operator: "eq", port: 554 }, "ietf-mud:direction-initiated": "to-device" } }, actions: { forwarding: "accept" } }] } },
      ] },
    };
    writeFileSync(join(dir, "camera.json"), JSON.stringify(profile));
    writeFileSync(join(dir, "bad.json"), JSON.stringify({ ...profile, "ietf-mud:mud": { ...profile["ietf-mud:mud"], "mud-version": 3 } }));
    const bad = runCli(["mud", "import", "--db", db, join(dir, "camera.json"), join(dir, "bad.json")]);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /bad\.json\["ietf-mud:mud"\]\["mud-version"\]: must be 1.*\(nothing imported\)/);
    assert.match(runCli(["mud", "list", "--db", db]).stdout, /^URL/, "nothing was kept");
    assert.equal((JSON.parse(runCli(["mud", "list", "--db", db, "--format", "json"]).stdout) as { profiles: unknown[] }).profiles.length, 0);
    const ok = runCli(["mud", "import", "--db", db, join(dir, "camera.json")]);
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, /https:\/\/mud\.axis\.example\.com\/camera: 2 ACEs -> 2 rules; devices: none yet/);
    const devices = JSON.parse(runCli(["devices", "--db", db, "--format", "json"]).stdout) as { mac: string; category: string }[];
    const camera = devices.find((d) => d.category === "camera")!.mac;
    assert.match(runCli(["mud", "assign", "--db", db, "--device", camera, "--url", url, "--by", "grace"]).stderr, /--by is not taken/);
    assert.equal(runCli(["mud", "assign", "--db", db, "--device", camera, "--url", url]).status, 0);
    const list = JSON.parse(runCli(["mud", "list", "--db", db, "--format", "json"]).stdout) as { profiles: { url: string; devices: string[] }[] };
    assert.deepEqual(list.profiles.map((p) => [p.url, p.devices]), [[url, [camera]]]);
    const learned = JSON.parse(runCli(["policy", "learn", "--db", db, "--format", "json"]).stdout) as { id: number; policy: { groups: Record<string, string[]>; rules: { id: string; comment: string }[]; review: string[] } };
    assert.deepEqual(learned.policy.groups[`mud:${url}`], [camera], "the assigned camera is governed by its MUD profile");
    assert.ok(!learned.policy.groups["category:camera"].includes(camera));
    assert.deepEqual(learned.policy.rules.filter((r) => r.id.startsWith("m")).map((r) => r.comment.replace(/ \(MUD .*\)$/, "")),
      [`mud:${url} -> dispatcher.axis.com tcp/443`, `category:nvr -> mud:${url} tcp/554`]);
    assert.ok(learned.policy.review.some((r) => r.includes(`beyond the MUD profile ${url}`)), "what it did beyond its profile is named");
    const sim = JSON.parse(runCli(["policy", "simulate", "--policy", String(learned.id), "--db", db, "--format", "json", lab.pcap]).stdout) as { drops: { src_mac: string | null; dst_ip: string }[] };
    const review = (JSON.parse(runCli(["policy", "show", String(learned.id), "--db", db, "--format", "json"]).stdout) as { policy: { review: string[] } }).policy.review;
    assert.deepEqual(unreviewedDrops(sim.drops, review), []);
    const exported = runCli(["mud", "export", "--db", db, "--device", camera]);
    assert.equal(exported.status, 0, exported.stderr);
    const reimported = parseMud(JSON.parse(exported.stdout) as unknown);
    assert.equal(reimported.url, url);
    assert.ok(reimported.aces.some((a) => a.peer.kind === "dns" && a.peer.name === "dispatcher.axis.com"));
    const nvrRole = runCli(["policy", "compile", "--policy", String(learned.id), "--db", db, "--target", "aruba", "--device", "category:nvr"]);
    assert.equal(nvrRole.status, 0, nvrRole.stderr);
    assert.match(nvrRole.stdout, /user-role cordon-category-nvr\n/);
    assert.match(nvrRole.stdout, /Access-Accept: Aruba-User-Role = "cordon-category-nvr"/);
    const nvrMud = runCli(["policy", "compile", "--policy", String(learned.id), "--db", db, "--target", "mud", "--device", "category:nvr"]);
    assert.equal(nvrMud.status, 0, nvrMud.stderr);
    assert.equal(parseMud(JSON.parse(nvrMud.stdout) as unknown).url, "https://mud.cordon.invalid/default/category%3Anvr");
  });
});
