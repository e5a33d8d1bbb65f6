import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CLI, NO_CORPUS, corpus, haveTool, runCli, tmpDir } from "./helpers.js";

/**
 * SNMP polling against Debian's snmpd, in two network namespaces this test makes: the agent
 * (10.78.0.2, a SCALANCE switch by its sysDescr and ENTITY-MIB, with a forwarding table and
 * an LLDP neighbour) and Cordon (10.78.0.1). Nothing leaves the pair.
 */
const CAN = process.getuid?.() === 0 && haveTool("ip") && haveTool("snmpd") && haveTool("tcpdump") && haveTool("tshark");
const SKIP = CAN ? false : "needs root, ip, snmpd, tcpdump and tshark (run .ci/run, which installs them)";
const NS_CORDON = "csnmp-c";
const NS_AGENT = "csnmp-a";
const AGENT = "10.78.0.2";

/** The agent's answers: a switch on V4.1.7 (one below its fix), with a PLC and a camera behind it. */
const SNMPD_CONF = `agentaddress udp:${AGENT}:161
rocommunity plant-read-1 10.78.0.0/24
createUser cordonv3 SHA "auth-secret-77" AES "priv-secret-77"
rouser cordonv3 priv
sysDescr Siemens, SIMATIC NET, SCALANCE X302-7 EEC, 6GK5 302-7GD00-3GA3, HW: Version 2, FW: Version V4.1.7
sysName plant-sw-1
sysObjectID .1.3.6.1.4.1.4329.6.1.2.1
override .1.3.6.1.2.1.47.1.1.1.1.13.1 octet_str "SCALANCE X302-7 EEC"
override .1.3.6.1.2.1.47.1.1.1.1.10.1 octet_str "V4.1.7"
override .1.3.6.1.2.1.47.1.1.1.1.11.1 octet_str "VPL1234567"
override .1.3.6.1.2.1.47.1.1.1.1.12.1 octet_str "Siemens AG"
override .1.3.6.1.2.1.17.1.4.1.2.3 integer 3
override .1.3.6.1.2.1.17.1.4.1.2.5 integer 5
override .1.3.6.1.2.1.17.4.3.1.2.0.28.6.8.231.219 integer 3
override .1.3.6.1.2.1.17.4.3.1.3.0.28.6.8.231.219 integer 3
override .1.3.6.1.2.1.17.4.3.1.2.0.64.140.161.178.195 integer 5
override .1.3.6.1.2.1.17.4.3.1.3.0.64.140.161.178.195 integer 3
override .1.3.6.1.2.1.17.4.3.1.2.0.27.27.0.0.1 integer 0
override .1.3.6.1.2.1.17.4.3.1.3.0.27.27.0.0.1 integer 4
override .1.0.8802.1.1.2.1.4.1.1.9.0.5.1 octet_str "cam-7"
override .1.0.8802.1.1.2.1.4.1.1.7.0.5.1 octet_str "eth0"
`;

function sh(...a: string[]): void {
  execFileSync(a[0]!, a.slice(1), { stdio: "ignore" });
}

/** tcpdump on Cordon's end of the pair, once it says it is listening. */
async function startCapture(pcap: string): Promise<ChildProcess> {
  const capture = spawn("ip", ["netns", "exec", NS_CORDON, "tcpdump", "--immediate-mode", "-i", "sc", "-U", "-w", pcap, "udp port 161"], { stdio: ["ignore", "ignore", "pipe"] });
  await new Promise<void>((resolve, reject) => {
    let said = "";
    capture.stderr!.on("data", (d: Buffer) => {
      said += d.toString();
      if (said.includes("listening on")) resolve();
    });
    capture.on("exit", () => reject(new Error(`tcpdump ended: ${said}`)));
  });
  return capture;
}

function inCordon(args: string[]): { status: number; stdout: string; stderr: string } {
  const r = spawnSync("ip", ["netns", "exec", NS_CORDON, process.execPath, CLI, ...args], { encoding: "utf8" });
  return { status: r.status ?? 1, stdout: r.stdout, stderr: r.stderr };
}

