import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { demoCapture } from "../src/lab/demo.js";
import { ethernet, ipv4, tcp, tlsClientHello } from "../src/lab/craft.js";
import { writePcap } from "../src/lab/capture-writer.js";
import { devicesJson } from "../src/cli/analyze.js";
import { COMMANDS, allCommands } from "../src/cli/commands/index.js";
import { ROOT, runCli, tmpDir } from "./helpers.js";

interface AnalyzeJson {
  stats: { packets: number; bytes: number; flows: number; errors: Record<string, number> };
  devices: Record<string, unknown>[];
}

describe("cordon CLI", () => {
  const dir = tmpDir();
  const demo = join(dir, "demo.pcap");
  writeFileSync(demo, demoCapture());

  it("analyze --format json prints stats and devices with lower-case MACs", () => {
    const db = join(dir, "a.db");
    const r = runCli(["analyze", "--db", db, "--format", "json", demo]);
    assert.equal(r.status, 0, r.stderr);
    const j = JSON.parse(r.stdout) as AnalyzeJson;
    assert.equal(j.stats.packets, 16);
    assert.equal(j.stats.bytes, readFileSync(demo).length - 24 - 16 * 16);
    assert.equal(j.stats.flows, 6);
    assert.deepEqual(j.stats.errors, {});
    const camera = j.devices.find((d) => d.mac === "00:40:8c:a1:b2:c3")!;
    assert.deepEqual(camera.ips, ["192.168.10.21"]);
    assert.equal(camera.oui_vendor, "Axis Communications AB");
    assert.deepEqual(camera.hostnames, ["AXIS-00408CA1B2C3"]);
    assert.deepEqual(camera.tls_sni, ["dispatcher.axis.com"]);
    assert.deepEqual(camera.dns_queries, ["dispatcher.axis.com"]);
    assert.equal((camera.dhcp as Record<string, string>).param_list, "1,3,6,15,28,42");
    for (const d of j.devices) {
      assert.match(String(d.mac), /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
      for (const k of ["site", "ips", "oui_vendor", "hostnames", "first_seen", "last_seen"]) assert.ok(k in d, `device has ${k}`);
    }
  });

  it("reads standard input", () => {
    const r = runCli(["analyze", "--db", join(dir, "stdin.db"), "--format", "json", "-"], readFileSync(demo));
    assert.equal(r.status, 0, r.stderr);
    assert.equal((JSON.parse(r.stdout) as AnalyzeJson).stats.packets, 16);
  });

  it("device shows every fact with its evidence, found by MAC or IP", () => {
    const db = join(dir, "d.db");
    assert.equal(runCli(["analyze", "--db", db, demo]).status, 0);
    const byIp = runCli(["device", "--db", db, "--format", "json", "192.168.10.40"]);
    assert.equal(byIp.status, 0, byIp.stderr);
    const [printer] = JSON.parse(byIp.stdout) as { mac: string; facts: { kind: string; value: string; evidence: { source: string; packet: number; time: string } }[] }[];
    assert.equal(printer.mac, "3c:2a:f4:55:66:77");
    const svc = printer.facts.find((f) => f.kind === "mdns.service")!;
    assert.equal(svc.value, "_ipp._tcp.local");
    assert.deepEqual(svc.evidence, { source: demo, packet: 13, time: svc.evidence.time } as typeof svc.evidence);
    const text = runCli(["device", "--db", db, "00-40-8C-A1-B2-C3"]);
    assert.equal(text.status, 0);
    assert.match(text.stdout, /dhcp\.vendor_class = AXIS,Network Camera,M3045-V,10\.12\.182/);
    assert.equal(runCli(["device", "--db", db, "10.9.9.9"]).status, 1);
  });

  it("flows --format json prints one object per flow", () => {
    const db = join(dir, "f.db");
    assert.equal(runCli(["analyze", "--db", db, demo]).status, 0);
    const r = runCli(["flows", "--db", db, "--format", "json"]);
    const flows = JSON.parse(r.stdout) as Record<string, unknown>[];
    assert.equal(flows.length, 6);
    const tls = flows.find((f) => f.app_protocol === "tls")!;
    assert.deepEqual(
      [tls.src_ip, tls.src_port, tls.dst_ip, tls.dst_port, tls.proto, tls.initiator, tls.packets_src_to_dst, tls.packets_dst_to_src],
      ["192.168.10.21", 51000, "52.18.7.44", 443, "tcp", "src", 3, 2],
    );
    assert.equal(tls.bytes_src_to_dst, 40 + 40 + 40 + tlsClientHello("dispatcher.axis.com").length, "IP-layer bytes");
    const dns = flows.find((f) => f.app_protocol === "dns")!;
    assert.equal(dns.bytes_src_to_dst, 20 + 8 + 12 + 21 + 4);
  });

  it("exits non-zero with one line naming the file when nothing could be read", () => {
    const junk = join(dir, "junk.pcap");
    writeFileSync(junk, "this is not a capture");
    const r = runCli(["analyze", "--db", join(dir, "j.db"), junk]);
    assert.equal(r.status, 1);
    assert.equal(r.stderr.trim().split("\n").length, 1);
    assert.match(r.stderr, /junk\.pcap: not a pcap or pcapng capture/);
    const missing = runCli(["analyze", "--db", join(dir, "j.db"), join(dir, "nope.pcap")]);
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /nope\.pcap: no such file/);
  });

  it("reads what it can past a file that is not a capture, and says so in its exit unless --keep-going", () => {
    const junk = join(dir, "junk2.pcap");
    writeFileSync(junk, "garbage");
    const r = runCli(["analyze", "--db", join(dir, "k.db"), "--format", "json", junk, demo]);
    assert.equal(r.status, 1, "one capture named could not be read");
    assert.match(r.stderr, /junk2\.pcap: not a pcap or pcapng capture/);
    const j = JSON.parse(r.stdout) as AnalyzeJson;
    assert.equal(j.stats.packets, 16);
    assert.equal(j.stats.errors["capture.unreadable"], 1);
    const k = runCli(["analyze", "--db", join(dir, "k2.db"), "--format", "json", "--keep-going", junk, demo]);
    assert.equal(k.status, 0, k.stderr);
    assert.equal((JSON.parse(k.stdout) as AnalyzeJson).stats.packets, 16);
  });

  it("a directory or a capture it may not read stops analyze before it reads anything, in one line each, unless --keep-going", () => {
    const db = join(dir, "dir.db");
    const r = runCli(["analyze", "--db", db, dir, demo]);
    assert.equal(r.status, 1);
    assert.equal(r.stderr, `cordon: ${dir}: is a directory (name the capture files in it, e.g. DIR/*.pcap)\n`);
    assert.equal(r.stdout, "");
    const k = runCli(["analyze", "--db", db, "--keep-going", dir, join(dir, "no-such.pcap"), demo]);
    assert.equal(k.status, 0, k.stderr);
    assert.deepEqual(k.stderr.trim().split("\n"), [`cordon: ${dir}: is a directory (name the capture files in it, e.g. DIR/*.pcap)`, `cordon: ${join(dir, "no-such.pcap")}: no such file`]);
    assert.match(k.stdout, /16 packets/);
    const none = runCli(["analyze", "--db", db, "--keep-going", dir]);
    assert.equal(none.status, 1, "nothing could be read at all");
  });

  it("every command: --help, a wrong option, a wrong value, a missing database, each one line and its exit", async () => {
    const db = join(dir, "table.db");
    assert.equal(runCli(["analyze", "--db", db, "--site", "plant-a", demo]).status, 0);
    const oneLine = (r: { stderr: string }, what: string): string => {
      assert.equal(r.stderr.split("\n").filter(Boolean).length, 1, `${what}: one line: ${r.stderr}`);
      return r.stderr.trim();
    };
    for (const c of await allCommands()) {
      assert.equal(runCli([c.name, "--help"]).status, 0, `${c.name} --help`);
      const wrong = runCli([c.name, "--no-such-option"]);
      assert.equal(wrong.status, 2, `${c.name} --no-such-option`);
      assert.equal(oneLine(wrong, c.name), `cordon: ${c.name} does not take --no-such-option (cordon ${c.name} --help)`);
    }
    // A value outside what an option takes: exit 2, naming what it takes.
    const values: [string[], RegExp][] = [
      [["alerts", "--class", "bogus"], /^cordon: class: "bogus" is not one of scan, brute-force, .* \(cordon alerts --help\)$/],
      [["devices", "--category", "printr"], /^cordon: category: "printr" is not one of camera, .*printer/],
      [["suppress", "add", "--detector", "nosuch", "--reason", "r"], /^cordon: detector: "nosuch" is not one of arp-spoof, .*scan/],
      [["policy", "compile", "--policy", "1", "--target", "junos"], /target|no policy 1/],
      [["devices", "--site", "plant-b"], /^cordon: site: no site "plant-b" in the database \(sites: plant-a\)/],
      [["flows", "--site", "plant-b"], /no site "plant-b"/],
      [["alerts", "--site", "plant-b"], /no site "plant-b"/],
      [["policy", "list", "--site", "plant-b"], /no site "plant-b"/],
      [["baseline", "--site", "plant-a", "--category", "camra"], /^cordon: category: "camra" is not one of camera/],
      [["baseline"], /^cordon: site: no site "default" in the database \(sites: plant-a\)/],
      [["flows", "--protocol", "a b"], /^cordon: protocol: "a b" is not a protocol/],
      [["flows", "--port", "70000"], /^cordon: port: "70000" is not a port/],
      [["flows", "--from", "yesterday"], /^cordon: from: "yesterday" is neither a time/],
      [["devices", "--format", "xml"], /^cordon: --format must be one of table, json, csv/],
      [["audit", "--format", "csv"], /^cordon: --format must be one of table, json/],
      [["alerts", "show", "zz"], /is not an alert id/],
      [["respond", "approve", "xyz"], /needs a response id/],
    ];
    for (const [args, re] of values) {
      const r = runCli([...args, "--db", db]);
      assert.equal(r.status, 2, `${args.join(" ")}: ${r.stderr}`);
      assert.match(oneLine(r, args.join(" ")), re, args.join(" "));
    }
    // Commands that read, on a database that is not there: exit 1, nothing made.
    const missing = join(dir, "no-such.db");
    for (const args of [["devices"], ["device", "00:11:22:33:44:55"], ["flows"], ["alerts"], ["alerts", "show", "abcd"], ["baseline"], ["audit"],
      ["nac", "log"], ["policy", "list"], ["policy", "show"], ["suppress", "list"], ["maintenance", "list"], ["mud", "list"]]) {
      const r = runCli([...args, "--db", missing]);
      assert.equal(r.status, 1, `${args.join(" ")}: ${r.stderr}`);
      assert.equal(oneLine(r, args.join(" ")), `cordon: ${missing}: no such database ('cordon analyze' or 'cordon serve' makes one; --db or CORDON_DB names another)`);
      assert.ok(!existsSync(missing), `${args.join(" ")} made no database`);
    }
  });

  it("has --help on every command, and cordon --help lists every command", async () => {
    const main = runCli(["--help"]);
    assert.equal(main.status, 0);
    for (const c of await allCommands()) {
      assert.match(main.stdout, new RegExp(`^  ${c.name} +${c.summary.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`, "m"));
      const r = runCli([c.name, "--help"]);
      assert.equal(r.status, 0, c.name);
      assert.match(r.stdout, new RegExp(`Usage: cordon ${c.name}`));
    }
    // Commands load by name: each is listed under the name it answers to.
    assert.deepEqual((await allCommands()).map((c) => c.name), [...COMMANDS.keys()]);
    const r = runCli(["nonsense"]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /unknown command 'nonsense'/);
  });

  it("each command's usage names only options it takes, and it takes every option its usage names", async () => {
    for (const c of await allCommands()) {
      const usage = c.help.split("\n\n")[0];
      const named = new Set([...usage.matchAll(/--([a-z][a-z-]*)/g)].map((m) => m[1]));
      for (const o of named) assert.ok(o in c.options, `cordon ${c.name} --help names --${o}, which it does not take`);
      for (const o of Object.keys(c.options)) assert.ok(named.has(o) || c.help.includes(`--${o}`), `cordon ${c.name} takes --${o}, which its help never names`);
    }
  });

  it("a command that only reads refuses a database that is not there, instead of making an empty one", () => {
    const missing = join(tmpDir(), "typo.db");
    for (const args of [["devices"], ["device", "10.0.0.1"], ["flows"], ["baseline"], ["audit"]]) {
      const r = runCli([...args, "--db", missing]);
      assert.equal(r.status, 1, args[0]);
      assert.equal(r.stderr, `cordon: ${missing}: no such database ('cordon analyze' or 'cordon serve' makes one; --db or CORDON_DB names another)\n`);
      assert.equal(existsSync(missing), false, `${args[0]} made no database`);
    }
  });

  it("--version prints the package's version", () => {
    const r = runCli(["--version"]);
    assert.equal(r.status, 0);
    const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string };
    assert.equal(r.stdout, `cordon ${pkg.version}\n`);
  });

  it("refuses an option the command does not take, naming it, before doing anything", () => {
    const db = join(tmpDir(), "never.db");
    const r = runCli(["devices", "--seed", "3", "--db", db]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /devices does not take --seed \(cordon devices --help\)/);
    assert.match(runCli(["analyze", "--demo", "--policy", "7", "--limit", "2", "--db", db]).stderr, /analyze does not take --policy, --limit/);
    assert.equal(existsSync(db), false, "no database was made");
  });

  it("devices, flows and alerts keep one site's when asked", () => {
    const db = join(dir, "sites.db");
    assert.equal(runCli(["analyze", "--db", db, "--site", "plant-a", demo]).status, 0);
    const count = (args: string[]): number => (JSON.parse(runCli([...args, "--db", db, "--format", "json"]).stdout) as unknown[]).length;
    assert.equal(count(["devices", "--site", "plant-a"]), 4);
    assert.equal(count(["devices", "--site", "plant-a", "--category", "camera"]), 1);
    assert.equal(count(["flows", "--site", "plant-a"]), 6);
    assert.equal(count(["alerts", "--site", "plant-a", "--all"]), 0);
    // A site the database does not have is a typo, not an empty answer.
    for (const cmd of ["devices", "flows", "alerts"]) {
      const r = runCli([cmd, "--site", "plant-b", "--db", db]);
      assert.equal(r.status, 2, cmd);
      assert.equal(r.stderr, `cordon: site: no site "plant-b" in the database (sites: plant-a) (cordon ${cmd} --help)\n`, cmd);
    }
  });

  it("a capture on lo makes no device of the all-zero MAC or loopback addresses, and no alert, unless --loopback", () => {
    // Localhost HTTP with Basic credentials, as a capture on the loopback interface has it.
    const zero = "00:00:00:00:00:00";
    const http = Buffer.from("GET /admin HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nAuthorization: Basic YWRtaW46YWRtaW4=\r\n\r\n");
    const frames = [
      tcp(40000, 8080, 0x02, 1), tcp(8080, 40000, 0x12, 100), tcp(40000, 8080, 0x18, 2, http), tcp(8080, 40000, 0x18, 101, Buffer.from("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")),
    ].map((seg, i) => ({ tsUs: 1_767_600_000_000_000 + i * 1000, data: ethernet(zero, zero, 0x0800, ipv4({ src: "127.0.0.1", dst: "127.0.0.1", proto: 6 }, seg)) }));
    const file = join(dir, "lo.pcap");
    writeFileSync(file, writePcap(frames));
    const r = runCli(["analyze", "--db", join(dir, "lo.db"), "--format", "json", file]);
    assert.equal(r.status, 0, r.stderr);
    const j = JSON.parse(r.stdout) as AnalyzeJson & { stats: { alerts?: number } };
    assert.deepEqual(j.devices, [], "neither the all-zero MAC nor 127.0.0.1 is a device");
    assert.equal(j.stats.flows, 1);
    assert.equal(j.stats.alerts, 0);
    const asked = JSON.parse(runCli(["analyze", "--db", join(dir, "lo2.db"), "--format", "json", "--loopback", file]).stdout) as AnalyzeJson & { stats: { alerts?: number } };
    assert.equal(asked.stats.alerts, 1, "with --loopback the credentials in clear are an alert");
    assert.equal(asked.devices.length, 1, "and the loopback host a device");
  });

  it("a reading command upgrades a database an older Cordon wrote, then reads it read-only", async () => {
    const db = join(dir, "old.db");
    assert.equal(runCli(["analyze", "--db", db, demo]).status, 0);
    const { default: Database } = await import("better-sqlite3");
    const old = new Database(db);
    // Back to schema 11: before users and roles, chunks' hosts, advisories and the end-of-life register.
    old.exec(`DROP TABLE eol_decisions; DROP TABLE kev; DROP TABLE advisories; DROP TABLE flow_chunk_hosts; DROP TABLE login_sessions; DROP TABLE api_tokens; DROP TABLE users; ALTER TABLE audit DROP COLUMN role;
      DROP TABLE trust_assumptions; DROP TABLE trust_zones; DROP TABLE trust_key;
      DROP TABLE pki_cas; DROP TABLE pki_vendor_cas; DROP TABLE certificates; DROP TABLE enroll_tokens; ALTER TABLE nac_decisions DROP COLUMN identity; DROP INDEX alerts_class_status; DROP INDEX devices_mac; DROP INDEX devices_key; PRAGMA user_version = 11;`);
    old.close();
    const r = runCli(["devices", "--db", db, "--format", "json"]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal((JSON.parse(r.stdout) as unknown[]).length, 4);
    const again = new Database(db, { readonly: true });
    assert.equal(again.pragma("user_version", { simple: true }), 19);
    again.close();
  });

  it("honours CORDON_DB and prints CSV", () => {
    const db = join(dir, "env.db");
    assert.equal(runCli(["analyze", demo], undefined, { CORDON_DB: db }).status, 0);
    const r = runCli(["devices", "--format", "csv"], undefined, { CORDON_DB: db });
    const lines = r.stdout.trim().split("\n");
    assert.equal(lines[0], "site,mac,ips,category,identity,vendor,model,oui_vendor,hostnames,first_seen,last_seen,packets_out,packets_in");
    assert.equal(lines.length, 5);
  });
});

describe("devicesJson", () => {
  const views = [
    { site: "default", mac: "00:40:8c:a1:b2:c3", ips: ["10.0.0.2", "fe80::1"], dhcp: { param_list: "1,3,6", vendor_class: undefined }, evidence: [] },
    { site: "b", mac: null, ips: [], nested: { list: [{ a: 1 }, { b: [2, 3] }] }, title: "quote \" and\nnewline" },
    { site: "c", empty: {}, none: [] },
  ];
  const stats = { packets: 3, bytes: 180, flows: 1, errors: { "frame.snaplen-cut": 2 } };
  for (const n of [0, 1, 3]) {
    for (const withStats of [false, true]) {
      it(`writes what JSON.stringify writes: ${n} devices, ${withStats ? "with" : "without"} stats`, () => {
        const list = views.slice(0, n);
        const whole = JSON.stringify(withStats ? { stats, devices: list } : list, null, 2);
        assert.equal([...devicesJson(list, (d) => d, withStats ? stats : undefined)].join(""), whole);
      });
    }
  }
});
