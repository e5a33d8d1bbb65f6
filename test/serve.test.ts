import assert from "node:assert/strict";
import { makeKeyFile, readKeyFile, seal } from "../src/app/sealed-secrets.js";
import { execFileSync } from "node:child_process";
import { createSocket } from "node:dgram";
import { createConnection } from "node:net";
import { appendFileSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parse as parseYaml } from "yaml";
import { CONFIG_KEYS, ConfigError, loadConfig, validateConfig } from "../src/serve/config.js";
import serveCommand from "../src/cli/commands/serve.js";
import { FairAdmission } from "../src/serve/fair-admission.js";
import { SourceHealth } from "../src/serve/source-health.js";
import type { ApiOp, SourceSnapshot, StatsSnapshot } from "../src/serve/messages.js";
import { readerFor } from "../src/serve/api-reads.js";
import { NO_CORPUS, ROOT, corpus, haveTool, runCli, tmpDir } from "./helpers.js";
import { withReplayPair } from "./netns.js";
import { IPV4_FLOW_FIELDS, dataSet, ipfixMessage, ipv4Record, templateSet } from "../src/lab/netflow-export.js";
import { T0, exportFlows, metric, send, serve, waitFor } from "./serve-process.js";

describe("serve's API readers", () => {
  it("send reads of flow history to the flows reader, and others to the reads reader unless it is busy and the flows reader idle", () => {
    const reader = (name: string, waiting: number): { name: string; waiting(): number } => ({ name, waiting: () => waiting });
    const pick = (op: ApiOp, reads: number, flows: number): string => readerFor(op, reader("reads", reads), reader("flows", flows)).name;
    assert.deepEqual([pick("flows", 0, 5), pick("device-context", 0, 0), pick("trust-graph", 3, 0)], ["flows", "flows", "flows"]);
    assert.deepEqual([pick("devices", 0, 0), pick("devices", 1, 1), pick("alerts", 2, 1)], ["reads", "reads", "reads"]);
    assert.deepEqual([pick("devices", 1, 0), pick("overview", 4, 0)], ["flows", "flows"]);
  });
});

