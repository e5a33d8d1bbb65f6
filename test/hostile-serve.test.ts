import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { createSocket } from "node:dgram";
import { readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { describe, it } from "node:test";
import { DEFAULT_LAB, generateLab } from "../src/lab/generate.js";
import { MacLocations } from "../src/nac/mac-locations.js";
import { IPV4_FLOW_FIELDS, dataSet, ipfixMessage, ipv4Record, templateSet } from "../src/lab/netflow-export.js";
import { CLI, runCli, tmpDir } from "./helpers.js";
import { metric, serve, waitFor } from "./serve-process.js";
import { NO_RADCLIENT, radclient } from "./radius-peers.js";

/** serve as its supervisor sees it: it runs and does its job, or it ends with 1 and says why. */

function timedServe(args: string[]): { status: number | null; stderr: string; ms: number } {
  const t0 = Date.now();
  const r = spawnSync(process.execPath, [CLI, "serve", ...args], { encoding: "utf8", timeout: 15_000 });
  return { status: r.status, stderr: r.stderr, ms: Date.now() - t0 };
}

async function send(port: number, from: string, messages: Buffer[]): Promise<void> {
  const s = createSocket("udp4");
  await new Promise<void>((r) => s.bind(0, from, () => r()));
  for (const m of messages) await new Promise<void>((r, j) => s.send(m, port, "127.0.0.1", (e) => (e ? j(e) : r())));
  s.close();
}

describe("serve fails fast and loudly", () => {
  it("exits 1 within 5 s, with one line naming it, when the HTTP port is taken", async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, "127.0.0.1", () => r()));
    const port = (blocker.address() as { port: number }).port;
    try {
      const r = timedServe(["--db", join(tmpDir(), "c.db"), "--http-port", String(port)]);
      assert.equal(r.status, 1, r.stderr);
      assert.ok(r.ms < 5000, `${r.ms} ms`);
      assert.match(r.stderr, new RegExp(`^cordon: serve: cannot listen for HTTP on 127\\.0\\.0\\.1:${port}: .*EADDRINUSE`));
      assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
    } finally {
      blocker.close();
    }
  });

  it("exits 1 when a NetFlow port is taken", async () => {
    const blocker = createSocket("udp4");
    await new Promise<void>((r) => blocker.bind(0, "0.0.0.0", () => r()));
    const port = blocker.address().port;
    try {
      const r = timedServe(["--db", join(tmpDir(), "c.db"), "--http-port", "0", "--netflow", String(port)]);
      assert.equal(r.status, 1, r.stderr);
      assert.ok(r.ms < 5000, `${r.ms} ms`);
      assert.match(r.stderr, new RegExp(`cannot listen for NetFlow on 0\\.0\\.0\\.0:${port}/udp: .*EADDRINUSE`));
    } finally {
      blocker.close();
    }
  });

  it("exits 1 at start when the evidence folder cannot be written", () => {
    const dir = tmpDir();
    writeFileSync(join(dir, "s.yaml"), `db: ${join(dir, "c.db")}\nrespond:\n  evidence_dir: /proc/cordon-evidence\n`);
    const r = timedServe(["--config", join(dir, "s.yaml"), "--http-port", "0"]);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /respond\.evidence_dir \/proc\/cordon-evidence: not writable/);
  });

  it("exits 1 at start when group_vlans names a group no stored policy has", () => {
    const dir = tmpDir();
    writeFileSync(join(dir, "s.yaml"), `db: ${join(dir, "c.db")}\nnac:\n  auth_port: 0\n  acct_port: 0\n  vlans: { onboarding: 900, quarantine: 666 }\n  group_vlans: { camera: 20, door-locks: 30 }\n  nas: [{ address: 127.0.0.1, secret: s }]\n`);
    const r = timedServe(["--config", join(dir, "s.yaml"), "--http-port", "0"]);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /nac\.group_vlans: no stored policy has the group door-locks \(a category such as camera/);
    assert.doesNotMatch(r.stderr, /category:camera/, "the category is known without a policy");
  });

  it("a second SIGTERM while flushing waits for the flush: every device read is stored", async () => {
    const dir = tmpDir("cordon-sigterm-");
    const zeek = join(dir, "zeek");
    spawnSync("mkdir", ["-p", zeek]);
    const n = 20_000;
    const lines = Array.from({ length: n }, (_, i) => JSON.stringify({ ts: 1763805600 + i / 1000, "id.orig_h": `10.1.${Math.floor(i / 250)}.${(i % 250) + 1}`, "id.orig_p": 40000, "id.resp_h": "10.0.0.1", "id.resp_p": 443, proto: "tcp" }));
    writeFileSync(join(zeek, "conn.log"), `${lines.join("\n")}\n`);
    writeFileSync(join(dir, "s.yaml"), `db: ${join(dir, "c.db")}\npersist_interval_s: 3600\nzeek:\n  - { dir: ${zeek}, follow: false }\n`);
    const s = await serve(["--config", join(dir, "s.yaml")]);
    await waitFor(async () => (await metric(s.httpPort, "cordon_source_records_total")) === n, "every conn record read");
    s.child.kill("SIGTERM");
    await new Promise((r) => setTimeout(r, 50));
    s.child.kill("SIGTERM");
    assert.equal(await s.exit, 0);
    const devices = JSON.parse(runCli(["devices", "--db", join(dir, "c.db"), "--format", "json"]).stdout) as unknown[];
    assert.equal(devices.length, n + 1);
  });
});