describe("SNMP polling against snmpd in a namespace", { skip: SKIP }, () => {
  const dir = tmpDir("cordon-snmp-");
  let agent: ChildProcess | undefined;
  const key = join(dir, "secret.key");
  const sealed = (s: string): string => execFileSync(process.execPath, [CLI, "secret", "seal", "--key-file", key], { input: s, encoding: "utf8" }).trim();
  const config = (name: string, body: string): string => {
    const file = join(dir, name);
    writeFileSync(file, `snmp:\n  key_file: ${key}\n${body}`);
    return file;
  };

  before(async () => {
    for (const ns of [NS_CORDON, NS_AGENT]) {
      spawnSync("ip", ["netns", "del", ns], { stdio: "ignore" });
      sh("ip", "netns", "add", ns);
      sh("ip", "-n", ns, "link", "set", "lo", "up");
    }
    sh("ip", "-n", NS_CORDON, "link", "add", "sc", "type", "veth", "peer", "name", "sa", "netns", NS_AGENT);
    sh("ip", "-n", NS_CORDON, "addr", "add", "10.78.0.1/24", "dev", "sc");
    sh("ip", "-n", NS_AGENT, "addr", "add", `${AGENT}/24`, "dev", "sa");
    sh("ip", "-n", NS_CORDON, "link", "set", "sc", "up");
    sh("ip", "-n", NS_AGENT, "link", "set", "sa", "up");
    writeFileSync(join(dir, "snmpd.conf"), SNMPD_CONF);
    mkdirSync(join(dir, "persist"));
    agent = spawn("ip", ["netns", "exec", NS_AGENT, "snmpd", "-f", "-C", "-c", join(dir, "snmpd.conf"), "-Lf", join(dir, "snmpd.log"), "-I", "-ifTable,ifXTable,ipAddressTable"], {
      env: { ...process.env, SNMP_PERSISTENT_DIR: join(dir, "persist") }, stdio: "ignore",
    });
    // The agent answers once it has read its configuration.
    const log = join(dir, "snmpd.log");
    for (let i = 0; i < 100 && !(existsSync(log) && readFileSync(log, "utf8").includes("NET-SNMP version")); i++) await new Promise((r) => setTimeout(r, 100));
    execFileSync(process.execPath, [CLI, "secret", "init", "--key-file", key]);
  });

  after(() => {
    agent?.kill();
    for (const ns of [NS_CORDON, NS_AGENT]) spawnSync("ip", ["netns", "del", ns], { stdio: "ignore" });
  });

  it("refuses a community in clear, and one sealed under another key", () => {
    const clear = config("clear.yaml", `  subnets:\n    - { prefix: 10.78.0.0/24, version: v2c, community: plant-read-1, hosts: [${AGENT}] }\n`);
    assert.match(inCordon(["snmp", "poll", "--db", `${clear}.db`, "--config", clear]).stderr, /community: not a sealed value .* secrets are not kept in clear/);
    const other = join(dir, "other.key");
    execFileSync(process.execPath, [CLI, "secret", "init", "--key-file", other]);
    const foreign = execFileSync(process.execPath, [CLI, "secret", "seal", "--key-file", other], { input: "plant-read-1", encoding: "utf8" }).trim();
    const wrong = config("wrong.yaml", `  subnets:\n    - { prefix: 10.78.0.0/24, version: v2c, community: "${foreign}", hosts: [${AGENT}] }\n`);
    assert.match(inCordon(["snmp", "poll", "--db", `${wrong}.db`, "--config", wrong]).stderr, /cannot be opened with this key/);
    assert.match(readFileSync(key, "utf8"), /^[A-Za-z0-9+/]{43}=\n$/);
    assert.ok(!readFileSync(wrong, "utf8").includes("plant-read-1"), "the community is not in the file");
  });

  it("v2c: reads the switch's firmware and forwarding table, paced and one request at a time", async () => {
    const file = config("v2c.yaml", `  rate: 5\n  subnets:\n    - { prefix: 10.78.0.0/24, version: v2c, community: "${sealed("plant-read-1")}", hosts: [${AGENT}] }\n`);
    const pcap = join(dir, "v2c.pcap");
    const capture = await startCapture(pcap);
    const r = inCordon(["snmp", "poll", "--db", `${file}.db`, "--config", file, "--format", "json"]);
    await new Promise((r) => setTimeout(r, 300));
    capture.kill("SIGINT");
    await new Promise((r) => capture.on("exit", r));
    assert.equal(r.status, 0, r.stderr);
    const report = JSON.parse(r.stdout) as { polled: { ip: string; requests: number; observations: number; error?: string }[] };
    assert.equal(report.polled.length, 1);
    assert.equal(report.polled[0]!.error, undefined);
    // Every request the capture holds, and the answers: a request only after the last was answered.
    const packets = execFileSync("tshark", ["-r", pcap, "-T", "fields", "-e", "frame.time_epoch", "-e", "ip.src"], { encoding: "utf8" }).trim().split("\n").map((l) => l.split("\t"));
    const requests = packets.filter(([, src]) => src === "10.78.0.1").map(([t]) => Number(t));
    assert.equal(requests.length, report.polled[0]!.requests, "the report counts what went on the wire");
    let outstanding = 0;
    for (const [, src] of packets) {
      outstanding += src === "10.78.0.1" ? 1 : -1;
      assert.ok(outstanding <= 1, "one request in flight");
    }
    for (let i = 0; i < requests.length; i++) {
      const inOneSecond = requests.filter((t) => t >= requests[i]! && t < requests[i]! + 1).length;
      assert.ok(inOneSecond <= 5, `at most 5 requests a second (${inOneSecond} from request ${i})`);
    }
    const db = `${file}.db`;
    const sw = JSON.parse(runCli(["vulns", "device", "--db", db, "--format", "json", AGENT]).stdout) as { vendor: string; product: string; models: string[]; firmware: string; serial: string }[];
    assert.deepEqual([sw[0]!.vendor, sw[0]!.product, sw[0]!.models, sw[0]!.firmware, sw[0]!.serial], ["Siemens", "SCALANCE X302-7 EEC", ["6GK5 302-7GD00-3GA3"], "V4.1.7", "VPL1234567"]);
    // The forwarding table placed the PLC and the camera, with the port; the switch's own MAC is no device.
    const plc = JSON.parse(runCli(["device", "--db", db, "--format", "json", "00:1c:06:08:e7:db"]).stdout) as { facts: { kind: string; value: string }[] }[];
    assert.ok(plc[0]!.facts.some((f) => f.kind === "switch.port" && f.value === "plant-sw-1 port 3"), JSON.stringify(plc[0]!.facts));
    assert.equal(runCli(["device", "--db", db, "00:1b:1b:00:00:01"]).status, 1);
    const facts = (JSON.parse(runCli(["device", "--db", db, "--format", "json", AGENT]).stdout) as { facts: { kind: string; value: string }[] }[])[0]!.facts;
    assert.ok(facts.some((f) => f.kind === "snmp.lldp_neighbor" && f.value === "port 5: cam-7 port eth0"));
  });

  it("v3 authPriv: the same answers, encrypted on the wire", async () => {
    const file = config("v3.yaml", `  subnets:\n    - { prefix: 10.78.0.0/24, version: v3, user: cordonv3, auth_protocol: sha, auth_key: "${sealed("auth-secret-77")}", priv_protocol: aes, priv_key: "${sealed("priv-secret-77")}", hosts: [${AGENT}] }\n`);
    const pcap = join(dir, "v3.pcap");
    const capture = await startCapture(pcap);
    const r = inCordon(["snmp", "poll", "--db", `${file}.db`, "--config", file, "--format", "json"]);
    await new Promise((r) => setTimeout(r, 300));
    capture.kill("SIGINT");
    await new Promise((r) => capture.on("exit", r));
    assert.equal(r.status, 0, r.stderr);
    assert.equal((JSON.parse(r.stdout) as { polled: { error?: string }[] }).polled[0]!.error, undefined);
    const id = JSON.parse(runCli(["vulns", "device", "--db", `${file}.db`, "--format", "json", AGENT]).stdout) as { firmware: string }[];
    assert.equal(id[0]!.firmware, "V4.1.7");
    assert.ok(!readFileSync(pcap).includes(Buffer.from("SCALANCE")), "nothing the agent said crossed in clear");
    const wrong = config("v3-wrong.yaml", `  timeout_ms: 300\n  retries: 0\n  subnets:\n    - { prefix: 10.78.0.0/24, version: v3, user: cordonv3, auth_key: "${sealed("not-the-key-1")}", priv_key: "${sealed("priv-secret-77")}", hosts: [${AGENT}] }\n`);
    const bad = inCordon(["snmp", "poll", "--db", `${wrong}.db`, "--config", wrong, "--format", "json"]);
    assert.equal(bad.status, 1, "every target failed");
    assert.match((JSON.parse(bad.stdout) as { polled: { error?: string }[] }).polled[0]!.error ?? "", /./);
  });

  it("skips fragile devices the inventory knows in the subnet, unless allowed one by one", () => {
    const community = sealed("plant-read-1");
    const db = join(dir, "fragile.yaml.db");
    // A PLC of the inventory at the agent's address: classified by a person.
    writeFileSync(join(dir, "plc.csv"), `ip,vendor,product\n${AGENT},Siemens,SIMATIC S7-1500\n`);
    assert.equal(runCli(["assets", "import", "--db", db, join(dir, "plc.csv")]).status, 0);
    assert.equal(runCli(["override", "--db", db, "--category", "plc", "--reason", "a PLC", AGENT]).status, 0);
    const file = config("fragile.yaml", `  subnets:\n    - { prefix: 10.78.0.0/24, version: v2c, community: "${community}" }\n`);
    const skipped = inCordon(["snmp", "poll", "--db", `${file}.db`, "--config", file, "--format", "json"]);
    assert.equal(skipped.status, 0, skipped.stderr);
    const r = JSON.parse(skipped.stdout) as { polled: unknown[]; skipped: { ip: string; why: string }[] };
    assert.deepEqual(r.polled, []);
    assert.match(r.skipped[0]!.why, /^plc: fragile/);
    const allowed = config("fragile.yaml", `  subnets:\n    - { prefix: 10.78.0.0/24, version: v2c, community: "${community}", allow_fragile: [${AGENT}] }\n`);
    const polled = JSON.parse(inCordon(["snmp", "poll", "--db", `${allowed}.db`, "--config", allowed, "--format", "json"]).stdout) as { polled: { ip: string }[] };
    assert.deepEqual(polled.polled.map((p) => p.ip), [AGENT]);
  });

  it("a polled switch's firmware leads to its advisory", { skip: NO_CORPUS }, () => {
    const db = join(dir, "v2c.yaml.db");
    assert.equal(runCli(["vulns", "import", "--db", db, corpus("cisagov-CSAF/csaf_files/OT/white/2024/icsa-24-193-05.json")]).status, 0);
    const sw = JSON.parse(runCli(["vulns", "device", "--db", db, "--format", "json", AGENT]).stdout) as { cves: { cve: string; reason: string }[] }[];
    assert.deepEqual(sw[0]!.cves.map((c) => c.cve), ["CVE-2024-3596"]);
    assert.match(sw[0]!.cves[0]!.reason, /model number 6GK5302-7GD00-3GA3; V4\.1\.7 <V4\.1\.8/);
  });
});