describe("serve configuration", () => {
  it("fills defaults, and lets the environment override the file and flags override both", () => {
    const c = validateConfig({ netflow: [{ port: 2055 }], capture: [{ interface: "eth1", filter: "not port 22" }] });
    assert.equal(c.db, "./cordon.db");
    assert.deepEqual(c.netflow, [{ name: "netflow:2055", host: "0.0.0.0", port: 2055, site: "default", templateLifetimeS: 1800, transport: "udp", exporters: [] }]);
    assert.equal(c.capture[0].snaplen, 65535);
    assert.equal(c.capture[0].bufferMib, 64, "a kernel ring that holds about two seconds at 300,000 small packets/s");
    const dir = tmpDir();
    const file = join(dir, "c.yaml");
    writeFileSync(file, "db: /var/lib/a.db\nsite: plant-a\nhttp:\n  port: 9000\nnetflow:\n  - port: 4739\n");
    const fromFile = loadConfig(file, {}, {});
    assert.equal(fromFile.db, "/var/lib/a.db");
    assert.equal(fromFile.netflow[0].site, "plant-a", "a source takes the default site");
    const fromEnv = loadConfig(file, { CORDON_DB: "/tmp/b.db", CORDON_HTTP_PORT: "9100" }, {});
    assert.equal(fromEnv.db, "/tmp/b.db");
    assert.equal(fromEnv.http.port, 9100);
    const fromFlags = loadConfig(file, { CORDON_DB: "/tmp/b.db" }, { db: "/tmp/c.db", netflowPorts: ["2056"], ipfixTcpPorts: ["4740"] });
    assert.equal(fromFlags.db, "/tmp/c.db");
    assert.deepEqual(fromFlags.netflow.map((n) => [n.port, n.transport]), [[4739, "udp"], [2056, "udp"], [4740, "tcp"]]);
    const tcp = validateConfig({ netflow: [{ transport: "tcp" }] }).netflow[0];
    assert.deepEqual([tcp.name, tcp.port, tcp.transport], ["ipfix-tcp:4739", 4739, "tcp"], "IPFIX over TCP defaults to its IANA port");
  });

  it("the example in serve --help is a configuration serve accepts, with secrets from the environment it is given", () => {
    const help = serveCommand.help;
    const start = help.indexOf("flags override both):\n") + "flags override both):\n".length;
    const yaml = help.slice(start, help.indexOf("\n\nOptions for every command")).split("\n").map((l) => l.slice(2)).join("\n");
    const file = join(tmpDir(), "example.yaml");
    writeFileSync(file, yaml);
    assert.equal(process.env.RADIUS_SECRET, undefined, "the secret comes from the environment handed to loadConfig, not this process's");
    const c = loadConfig(file, { RADIUS_SECRET: "example-secret" }, {});
    assert.equal(c.netflow.length, 2);
    assert.equal(c.nac?.nas[0].secret, "example-secret");
    assert.equal(c.maxHeldFlows, 1_000_000);
    assert.throws(() => loadConfig(file, {}, {}), /secret_env: the environment has no RADIUS_SECRET/);
  });

  it("examples/cordon.yaml is a configuration serve accepts, and shows every key it takes", () => {
    const file = join(ROOT, "examples", "cordon.yaml");
    const env = { CORDON_API_TOKEN: "t".repeat(32), RADIUS_SECRET: "radius-secret", CORDON_WEBHOOK_SECRET: "webhook-secret-of-length" };
    // Its certificate paths name files of this machine's own: a fresh pair stands in for them.
    const tls = tmpDir("cordon-example-tls-");
    execFileSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", join(tls, "k.pem"), "-out", join(tls, "c.pem"), "-days", "90", "-subj", "/CN=cordon.plant-a.example"], { stdio: "ignore" });
    const copy = join(tls, "cordon.yaml");
    // Its SNMP secrets are sealed under a key of its own machine: a new key and values stand in.
    const key = join(tls, "secret.key");
    makeKeyFile(key);
    writeFileSync(join(tls, "ca-passphrase"), "an example passphrase\n");
    let n = 0;
    writeFileSync(copy, readFileSync(file, "utf8").replace("/etc/cordon/tls/cordon.crt", join(tls, "c.pem")).replace("/etc/cordon/tls/cordon.key", join(tls, "k.pem"))
      .replace("/etc/cordon/secret.key", key).replace("/etc/cordon/ca-passphrase", join(tls, "ca-passphrase")).replace(/sealed:v1:EXAMPLE/g, () => seal(readKeyFile(key), `example-secret-${++n}`)));
    const c = loadConfig(copy, env, {});
    assert.equal(n, 3);
    const v3 = c.snmp?.subnets[1]?.credential;
    assert.deepEqual(v3?.version === "v3" ? [v3.authKey, v3.privKey, v3.authProtocol] : [], ["example-secret-2", "example-secret-3", "sha256"]);
    assert.equal(c.http.tls?.subject, "CN=cordon.plant-a.example");
    assert.equal(c.nac?.nas[0].secret, "radius-secret");
    assert.equal(c.nac?.groupVlans["category:camera"], "20");
    assert.equal(c.respond?.quarantine, "coa");
    assert.deepEqual([c.pki?.passphrase, c.pki?.est?.port, c.pki?.crlUrl], ["an example passphrase", 8443, "http://cordon.example.org:8080/pki/crl"]);
    // Every key at every place, against the lists serve checks with.
    const seen = new Map<string, Set<string>>();
    const walk = (v: unknown, path: string): void => {
      if (Array.isArray(v)) {
        for (const x of v) walk(x, `${path}[]`);
        return;
      }
      if (typeof v !== "object" || v === null) return;
      const keys = seen.get(path) ?? new Set<string>();
      seen.set(path, keys);
      for (const [k, x] of Object.entries(v)) {
        keys.add(k);
        if (path !== "nac" || k !== "group_vlans") walk(x, path === "" ? k : `${path}.${k}`);
      }
    };
    walk(parseYaml(readFileSync(file, "utf8")), "");
    // A NAS's secret written in the file is shown only in a comment: secret_env is the way.
    const shownInComments = new Set(["nac.nas[].secret"]);
    for (const [path, keys] of Object.entries(CONFIG_KEYS)) {
      assert.deepEqual([...(seen.get(path) ?? [])].sort(), keys.filter((k) => !shownInComments.has(`${path}.${k}`)).sort(), `keys of ${path || "the top level"}`);
    }
    assert.deepEqual([...seen.get("notify[]")!].sort(), ["audience", "jsonl", "min_severity", "syslog", "webhook"]);
    assert.deepEqual([...seen.get("notify[].webhook")!].sort(), ["attempts", "backoff_ms", "dead_letter", "secret_env", "url"]);
  });

  it("names the bad key", () => {
    const bad: [unknown, RegExp][] = [
      [{ netflw: [] }, /^netflw: unknown key/],
      [{ netflow: [{ port: 70000 }] }, /^netflow\[0\]\.port: must be an integer from 0 to 65535/],
      [{ netflow: [{ port: 2055, sampling: 3 }] }, /^netflow\[0\]\.sampling: unknown key/],
      [{ capture: [{ filter: "tcp" }] }, /^capture\[0\]\.interface: required/],
      [{ capture: [{ interface: "eth0; rm -rf /" }] }, /^capture\[0\]\.interface: not an interface name/],
      [{ capture: [{ interface: "eth0", buffer_mib: 0 }] }, /^capture\[0\]\.buffer_mib: must be an integer from 1 to 4096/],
      [{ http: { port: "x" } }, /^http\.port: must be an integer/],
      [{ log_level: "loud" }, /^log_level: must be one of/],
      [{ zeek: [{ dir: "/a", follow: "yes" }] }, /^zeek\[0\]\.follow: must be true or false/],
      [{ netflow: [{ port: 1 }, { port: 1 }] }, /^netflow\[1\]\.name: "netflow:1" is used by another source/],
      [{ netflow: [{ port: 4739, transport: "sctp" }] }, /^netflow\[0\]\.transport: must be one of udp, tcp/],
      [{ netflow: [{ port: 2055, exporters: ["10.0.0.1", "10.0.0.0/33"] }] }, /^netflow\[0\]\.exporters\[1\]: not an address or prefix/],
      [{ netflow: [{ port: 2055, exporters: "10.0.0.1" }] }, /^netflow\[0\]\.exporters: must be a list/],
      [{ http: { allowed_hosts: ["cordon.example", "a b"] } }, /^http\.allowed_hosts: must be a list of host names/],
      [{ clock_skew_s: 0 }, /^clock_skew_s: must be an integer from 1/],
      [{ watchdog_s: 1 }, /^watchdog_s: must be an integer from 5/],
    ];
    for (const [raw, re] of bad) assert.throws(() => validateConfig(raw), (e: Error) => e instanceof ConfigError && re.test(e.message), JSON.stringify(raw));
    const dir = tmpDir();
    writeFileSync(join(dir, "bad.yaml"), "netflow:\n  - port: [1, 2\n");
    assert.throws(() => loadConfig(join(dir, "bad.yaml"), {}, {}), /bad\.yaml: not valid YAML/);
    const r = runCli(["serve", "--config", join(dir, "missing.yaml")]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /configuration: .*missing\.yaml: no such file/);
    writeFileSync(join(dir, "typo.yaml"), "netflow:\n  - port: 2055\n    templte_lifetime_s: 60\n");
    const t = runCli(["serve", "--config", join(dir, "typo.yaml")]);
    assert.equal(t.status, 2);
    assert.match(t.stderr, /netflow\[0\]\.templte_lifetime_s: unknown key/);
  });
});

