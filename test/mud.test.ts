import assert from "node:assert/strict";
import { copyFileSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { MudError, loadMudDirectory, parseMud, readMudFile } from "../src/policy/mud/import.js";
import { NO_CORPUS, corpus, tmpDir } from "./helpers.js";

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