describe("sealed secrets", () => {
  it("open only under their key, unchanged, and the key file is its owner's alone", async () => {
    const { makeKeyFile, readKeyFile, seal, unseal } = await import("../src/app/sealed-secrets.js");
    const { statSync } = await import("node:fs");
    const dir = tmpDir("cordon-sealed-");
    const key = join(dir, "k");
    makeKeyFile(key);
    assert.equal(statSync(key).mode & 0o777, 0o600);
    assert.throws(() => makeKeyFile(key), /exists: a new key would make every value sealed under it unreadable/);
    const k = readKeyFile(key);
    const a = seal(k, "plant-read-1");
    assert.notEqual(a, seal(k, "plant-read-1"), "a fresh nonce each time");
    assert.equal(unseal(k, a, "x"), "plant-read-1");
    const raw = Buffer.from(a.slice("sealed:v1:".length), "base64");
    raw[14] ^= 1;
    assert.throws(() => unseal(k, `sealed:v1:${raw.toString("base64")}`, "snmp.subnets[0].community"), /snmp\.subnets\[0\]\.community: cannot be opened with this key/);
    assert.throws(() => unseal(k, "plant-read-1", "c"), /c: not a sealed value/);
    assert.throws(() => unseal(k, "sealed:v1:AAAA", "c"), /wrong length/);
    writeFileSync(join(dir, "short"), "c2hvcnQ=\n");
    assert.throws(() => readKeyFile(join(dir, "short")), /not 32 bytes of base64/);
  });
});