describe("fair admission to the worker queue", () => {
  it("past half the queue, an exporter holding its share is refused and the others still get in", () => {
    const a = new FairAdmission(100);
    let taken = 0;
    while (a.admit("flood")) taken++;
    assert.equal(taken, 50, "alone, the flooder gets half");
    assert.equal(a.admit("flood"), false, "and stays refused");
    let calm = 0;
    while (a.admit("calm")) calm++;
    assert.equal(calm, 25, "the half past it is shared: 50 / 2 exporters");
    assert.equal(a.admit("third"), true, "a third exporter still gets in");
    a.posted(Array.from({ length: 40 }, () => "flood"));
    a.handled();
    assert.equal(a.size, 36);
    assert.equal(a.admit("flood"), true, "below half again, the flooder is taken");
    a.handled();
    assert.equal(a.size, 37, "a hand-over nobody posted changes nothing");
    const full = new FairAdmission(10);
    for (let i = 0; i < 10; i++) full.admit(`e${i}`);
    assert.equal(full.admit("late"), false, "at the bound, nothing is taken");
  });
});

const flowCount = (db: string): number => (JSON.parse(runCli(["flows", "--db", db, "--format", "json"]).stdout) as unknown[]).length;

describe("cordon serve", () => {
  it("collects NetFlow, reports /healthz and /metrics, stops cleanly on SIGTERM and resumes with nothing lost", async () => {
    const dir = tmpDir("cordon-serve-");
    const db = join(dir, "s.db");
    const a = await serve(["--db", db, "--netflow", "0"]);
    const health = await fetch(`http://127.0.0.1:${a.httpPort}/healthz`);
    assert.equal(health.status, 200);
    assert.equal(((await health.json()) as { status: string }).status, "ok");
    await send(a.netflowPort!, exportFlows(0, 600));
    await waitFor(async () => (await metric(a.httpPort, "cordon_source_records_total")) === 600, "600 records");
    const text = await (await fetch(`http://127.0.0.1:${a.httpPort}/metrics`)).text();
    assert.match(text, /cordon_netflow_exporters\{source="netflow:0"\} 1/);
    assert.match(text, /cordon_netflow_templates\{source="netflow:0",exporter="127\.0\.0\.1",version="10",domain="1"\} 1/);
    assert.match(text, /cordon_netflow_lost_total\{[^}]*\} 0/);
    assert.equal((await fetch(`http://127.0.0.1:${a.httpPort}/nope`)).status, 404);
    a.child.kill("SIGTERM");
    assert.equal(await a.exit, 0);
    assert.equal(flowCount(db), 600);
    const devicesBefore = (JSON.parse(runCli(["devices", "--db", db, "--format", "json"]).stdout) as unknown[]).length;
    assert.equal(devicesBefore, 601, "600 clients and their server, each by private address");

    const b = await serve(["--db", db, "--netflow", "0"]);
    await send(b.netflowPort!, exportFlows(600, 200));
    await waitFor(async () => (await metric(b.httpPort, "cordon_source_records_total")) === 200, "200 more records");
    b.child.kill("SIGINT");
    assert.equal(await b.exit, 0);
    assert.equal(flowCount(db), 800);
    const devices = JSON.parse(runCli(["devices", "--db", db, "--format", "json"]).stdout) as { ips: string[] }[];
    assert.equal(devices.length, 801, "the server seen in both runs is one device");
  });

  it("detects on what it ingests: a scan in NetFlow records is stored as an alert and sent to the outputs once", async () => {
    const dir = tmpDir("cordon-servealert-");
    const db = join(dir, "s.db");
    const out = join(dir, "alerts.jsonl");
    writeFileSync(join(dir, "cordon.yaml"), `persist_interval_s: 1\nnotify:\n  - jsonl: ${out}\n`);
    const a = await serve(["--config", join(dir, "cordon.yaml"), "--db", db, "--netflow", "0"]);
    const recs = Array.from({ length: 20 }, (_, i) => ipv4Record("10.1.0.5", "10.1.0.9", 40000, 1000 + i, 17, 1, 60, T0 * 1000 + i, T0 * 1000 + i));
    await send(a.netflowPort!, [ipfixMessage(T0, 0, 1, [templateSet(true, 300, IPV4_FLOW_FIELDS), dataSet(300, recs)])]);
    await waitFor(async () => (await metric(a.httpPort, "cordon_alerts_total")) >= 1, "the scan alert");
    a.child.kill("SIGTERM");
    assert.equal(await a.exit, 0);
    const alerts = JSON.parse(runCli(["alerts", "--db", db, "--format", "json"]).stdout) as { class: string; source: string; target: string }[];
    assert.ok(alerts.some((x) => x.class === "scan" && x.source === "10.1.0.5" && x.target === "10.1.0.9"), JSON.stringify(alerts));
    const sent = readFileSync(out, "utf8").trim().split("\n").map((l) => JSON.parse(l) as { class: string; id: string });
    assert.equal(sent.filter((x) => x.class === "scan").length, 1, "sent once, though stored at every persist");
    writeFileSync(join(dir, "bad.yaml"), "notify:\n  - jsonl: ''\n");
    const bad = runCli(["serve", "--config", join(dir, "bad.yaml")]);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /notify\[0\]\.jsonl: expected a file path/);
  });

  it("a flooding exporter is held to its share of the worker queue; another exporter loses nothing", async (t) => {
    const dir = tmpDir("cordon-servefair-");
    writeFileSync(join(dir, "cordon.yaml"), "max_queue: 400\n");
    const a = await serve(["--config", join(dir, "cordon.yaml"), "--db", join(dir, "s.db"), "--netflow", "0"]);
    t.after(() => {
      if (a.child.exitCode === null) a.child.kill("SIGKILL");
    });
    const flooder = createSocket("udp4");
    const quiet = createSocket("udp4");
    await Promise.all([flooder, quiet].map((s, i) => new Promise<void>((r) => s.bind(0, `127.0.0.${i + 2}`, () => r()))));
    t.after(() => {
      flooder.close();
      quiet.close();
    });
    // The flood: IPFIX messages of 30 new flows each, 100 every 10 ms (300,000 records/s, more than the worker stores), for 2 s.
    const flood: Buffer[] = [];
    for (let m = 0; m < 20_000; m++) {
      const recs = Array.from({ length: 30 }, (_, k) => {
        const id = m * 30 + k;
        return ipv4Record(`10.${10 + (id >> 16)}.${(id >> 8) & 0xff}.${id & 0xff}`, "10.9.0.1", 40000 + (id % 20000), 443, 6, 3, 180, T0 * 1000 + id, T0 * 1000 + id + 10);
      });
      flood.push(ipfixMessage(T0, m * 30, 7, [templateSet(true, 300, IPV4_FLOW_FIELDS), dataSet(300, recs)]));
    }
    const calm = exportFlows(0, 800);
    let f = 0;
    let q = 0;
    await new Promise<void>((done) => {
      const timer = setInterval(() => {
        for (let k = 0; k < 100 && f < flood.length; k++) flooder.send(flood[f++], a.netflowPort!, "127.0.0.1");
        if (f % 500 === 0 && q < calm.length) quiet.send(calm[q++], a.netflowPort!, "127.0.0.1");
        if (f >= flood.length && q >= calm.length) {
          clearInterval(timer);
          done();
        }
      }, 10);
    });
    const line = async (re: RegExp): Promise<number> => {
      const m = re.exec(await (await fetch(`http://127.0.0.1:${a.httpPort}/metrics`)).text());
      return m ? Number(m[1]) : 0;
    };
    await waitFor(async () => (await line(/cordon_netflow_records_total\{[^}]*exporter="127\.0\.0\.3"[^}]*\} (\d+)/)) === 800, "every record of the quiet exporter");
    const flooderDrops = await line(/cordon_netflow_queue_drops_total\{[^}]*exporter="127\.0\.0\.2"\} (\d+)/);
    assert.ok(flooderDrops > 0, "the flood was more than the queue takes");
    assert.equal(await line(/cordon_netflow_queue_drops_total\{[^}]*exporter="127\.0\.0\.3"\} (\d+)/), 0);
    assert.equal(await line(/cordon_netflow_lost_total\{[^}]*exporter="127\.0\.0\.3"[^}]*\} (\d+)/), 0);
    a.child.kill("SIGTERM");
    assert.equal(await a.exit, 0);
  });

  it("IPFIX over TCP: a full queue slows the exporter instead of losing messages, and the session's end forgets its templates", async (t) => {
    const dir = tmpDir("cordon-servetcp-");
    writeFileSync(join(dir, "cordon.yaml"), "max_queue: 100\nnetflow:\n  - { port: 0, host: 127.0.0.1, transport: tcp }\n");
    const a = await serve(["--config", join(dir, "cordon.yaml"), "--db", join(dir, "s.db")]);
    t.after(() => {
      if (a.child.exitCode === null) a.child.kill("SIGKILL");
    });
    const messages = exportFlows(0, 40_000);
    const conn = createConnection({ host: "127.0.0.1", port: a.netflowPort! });
    await new Promise<void>((r) => conn.once("connect", () => r()));
    // Cut at odd places: the collector must find the messages again.
    const stream = Buffer.concat(messages);
    for (let i = 0; i < stream.length; i += 1000) if (!conn.write(stream.subarray(i, i + 1000))) await new Promise((r) => conn.once("drain", r));
    const text = async (): Promise<string> => (await fetch(`http://127.0.0.1:${a.httpPort}/metrics`)).text();
    await waitFor(async () => (await metric(a.httpPort, "cordon_source_records_total")) === 40_000, "every record sent over TCP");
    assert.match(await text(), /cordon_netflow_templates\{source="ipfix-tcp:0",exporter="127\.0\.0\.1",version="10",domain="1"\} 1/);
    await new Promise<void>((r) => conn.end(() => r()));
    await waitFor(async () => /cordon_netflow_templates\{[^}]*\} 0/.test(await text()), "the templates to end with the session");
    const after = await text();
    assert.doesNotMatch(after, /cordon_netflow_queue_drops_total\{/);
    assert.match(after, /cordon_source_drops_total\{source="ipfix-tcp:0",where="queue"\} 0/);
    assert.match(after, /cordon_netflow_lost_total\{[^}]*\} 0/);
    a.child.kill("SIGTERM");
    assert.equal(await a.exit, 0);
  });

  it("follows Zeek logs across a restart without reading a line twice", async () => {
    const dir = tmpDir("cordon-servez-");
    const logs = join(dir, "zeek");
    execFileSync("mkdir", ["-p", logs]);
    const header = ["#separator \\x09", "#set_separator\t,", "#empty_field\t(empty)", "#unset_field\t-", "#path\tconn",
      "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_pkts\torig_ip_bytes\tresp_pkts\tresp_ip_bytes",
      "#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tcount\tcount\tcount\tcount"].join("\n");
    const line = (i: number): string => [`${T0 + i}.5`, `C${i}`, "10.0.0.5", String(40000 + i), "10.0.0.9", "502", "tcp", "modbus", "0.2", "4", "240", "4", "220"].join("\t");
    writeFileSync(join(logs, "conn.log"), `${header}\n${line(1)}\n${line(2)}\n`);
    const db = join(dir, "z.db");
    const a = await serve(["--db", db, "--zeek", logs]);
    await waitFor(async () => (await metric(a.httpPort, "cordon_source_records_total")) === 2, "two conn lines");
    a.child.kill("SIGTERM");
    assert.equal(await a.exit, 0);
    appendFileSync(join(logs, "conn.log"), `${line(3)}\n`);
    const b = await serve(["--db", db, "--zeek", logs]);
    await waitFor(async () => (await metric(b.httpPort, "cordon_source_records_total")) === 1, "the new line");
    b.child.kill("SIGTERM");
    assert.equal(await b.exit, 0);
    const flows = JSON.parse(runCli(["flows", "--db", db, "--format", "json"]).stdout) as { src_port: number; app_protocol: string }[];
    assert.deepEqual(flows.map((f) => f.src_port).sort(), [40001, 40002, 40003]);
    assert.ok(flows.every((f) => f.app_protocol === "modbus"));
  });
});

