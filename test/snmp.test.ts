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

/** One `cordon snmp poll` in Cordon's namespace, with what crossed the pair captured into `pcap`. */
async function pollCaptured(file: string, pcap: string): Promise<{ status: number; stdout: string; stderr: string }> {
  const capture = await startCapture(pcap);
  const r = inCordon(["snmp", "poll", "--db", `${file}.db`, "--config", file, "--format", "json"]);
  await new Promise((r) => setTimeout(r, 300));
  capture.kill("SIGINT");
  await new Promise((r) => capture.on("exit", r));
  return r;
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
    const r = await pollCaptured(file, pcap);
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
    const r = await pollCaptured(file, pcap);
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

  it("a switch's firmware by SNMP, then its CVE, then a compensating policy that nft accepts and that closes the service to all but its users", { skip: NO_CORPUS || !haveTool("nft") }, async () => {
    const { ethernet, ipv4, lldp, tcp } = await import("../src/lab/craft.js");
    const { writePcap } = await import("../src/lab/capture-writer.js");
    const db = join(dir, "chain.db");
    const SW1 = { mac: "00:1b:1b:aa:00:02", ip: AGENT };
    const SW2 = { mac: "00:1b:1b:aa:00:03", ip: "10.78.0.3" };
    const A = { mac: "3c:52:82:00:00:11", ip: "10.78.0.11" };
    const B = { mac: "3c:52:82:00:00:12", ip: "10.78.0.12" };
    let t = 1_767_600_000_000_000;
    const frames: { tsUs: number; data: Buffer }[] = [];
    const conn = (c: typeof A, srv: typeof A, sport: number, port: number): void => {
      const f = (from: typeof A, to: typeof A, seg: Buffer): void => {
        frames.push({ tsUs: (t += 1000), data: ethernet(to.mac, from.mac, 0x0800, ipv4({ src: from.ip, dst: to.ip, proto: 6 }, seg)) });
      };
      f(c, srv, tcp(sport, port, 0x02, 1));
      f(srv, c, tcp(port, sport, 0x12, 100));
      f(c, srv, tcp(sport, port, 0x10, 2));
      f(c, srv, tcp(sport, port, 0x11, 2));
      f(srv, c, tcp(port, sport, 0x11, 101));
    };
    for (const sw of [SW1, SW2]) frames.push({ tsUs: (t += 1000), data: ethernet("01:80:c2:00:00:0e", sw.mac, 0x88cc, lldp(sw.mac, "port 1", `sw-${sw.ip}`, "Siemens, SIMATIC NET, SCALANCE X302-7 EEC")) });
    // A manages switch 1 (SSH and HTTPS), B manages switch 2: learning puts both switches in one group.
    for (let i = 0; i < 6; i++) {
      conn(A, SW1, 40000 + i, 22);
      conn(A, SW1, 41000 + i, 443);
      conn(B, SW2, 42000 + i, 22);
    }
    const site = join(dir, "site.pcap");
    writeFileSync(site, writePcap(frames));
    frames.length = 0;
    conn(B, SW1, 43000, 22);
    const probe = join(dir, "probe.pcap");
    writeFileSync(probe, writePcap(frames));

    assert.equal(runCli(["analyze", "--db", db, site]).status, 0);
    const file = config("chain.yaml", `  subnets:\n    - { prefix: 10.78.0.0/24, version: v2c, community: "${sealed("plant-read-1")}", hosts: [${AGENT}] }\n`);
    assert.equal(inCordon(["snmp", "poll", "--db", db, "--config", file]).status, 0);
    assert.equal(runCli(["vulns", "import", "--db", db, corpus("cisagov-CSAF/csaf_files/OT/white/2024/icsa-24-193-05.json")]).status, 0);
    type Dev = { key: string; firmware: string; cves: { cve: string }[]; risk: { score: number; exposure_why: string } | null; exposures: { service: string; inside_allowed: number; internet: boolean }[] };
    const show = (): Dev => (JSON.parse(runCli(["vulns", "device", "--db", db, "--format", "json", SW1.mac]).stdout) as Dev[])[0]!;
    const before = show();
    assert.equal(before.firmware, "V4.1.7", "the firmware SNMP read, on the device the capture showed");
    assert.deepEqual(before.cves.map((c) => c.cve), ["CVE-2024-3596"]);
    assert.equal(runCli(["policy", "learn", "--db", db, "--all"]).status, 0);
    assert.equal(runCli(["policy", "approve", "--db", db, "1"]).status, 0);
    const governed = show();
    const ssh = governed.exposures.find((e) => e.service === "tcp/22")!;
    assert.deepEqual([ssh.inside_allowed, ssh.internet], [2, false], "both workstations may reach switch 1's SSH through the group rule");

    const comp = runCli(["vulns", "compensate", "--db", db, "--format", "json"]);
    assert.equal(comp.status, 0, comp.stderr);
    const proposed = JSON.parse(comp.stdout) as { policy: { id: number; status: string }; changes: string[] };
    assert.equal(proposed.policy.status, "proposed");
    assert.ok(proposed.changes.some((c) => c.includes(`tcp/22 of ${SW1.mac} (CVE-2024-3596): reachable from ${A.ip} only`)), proposed.changes.join("\n"));
    const diff = runCli(["policy", "diff", "--db", db, "1", String(proposed.policy.id)]).stdout;
    assert.match(diff, /compensating control for CVE-2024-3596|cidr:10\.78\.0\.11\/32 -> vulnerable-001b1baa0002 tcp\/22/);
    const nftFile = join(dir, "p2.nft");
    const compiled = runCli(["policy", "compile", "--db", db, "--policy", String(proposed.policy.id), "--target", "nftables"]);
    assert.equal(compiled.status, 0, compiled.stderr);
    assert.match(compiled.stdout, /compensating control for CVE-2024-3596/);
    writeFileSync(nftFile, compiled.stdout);
    execFileSync("nft", ["-c", "-f", nftFile]);
    // The probe (B to switch 1's SSH) passed policy 1 and is dropped by the new version; A's own work still passes.
    const sim = (policy: string, capture: string) => JSON.parse(runCli(["policy", "simulate", "--db", db, "--policy", policy, "--format", "json", capture]).stdout) as { flows: number; dropped: number; allowed_by: { rule: string }[] };
    const was = sim("1", probe);
    assert.deepEqual([was.flows, was.dropped, was.allowed_by.map((a) => a.rule)], [1, 0, ["r2"]], "B reached switch 1's SSH through B's rule to the group");
    const now = sim(String(proposed.policy.id), probe);
    assert.deepEqual([now.flows, now.dropped], [1, 1]);
    assert.equal(sim(String(proposed.policy.id), site).dropped, 0, "nothing the site was seen doing is dropped");
    assert.equal(runCli(["policy", "approve", "--db", db, String(proposed.policy.id)]).status, 0);
    const after = show();
    const closed = after.exposures.find((e) => e.service === "tcp/22")!;
    assert.deepEqual([closed.inside_allowed, closed.internet], [1, false], "only A may reach it now");
    assert.ok(after.risk!.score < governed.risk!.score, `risk falls: ${governed.risk!.score} -> ${after.risk!.score}`);
  });

  it("serve polls on its period: the switch's facts arrive through its pipeline", async () => {
    const { serve } = await import("./serve-process.js");
    const db = join(dir, "serve.db");
    const file = join(dir, "serve.yaml");
    writeFileSync(file, `db: ${db}\npersist_interval_s: 1\nsnmp:\n  key_file: ${key}\n  interval_s: 60\n  subnets:\n    - { prefix: 10.78.0.0/24, version: v2c, community: "${sealed("plant-read-1")}", hosts: [${AGENT}] }\n`);
    const s = await serve(["--config", file], ["ip", "netns", "exec", NS_CORDON]);
    try {
      for (let i = 0; i < 250 && !s.logs.some((l) => l.msg === "snmp round done"); i++) await new Promise((r) => setTimeout(r, 40));
      const round = s.logs.find((l) => l.msg === "snmp round done")!;
      assert.ok(round, "a round ran");
      assert.equal(round.polled, 1);
      assert.ok((round.facts as number) >= 7);
      // Written with the next persist (each second).
      for (let i = 0; i < 100; i++) {
        const r = runCli(["vulns", "device", "--db", db, "--format", "json", AGENT]);
        if (r.status === 0 && (JSON.parse(r.stdout) as { firmware: string | null }[])[0]!.firmware === "V4.1.7") break;
        await new Promise((r) => setTimeout(r, 100));
      }
      const sw = JSON.parse(runCli(["vulns", "device", "--db", db, "--format", "json", AGENT]).stdout) as { firmware: string; product: string }[];
      assert.deepEqual([sw[0]!.firmware, sw[0]!.product], ["V4.1.7", "SCALANCE X302-7 EEC"]);
    } finally {
      s.child.kill("SIGTERM");
      await s.exit;
    }
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
