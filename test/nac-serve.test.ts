import { userInfo } from "node:os";
import assert from "node:assert/strict";
import { type ChildProcess, execFile, execFileSync, spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { CLI, NO_TSHARK, haveTool, tmpDir } from "./helpers.js";
import { NO_RADCLIENT } from "./radius-peers.js";
import { serve, waitFor } from "./serve-process.js";

const IS_ROOT = process.getuid?.() === 0;
const NO_NETNS = !IS_ROOT ? "needs root (a network namespace of its own)"
  : !["ip", "tcpdump", "tcpreplay"].every(haveTool) ? "ip, tcpdump or tcpreplay missing (run .ci/run, which installs them)" : false;
const SECRET = "lab-secret-1";

/** radclient inside the namespace; the reply's attributes by name. */
function radclientIn(ns: string, port: number, mac: string, secret = SECRET): Promise<{ code?: string; attrs: Record<string, string[]> }> {
  const lines = [`User-Name = "${mac.replace(/:/g, "")}"`, `Calling-Station-Id = "${mac.replace(/:/g, "-").toUpperCase()}"`, "Service-Type = Call-Check",
    'NAS-Port-Id = "GigabitEthernet1/0/7"', 'Cisco-AVPair = "audit-session-id=0A0000010000004400C0FFEE"', "Message-Authenticator = 0x00"];
  return new Promise((resolve) => {
    const child = execFile("ip", ["netns", "exec", ns, "radclient", "-x", "-r", "2", "-t", "2", `127.0.0.1:${port}`, "auth", secret], (_e, stdout) => {
      const out: { code?: string; attrs: Record<string, string[]> } = { attrs: {} };
      for (const line of stdout.split("\n")) {
        const m = /^Received (\S+) Id/.exec(line);
        if (m) out.code = m[1];
        const a = /^\s+([\w-]+)(?::\d+)? = "?(.*?)"?$/.exec(line);
        if (out.code && a) (out.attrs[a[1]] ??= []).push(a[2]);
      }
      resolve(out);
    });
    child.stdin!.end(`${lines.join("\n")}\n`);
  });
}

function cli(ns: string, args: string[], env: Record<string, string> = {}): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync("ip", ["netns", "exec", ns, process.execPath, CLI, ...args], { encoding: "utf8", env: { ...process.env, ...env } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("contain: scan alert → quarantine → CoA → quarantine VLAN → evidence", { skip: NO_NETNS || NO_RADCLIENT || NO_TSHARK }, () => {
  it("does it end to end on a lab capture replayed into a namespace", async () => {
    const dir = tmpDir("cordon-contain-");
    execFileSync(process.execPath, [CLI, "lab", "--out", dir, "--devices", "40", "--duration", "240", "--scenarios", "port-scan"], { stdio: "ignore" });
    const labels = JSON.parse(readFileSync(join(dir, "labels.json"), "utf8")) as { scenarios: { source: string }[] };
    const scannerIp = labels.scenarios[0].source;
    const scanner = execFileSync("tshark", ["-r", join(dir, "lab.pcapng"), "-Y", `ip.src==${scannerIp}`, "-T", "fields", "-e", "eth.src"], { encoding: "utf8" }).split("\n")[0].trim();
    assert.match(scanner, /^[0-9a-f:]{17}$/);

    const ns = `cn${process.pid % 100000}`;
    spawnSync("ip", ["netns", "del", ns], { stdio: "ignore" });
    execFileSync("ip", ["netns", "add", ns]);
    let standIn: ChildProcess | undefined;
    let s: Awaited<ReturnType<typeof serve>> | undefined;
    try {
      const inNs = (...a: string[]): void => {
        execFileSync("ip", ["netns", "exec", ns, ...a], { stdio: "ignore" });
      };
      inNs("ip", "link", "set", "lo", "up");
      inNs("ip", "link", "add", "cva", "type", "veth", "peer", "name", "cvb");
      for (const k of ["all", "default", "cva", "cvb"]) inNs("sysctl", "-qw", `net.ipv6.conf.${k}.disable_ipv6=1`);
      inNs("ip", "link", "set", "cva", "up");
      inNs("ip", "link", "set", "cvb", "up");

      // The NAS stand-in (CoA receiver) on the namespace's loopback.
      standIn = spawn("ip", ["netns", "exec", ns, process.execPath, join(CLI, "..", "..", "..", "test", "radius-peers.js"), "--nas-stand-in", SECRET], { stdio: ["ignore", "pipe", "inherit"] });
      const seen: { code: string; authenticatorOk: boolean; messageAuthenticatorOk?: boolean; avpairs: string[] }[] = [];
      let coaPort = 0;
      let buffered = "";
      standIn.stdout!.on("data", (d: Buffer) => {
        buffered += d.toString();
        const lines = buffered.split("\n");
        buffered = lines.pop()!;
        for (const l of lines) {
          const j = JSON.parse(l) as { port?: number; code: string; authenticatorOk: boolean; avpairs: string[] };
          if (j.port) coaPort = j.port;
          else seen.push(j);
        }
      });
      await waitFor(async () => coaPort > 0, "the NAS stand-in");

      const evidence = join(dir, "evidence");
      const config = join(dir, "serve.yaml");
      writeFileSync(config, [
        `db: ${join(dir, "c.db")}`, "persist_interval_s: 1", "flow_idle_timeout_s: 5", "capture:", "  - { interface: cva }",
        "nac:", "  host: 127.0.0.1", "  auth_port: 0", "  acct_port: 0", "  vlans: { onboarding: 900, quarantine: 666 }", "  quarantine_allow: [10.20.0.250]",
        "  coa: { timeout_ms: 500, retries: 2 }",
        `  nas: [ { name: access-1, address: 127.0.0.1, secret: ${SECRET}, vendor: cisco, coa_port: ${coaPort} } ]`,
        "respond:", "  min_severity: medium", "  classes: [scan]", "  quarantine: coa", `  evidence_dir: ${evidence}`, "  capture_seconds: 600",
      ].join("\n"));
      s = await serve(["--config", config], ["ip", "netns", "exec", ns]);
      const bound = s.logs.find((l) => l.msg === "radius listener bound")!;
      const auth = bound.auth as number;
      const api = `http://127.0.0.1:${s.httpPort}`;
      await waitFor(async () => s!.logs.some((l) => l.msg === "live capture listening"), "tcpdump listening", 30);

      // Before anything happened: an unknown MAC, the onboarding VLAN. This also gives the session CoA needs.
      const first = await radclientIn(ns, auth, scanner);
      assert.equal(first.code, "Access-Accept");
      assert.deepEqual(first.attrs["Tunnel-Private-Group-Id"], ["900"]);

      execFileSync("ip", ["netns", "exec", ns, "tcpreplay", "--topspeed", "-q", "-i", "cvb", join(dir, "lab.pcapng")], { stdio: "ignore" });

      // The scan is detected when its probes' flows end (5 s idle) and raised at a persist; the
      // playbook answers it: CoA to the stand-in (8 s here, more on a loaded machine).
      await waitFor(async () => seen.some((r) => r.code === "CoA-Request"), "the CoA-Request at the NAS", 20);
      const coa = seen.find((r) => r.code === "CoA-Request")!;
      assert.equal(coa.authenticatorOk, true);
      assert.equal(coa.messageAuthenticatorOk, true);
      assert.ok(coa.avpairs.includes("subscriber:command=reauthenticate"), JSON.stringify(coa));
      assert.ok(coa.avpairs.includes("audit-session-id=0A0000010000004400C0FFEE"), "the session as the NAS named it");

      // The next MAB for that MAC: the quarantine VLAN and ACL.
      const again = await radclientIn(ns, auth, scanner);
      assert.equal(again.code, "Access-Accept");
      assert.deepEqual(again.attrs["Tunnel-Private-Group-Id"], ["666"]);
      assert.deepEqual(again.attrs["Cisco-AVPair"], ["ip:inacl#1=permit ip any host 10.20.0.250", "ip:inacl#2=permit udp any any eq 67", "ip:inacl#3=deny ip any any"]);

      // The response record, through the CLI and the serve's API.
      let list: { id: string; mac: string; status: string; evidence?: string; steps: { action: string; outcome: string }[] }[] = [];
      await waitFor(async () => {
        list = JSON.parse(cli(ns, ["respond", "list", "--format", "json", "--server", api, "--db", join(dir, "c.db")]).stdout) as typeof list;
        return list.some((r) => r.mac === scanner && r.status === "done" && r.steps.some((x) => x.action === "notify"));
      }, "the response to be done");
      const r = list.find((x) => x.mac === scanner)!;
      assert.deepEqual(r.steps.map((x) => `${x.action}:${x.outcome}`), ["capture:ok", "quarantine:ok", "notify:ok"]);

      // The evidence: a pcapng tshark reads, every frame the scanner's.
      assert.ok(r.evidence && existsSync(r.evidence));
      assert.equal(statSync(r.evidence).mode & 0o777, 0o600, "the evidence pcap is its owner's only");
      const frames = execFileSync("tshark", ["-r", r.evidence, "-T", "fields", "-e", "eth.src", "-e", "eth.dst"], { encoding: "utf8" }).trim().split("\n");
      assert.ok(frames.length >= 1000, `${frames.length} frames: the scan's probes at least`);
      assert.ok(frames.every((f) => f.split("\t").includes(scanner)), "only the scanner's frames");

      // Every decision is logged with its reason, per device.
      const log = JSON.parse(cli(ns, ["nac", "log", "--device", scanner, "--format", "json", "--db", join(dir, "c.db")]).stdout) as { state: string; vlan: string; reason: string }[];
      assert.deepEqual(log.map((d) => d.state), ["quarantined", "unknown"]);
      assert.match(log[0].reason, /quarantined since .* by playbook: alert \S+ \(scan\): SYN scan/);

      // Release is explicit and logged; the device is authorised as before.
      const rel = cli(ns, ["release", scanner, "--reason", "reimaged", "--server", api, "--db", join(dir, "c.db")]);
      assert.equal(rel.status, 0, rel.stderr);
      assert.match(rel.stdout, /released/);
      await waitFor(async () => seen.filter((x) => x.code === "CoA-Request").length === 2, "a second CoA, for the release");
      const after = await radclientIn(ns, auth, scanner);
      assert.notDeepEqual(after.attrs["Tunnel-Private-Group-Id"], ["666"]);
      const quarantines = JSON.parse(cli(ns, ["nac", "quarantines", "--format", "json", "--db", join(dir, "c.db")]).stdout) as { released_by?: string; release_note?: string }[];
      assert.equal(quarantines[0].released_by, userInfo().username);
      assert.equal(quarantines[0].release_note, "reimaged");

      // A person's quarantine: in effect now (the CoA went through), exit 0, its reason on the list.
      const q = cli(ns, ["quarantine", scanner, "--reason", "still beaconing", "--server", api, "--db", join(dir, "c.db")]);
      assert.equal(q.status, 0, q.stdout + q.stderr);
      assert.match(q.stdout, /: done/);
      const listed = JSON.parse(cli(ns, ["nac", "quarantines", "--format", "json", "--db", join(dir, "c.db")]).stdout) as { reason: string; released_at?: string }[];
      assert.equal(listed.find((x) => !x.released_at)?.reason, "still beaconing");
      // A request with the wrong secret is dropped unanswered, and said at warn.
      assert.equal((await radclientIn(ns, auth, scanner, "not-the-secret")).code, undefined);

      // The log tells what happened, a line each: decisions as they changed, the alert, the
      // response's steps, the person's actions (who, what, why), the dropped request.
      await waitFor(async () => s!.logs.some((l) => l.msg === "RADIUS request dropped"), "the dropped request's line");
      const lines = (msg: string, f: (l: Record<string, unknown>) => boolean = () => true): Record<string, unknown>[] => s!.logs.filter((l) => l.msg === msg && f(l));
      const changes = lines("RADIUS decision changed", (l) => l.mac === scanner).map((l) => `${l.state} ${l.vlan}`);
      assert.deepEqual(changes.slice(0, 2), ["unknown 900", "quarantined 666"]);
      assert.ok(changes.length === 3 && !changes[2].startsWith("quarantined"), `released: ${changes.join(", ")}`);
      assert.ok(lines("new alert", (l) => l.class === "scan" && l.source === scannerIp).length >= 1, "the scan alert's line");
      assert.ok(lines("response step", (l) => l.mac === scanner && l.step === "quarantine" && l.outcome === "ok").length >= 2, "the playbook's and the person's quarantine steps");
      const manual = lines("action through the API", (l) => l.action === "quarantine");
      assert.equal(manual.length, 1);
      assert.deepEqual([manual[0].actor, manual[0].reason, manual[0].outcome, manual[0].level], [userInfo().username, "still beaconing", "ok", 30]);
      assert.equal(lines("action through the API", (l) => l.action === "release")[0]?.reason, "reimaged");
      const dropped = lines("RADIUS request dropped");
      assert.equal(dropped.length, 1);
      assert.equal(dropped[0].level, 40, "at warn");
      assert.match(String(dropped[0].reason), /message-authenticator|authenticator/);
    } finally {
      if (s) {
        s.child.kill("SIGTERM");
        await s.exit;
      }
      standIn?.kill();
      spawnSync("ip", ["netns", "del", ns], { stdio: "ignore" });
    }
  });
});

describe("commands that act through serve", () => {
  it("say clearly when no serve is running", () => {
    const r = spawnSync(process.execPath, [CLI, "quarantine", "aa:bb:cc:00:00:01", "--reason", "test", "--server", "http://127.0.0.1:9"], { encoding: "utf8" });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /no cordon serve is running at http:\/\/127\.0\.0\.1:9 .*start one with 'cordon serve'/);
    const bad = spawnSync(process.execPath, [CLI, "quarantine", "not-a-mac", "--reason", "x"], { encoding: "utf8" });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /"not-a-mac" is not a MAC address/);
  });
});