describe("flow exporters are named, not trusted", () => {
  it("decodes exports from the allow-list only, and counts the rest by address", async () => {
    const dir = tmpDir("cordon-exporters-");
    writeFileSync(join(dir, "s.yaml"), `db: ${join(dir, "c.db")}\nnetflow:\n  - { host: 127.0.0.1, port: 0, exporters: [127.0.0.2, 127.0.1.0/24] }\n`);
    const s = await serve(["--config", join(dir, "s.yaml")]);
    try {
      const t0 = Math.floor(Date.now() / 1000) - 60;
      const message = (src: string, seq: number): Buffer => ipfixMessage(t0, seq, 1, [templateSet(true, 300, IPV4_FLOW_FIELDS),
        dataSet(300, Array.from({ length: 8 }, (_, i) => ipv4Record(src, "10.0.0.5", 40000 + i, 23, 6, 1, 44, t0 * 1000 + i, t0 * 1000 + i)))]);
      await send(s.netflowPort!, "127.0.0.1", [message("10.0.0.66", 0)]);
      await waitFor(async () => s.logs.some((l) => l.msg === "flow export from an address outside the exporters allow-list: dropped"), "the drop to be logged");
      const text = await (await fetch(`http://127.0.0.1:${s.httpPort}/metrics`)).text();
      assert.match(text, /cordon_netflow_foreign_exporter_drops_total\{source="netflow:0",exporter="127\.0\.0\.1"\} 1/);
      await waitFor(async () => !Number.isNaN(await metric(s.httpPort, "cordon_source_packets_total")), "the source's counters");
      assert.equal(await metric(s.httpPort, "cordon_source_packets_total"), 0, "nothing from 127.0.0.1 reached the collector");
      await send(s.netflowPort!, "127.0.0.2", [message("10.0.0.67", 0)]);
      await send(s.netflowPort!, "127.0.1.9", [message("10.0.0.68", 0)]);
      await waitFor(async () => (await metric(s.httpPort, "cordon_source_records_total")) === 16, "the allowed exporters' records");
    } finally {
      s.child.kill("SIGTERM");
      await s.exit;
    }
  });

  it("says when a Zeek log directory does not exist", async () => {
    const missing = join(tmpDir(), "no-such-zeek-dir");
    const s = await serve(["--db", join(tmpDir(), "c.db"), "--zeek", missing]);
    try {
      await waitFor(async () => s.logs.some((l) => l.level === 50 && l.msg === "zeek log directory does not exist: reading starts when it appears" && l.dir === missing), "the log line");
    } finally {
      s.child.kill("SIGTERM");
      await s.exit;
    }
  });

  it("warns at start when a flow source has no allow-list", async () => {
    const s = await serve(["--db", join(tmpDir(), "c.db"), "--netflow", "0"]);
    try {
      assert.ok(s.logs.some((l) => l.level === 40 && String(l.msg).startsWith("no exporters: allow-list")));
    } finally {
      s.child.kill("SIGTERM");
      await s.exit;
    }
  });
});