const IS_ROOT = process.getuid?.() === 0;
const NO_NETNS = !IS_ROOT ? "live capture test needs root (network namespaces)"
  : !["ip", "tcpdump", "tcpreplay"].every(haveTool) ? "ip, tcpdump or tcpreplay missing (run .ci/run, which installs them)" : false;

describe("live capture in a network namespace", { skip: NO_CORPUS || NO_NETNS }, () => {
  for (const rel of ["chrissanders-packets/tcp_ports.pcapng", "ITI-ICS-Security-Tools/pcaps/s7/tia_s300_goOnline.pcapng", "chrissanders-packets/synscan.pcapng"]) {
    it(`sees what analyze sees in ${rel.split("/").pop()} replayed by tcpreplay --topspeed`, async () => {
      await withReplayPair(`cordon-t${process.pid}`, async () => {
        const ns = `cordon-t${process.pid}`;
        const dir = tmpDir("cordon-live-");
        const db = join(dir, "live.db");
        const s = await serve(["--db", db, "--capture", "cva"], ["ip", "netns", "exec", ns]);
        try {
          await waitFor(async () => s.logs.some((l) => l.msg === "live capture listening"), "tcpdump listening", 30);
          await new Promise((r) => setTimeout(r, 1000));
          execFileSync("ip", ["netns", "exec", ns, "tcpreplay", "--topspeed", "-q", "-i", "cvb", corpus(rel)], { stdio: "ignore" });
          await new Promise((r) => setTimeout(r, 1000));
        } finally {
          // A failure above must not leave serve (and its tcpdump) running past the test.
          s.child.kill("SIGTERM");
        }
        assert.equal(await s.exit, 0);
        const fileDb = join(dir, "file.db");
        assert.equal(runCli(["analyze", "--db", fileDb, "--format", "json", corpus(rel)]).status, 0);
        type Row = { src_ip: string; src_port: number; dst_ip: string; dst_port: number; proto: number; packets_src_to_dst: number; packets_dst_to_src: number };
        const flows = (d: string): string[] => (JSON.parse(runCli(["flows", "--db", d, "--format", "json"]).stdout) as Row[])
          .map((f) => `${f.proto} ${f.src_ip}:${f.src_port} > ${f.dst_ip}:${f.dst_port} ${f.packets_src_to_dst}/${f.packets_dst_to_src}`).sort();
        assert.deepEqual(flows(db), flows(fileDb));
        const macs = (d: string): string[] => (JSON.parse(runCli(["devices", "--db", d, "--format", "json"]).stdout) as { mac: string; ips: string[] }[])
          .map((x) => `${x.mac} ${x.ips.join(",")}`).sort();
        assert.deepEqual(macs(db), macs(fileDb));
      });
    });
  }
});