describe("a bad capture interface is reported in tcpdump's words", { skip: process.getuid?.() !== 0 ? "needs root" : false }, () => {
  it("names the interface problem, not an empty file", async () => {
    const child = spawn(process.execPath, [CLI, "serve", "--db", join(tmpDir(), "c.db"), "--http-port", "0", "--capture", "nosuchif0"], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    try {
      await waitFor(async () => out.includes("live capture ended"), "the capture to end");
      const line = JSON.parse(out.split("\n").find((l) => l.includes("live capture ended"))!) as { reason: string };
      assert.match(line.reason, /nosuchif0/);
      assert.doesNotMatch(line.reason, /empty/);
    } finally {
      child.kill("SIGTERM");
    }
  });
});

describe("RADIUS under a spoofed flood", { skip: NO_RADCLIENT }, () => {
  it("answers radclient's real requests while thousands of unauthenticated ones arrive from the switch's prefix", async () => {
    const dir = tmpDir("cordon-radius-flood-");
    const secret = "flood-test-secret-0123456789";
    writeFileSync(join(dir, "s.yaml"), [`db: ${join(dir, "c.db")}`, "nac:", "  host: 127.0.0.1", "  auth_port: 0", "  acct_port: 0", "  vlans: { onboarding: 900, quarantine: 666 }",
      `  nas: [ { name: access-1, address: 127.0.0.0/8, secret: ${secret}, rate_limit: 20 } ]`].join("\n"));
    const s = await serve(["--config", join(dir, "s.yaml")]);
    const auth = s.logs.find((l) => l.msg === "radius listener bound")!.auth as number;
    const flooder = createSocket("udp4");
    await new Promise<void>((r) => flooder.bind(0, "127.0.0.1", () => r()));
    let flooding = true;
    let sent = 0;
    // Access-Requests with a Message-Authenticator made with the wrong secret, as fast as the loop goes.
    const spoofed = (id: number): Buffer => {
      const attrs = Buffer.concat([Buffer.from([80, 18]), Buffer.alloc(16, 7), Buffer.from([1, 14]), Buffer.from("aabbcc0000ff")]);
      const head = Buffer.alloc(20);
      head[0] = 1;
      head[1] = id & 0xff;
      head.writeUInt16BE(20 + attrs.length, 2);
      return Buffer.concat([head, attrs]);
    };
    const flood = (async () => {
      while (flooding && sent < 200_000) {
        await Promise.all(Array.from({ length: 200 }, () => new Promise<void>((r) => flooder.send(spoofed(sent++), auth, "127.0.0.1", () => r()))));
        await new Promise((r) => setImmediate(r));
      }
    })();
    try {
      await new Promise((r) => setTimeout(r, 300));
      const attrs = ['User-Name = "aabbcc000042"', 'Calling-Station-Id = "AA-BB-CC-00-00-42"', "Service-Type = Call-Check", "Message-Authenticator = 0x00"];
      const answers = [];
      for (let i = 0; i < 3; i++) answers.push((await radclient(auth, "auth", secret, attrs, { retries: 1, timeoutS: 2 })).code);
      flooding = false;
      await flood;
      assert.deepEqual(answers, ["Access-Accept", "Access-Accept", "Access-Accept"], `during a flood of ${sent} spoofed requests`);
      assert.ok(sent > 1000, `${sent} spoofed requests sent`);
      const stats = (await (await fetch(`http://127.0.0.1:${s.httpPort}/metrics`)).text()).split("\n").filter((l) => l.includes("bad-message-authenticator"));
      assert.ok(stats.length > 0, "the spoofed requests are counted as such");
    } finally {
      flooding = false;
      flooder.close();
      s.child.kill("SIGTERM");
      await s.exit;
    }
  });
});

describe("an interrupted analyze keeps what it read", () => {
  it("SIGINT while reading standard input stores and prints what was read, says so, and exits 130", async () => {
    const dir = tmpDir("cordon-interrupt-");
    const lab = generateLab(dir, { ...DEFAULT_LAB, devices: 30, durationS: 900, seed: 2, scenarios: [] });
    const bytes = readFileSync(lab.pcap);
    const db = join(dir, "c.db");
    const child = spawn(process.execPath, [CLI, "analyze", "-", "--db", db, "--format", "json", "--no-detect"], { stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const exit = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
    // Half the capture, and the pipe left open: a live tcpdump that has not stopped.
    child.stdin.write(bytes.subarray(0, bytes.length >> 1));
    await new Promise((r) => setTimeout(r, 1500));
    child.kill("SIGINT");
    assert.equal(await exit, 130, stderr);
    assert.match(stderr, /interrupted after \d+ packets: what was read is stored/);
    const printed = JSON.parse(stdout) as { stats: { packets: number }; devices: unknown[] };
    assert.ok(printed.stats.packets > 0 && printed.devices.length > 0, `${printed.stats.packets} packets, ${printed.devices.length} devices printed`);
    const stored = JSON.parse(runCli(["devices", "--db", db, "--format", "json"]).stdout) as unknown[];
    assert.equal(stored.length, printed.devices.length, "the devices printed are stored");
    child.stdin.destroy();
  });
});

describe("durability: what a kill -9 loses", () => {
  it("no finished flow older than a second: NetFlow records stored before the kill are all there after a restart", async () => {
    const dir = tmpDir("cordon-kill9-");
    const db = join(dir, "c.db");
    writeFileSync(join(dir, "s.yaml"), `db: ${db}\npersist_interval_s: 3600\nnetflow:\n  - { host: 127.0.0.1, port: 0, exporters: [127.0.0.1] }\n`);
    const s = await serve(["--config", join(dir, "s.yaml")]);
    const t0 = Math.floor(Date.now() / 1000) - 60;
    const n = 600;
    const messages = Array.from({ length: n / 20 }, (_, m) => ipfixMessage(t0, m * 20, 1, [templateSet(true, 300, IPV4_FLOW_FIELDS),
      dataSet(300, Array.from({ length: 20 }, (_, i) => ipv4Record(`10.3.${m}.${i + 1}`, "10.3.255.1", 40000 + i, 443, 6, 3, 180, t0 * 1000 + i, t0 * 1000 + i + 5)))]));
    await send(s.netflowPort!, "127.0.0.1", messages);
    await waitFor(async () => (await metric(s.httpPort, "cordon_pipeline_flows_total")) === n, "every record through the pipeline");
    await new Promise((r) => setTimeout(r, 1500));
    s.child.kill("SIGKILL");
    await s.exit;
    const flows = JSON.parse(runCli(["flows", "--db", db, "--format", "json", "--limit", "100000"]).stdout) as unknown[];
    assert.equal(flows.length, n, "every flow finished more than a second before the kill is stored");
    const devices = JSON.parse(runCli(["devices", "--db", db, "--format", "json"]).stdout) as unknown[];
    assert.equal(devices.length, n + 1, "with the devices they name");
  });
});

describe("one MAC at two switch ports at once", () => {
  it("is noticed in the NAC's own records: two ports within two minutes, no stop between, but not a device that moved", () => {
    const m = new MacLocations(120_000);
    assert.equal(m.seen("s", "aa:bb:cc:00:00:01", "sw1 Gi1/0/7", 1_000), undefined);
    assert.equal(m.seen("s", "aa:bb:cc:00:00:01", "sw1 Gi1/0/7", 30_000), undefined, "re-authentication at the same port");
    const c = m.seen("s", "aa:bb:cc:00:00:01", "sw2 Gi1/0/9", 40_000);
    assert.deepEqual(c && [c.first, c.second, c.gapMs], ["sw1 Gi1/0/7", "sw2 Gi1/0/9", 10_000]);
    // A device that moved: its old session stopped first, or it was quiet longer than the window.
    m.seen("s", "aa:bb:cc:00:00:02", "sw1 Gi1/0/1", 0);
    m.stopped("s", "aa:bb:cc:00:00:02", "sw1 Gi1/0/1");
    assert.equal(m.seen("s", "aa:bb:cc:00:00:02", "sw1 Gi1/0/2", 5_000), undefined);
    m.seen("s", "aa:bb:cc:00:00:03", "sw1 Gi1/0/1", 0);
    assert.equal(m.seen("s", "aa:bb:cc:00:00:03", "sw1 Gi1/0/2", 200_000), undefined);
  });

  it("serve raises an identity-change alert when radclient authenticates one MAC at two ports", { skip: NO_RADCLIENT }, async () => {
    const dir = tmpDir("cordon-two-ports-");
    const secret = "two-ports-test-secret-0123";
    writeFileSync(join(dir, "s.yaml"), [`db: ${join(dir, "c.db")}`, "persist_interval_s: 1", "nac:", "  host: 127.0.0.1", "  auth_port: 0", "  acct_port: 0", "  vlans: { onboarding: 900, quarantine: 666 }",
      `  nas: [ { name: access-1, address: 127.0.0.1, secret: ${secret} } ]`].join("\n"));
    const s = await serve(["--config", join(dir, "s.yaml")]);
    try {
      const auth = s.logs.find((l) => l.msg === "radius listener bound")!.auth as number;
      const mab = (port: string): string[] => ['User-Name = "aabbcc000077"', 'Calling-Station-Id = "AA-BB-CC-00-00-77"', "Service-Type = Call-Check", `NAS-Port-Id = "${port}"`, "Message-Authenticator = 0x00"];
      assert.equal((await radclient(auth, "auth", secret, mab("GigabitEthernet1/0/7"))).code, "Access-Accept");
      assert.equal((await radclient(auth, "auth", secret, mab("GigabitEthernet1/0/31"))).code, "Access-Accept");
      let alerts: { class: string; title: string; source: string }[] = [];
      await waitFor(async () => {
        alerts = JSON.parse(runCli(["alerts", "--db", join(dir, "c.db"), "--format", "json"]).stdout) as typeof alerts;
        return alerts.some((a) => a.class === "identity-change");
      }, "the identity-change alert");
      const a = alerts.find((x) => x.class === "identity-change")!;
      assert.equal(a.source, "aa:bb:cc:00:00:77");
      assert.match(a.title, /access-1 GigabitEthernet1\/0\/7 and at access-1 GigabitEthernet1\/0\/31 .* one MAC at two switch ports at once/);
    } finally {
      s.child.kill("SIGTERM");
      await s.exit;
    }
  });
});