describe("source health", () => {
  it("tells a source that never sent, one receiving and one gone quiet apart, RADIUS too", () => {
    const src = (packets: number): SourceSnapshot => ({ kind: "netflow", site: "plant", packets, bytes: 0, records: packets, drops: 0, kernelDrops: 0, errors: { truncated: 2, version: 1 }, exporters: 1, domains: [] });
    const snap = (a: number, b: number): StatsSnapshot => ({ pipeline: {} as StatsSnapshot["pipeline"], sources: { "netflow:2055": src(a), "netflow:2056": src(b) } });
    const h = new SourceHealth(300);
    const t0 = Date.parse("2026-12-06T10:00:00Z");
    h.observe(snap(0, 10), 0, t0);
    h.observe(snap(0, 20), 5, t0 + 60_000);
    const at = (ms: number): Record<string, string> => Object.fromEntries(h.rows(snap(0, 20), { received: 5, drops: 0 }, ms).map((r) => [r.name, `${r.state} ${r.lastActivity ?? "-"}`]));
    assert.deepEqual(at(t0 + 120_000), { "netflow:2055": "never -", "netflow:2056": "receiving 2026-12-06T10:01:00.000Z", radius: "receiving 2026-12-06T10:01:00.000Z" });
    assert.deepEqual(at(t0 + 60_000 + 301_000), { "netflow:2055": "never -", "netflow:2056": "quiet 2026-12-06T10:01:00.000Z", radius: "quiet 2026-12-06T10:01:00.000Z" });
    h.observe(snap(0, 20), 5, t0 + 400_000);
    assert.equal(at(t0 + 400_000)["netflow:2056"], "quiet 2026-12-06T10:01:00.000Z", "counters that do not move are no activity");
    assert.equal(h.rows(snap(0, 20), undefined, t0)[1].errors, 3, "errors of every kind summed");
    assert.equal(h.rows(snap(0, 20), undefined, t0).length, 2, "no RADIUS row without a RADIUS server");
  });
});
