import assert from "node:assert/strict";
import { type ChildProcess, execFileSync, spawn, spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, it } from "node:test";
import { haveTool, runCli, tmpDir } from "./helpers.js";

/**
 * Discovery by real nmap, inside two network namespaces this test makes (a scanner and a
 * subnet of hosts joined by a veth pair), captured by tcpdump on the scanner's side and read
 * by `cordon analyze`: an ARP sweep (-sn on the scanner's own subnet), a ping sweep (-sn -PE
 * --send-ip) and an IP protocol scan (-sO) each raise a scan alert. And nmap's
 * broadcast-hid-discoveryd script, asking a door controller in a namespace of its own, reads the
 * same model and version from its answer as Cordon does from the capture.
 */

const IS_ROOT = process.getuid?.() === 0;
const SKIP = !IS_ROOT ? "needs root (network namespaces of its own)" : !["nmap", "tcpdump", "ip"].every(haveTool) ? "nmap, tcpdump or ip missing (run .ci/run, which installs them)" : false;

const sh = (...a: string[]): void => void execFileSync(a[0], a.slice(1), { stdio: "ignore" });

function deleteNamespaces(names: readonly string[]): void {
  for (const ns of names) spawnSync("ip", ["netns", "del", ns], { stdio: "ignore" });
}

/**
 * Two namespaces of this test joined by a veth pair (`devs[0]` in the first, `devs[1]` in the
 * second), IPv6 off so the kernel sends nothing of its own: the first holds `addrs[0]`, the
 * second every address of `addrs[1]`. Namespaces of those names left by an earlier run go first.
 */
function joinNamespaces(names: readonly [string, string], devs: readonly [string, string], addrs: readonly [string, readonly string[]]): void {
  deleteNamespaces(names);
  for (const ns of names) {
    sh("ip", "netns", "add", ns);
    sh("ip", "-n", ns, "link", "set", "lo", "up");
  }
  sh("ip", "-n", names[0], "link", "add", devs[0], "type", "veth", "peer", "name", devs[1], "netns", names[1]);
  sh("ip", "-n", names[0], "addr", "add", addrs[0], "dev", devs[0]);
  for (const a of addrs[1]) sh("ip", "-n", names[1], "addr", "add", a, "dev", devs[1]);
  for (const [i, ns] of names.entries()) {
    sh("ip", "netns", "exec", ns, "sysctl", "-qw", `net.ipv6.conf.${devs[i]}.disable_ipv6=1`);
    sh("ip", "-n", ns, "link", "set", devs[i], "up");
  }
}

describe("discovery scans by real nmap", { skip: SKIP }, () => {
  it("raises an ARP sweep, a ping sweep, an IP protocol scan and a version scan", async () => {
    const tag = `nm${process.pid % 10000}`;
    const [scanner, hosts] = [`${tag}s`, `${tag}h`] as const;
    let tcpdump: ChildProcess | undefined;
    let services: ChildProcess | undefined;
    try {
      joinNamespaces([scanner, hosts], ["sv", "hv"], ["10.77.0.1/24", Array.from({ length: 23 }, (_, i) => `10.77.0.${i + 2}/24`)]);
      // Services for the version scan: an HTTP server, and one that takes data and never answers.
      services = spawn("ip", ["netns", "exec", hosts, process.execPath, "-e",
        'require("net").createServer((s)=>{s.on("error",()=>{});s.on("data",()=>{})}).listen(9999);require("http").createServer((q,r)=>r.end("ok")).listen(8080);setTimeout(()=>process.exit(0),120000)'], { stdio: "ignore" });
      const dir = tmpDir("cordon-nmap-");
      const pcap = join(dir, "nmap.pcap");
      tcpdump = spawn("ip", ["netns", "exec", scanner, "tcpdump", "-i", "sv", "-U", "-w", pcap], { stdio: ["ignore", "ignore", "pipe"] });
      await new Promise<void>((resolve) => tcpdump!.stderr!.on("data", (d: Buffer) => d.toString().includes("listening on") && resolve()));
      const nmap = (...a: string[]): void => sh("ip", "netns", "exec", scanner, "nmap", "-n", "-T5", "--max-retries", "0", ...a);
      nmap("-sn", "10.77.0.0/24");
      nmap("-sn", "-PE", "--send-ip", "10.77.0.0/24");
      nmap("-sO", "-Pn", "-p", "0-60", "10.77.0.2");
      nmap("-sV", "-Pn", "--version-intensity", "2", "-p", "8080,9999", "10.77.0.2");
      await new Promise((r) => setTimeout(r, 500));
      tcpdump.kill("SIGINT");
      await new Promise((r) => tcpdump!.once("exit", r));
      const db = join(dir, "c.db");
      const r = runCli(["analyze", "--db", db, pcap]);
      assert.equal(r.status, 0, r.stderr);
      const alerts = JSON.parse(runCli(["alerts", "--db", db, "--format", "json", "--all"]).stdout) as { class: string; title: string }[];
      const titles = alerts.map((a) => a.title);
      assert.ok(titles.some((t) => /^ARP sweep: .* asked for \d+ addresses/.test(t)), titles.join("\n"));
      assert.ok(titles.some((t) => /^Ping sweep: 10\.77\.0\.1 sent ICMP to \d+ hosts/.test(t)), titles.join("\n"));
      assert.ok(titles.some((t) => /^IP protocol scan: 10\.77\.0\.1 sent \d+ IP protocols to 10\.77\.0\.2/.test(t)), titles.join("\n"));
      assert.ok(titles.some((t) => /^Version scan: 10\.77\.0\.1 sent \d+ different requests to tcp\/\d+(, tcp\/\d+)* of 10\.77\.0\.2/.test(t)), titles.join("\n"));
      assert.ok(alerts.filter((a) => /sweep|IP protocol scan|Version scan/.test(a.title)).every((a) => a.class === "scan"));
    } finally {
      tcpdump?.kill("SIGKILL");
      services?.kill("SIGKILL");
      deleteNamespaces([scanner, hosts]);
    }
  });

  it("nmap's broadcast-hid-discoveryd and Cordon read the same model and version from a door controller's answer", async () => {
    const tag = `nh${process.pid % 10000}`;
    const [tool, door] = [`${tag}t`, `${tag}d`] as const;
    let tcpdump: ChildProcess | undefined;
    let controller: ChildProcess | undefined;
    try {
      joinNamespaces([tool, door], ["tv", "dv"], ["10.78.0.1/24", ["10.78.0.2/24"]]);
      // A door controller's discoveryd: the ten-field answer, its second field the answer's length.
      controller = spawn("ip", ["netns", "exec", door, process.execPath, "-e", `
        const rest = ";02:00:00:78:00:02;NoEntry;10.78.0.2;1;EH400;2.3.1.603;04/23/2012;";
        const answer = "discovered;" + String(14 + rest.length).padStart(3, "0") + rest;
        const s = require("dgram").createSocket("udp4");
        s.on("message", (m, r) => { if (m.toString().startsWith("discover;")) s.send(answer, r.port, r.address); });
        s.bind(4070, () => process.stdout.write("ready\\n"));
        setTimeout(() => process.exit(0), 60000);`], { stdio: ["ignore", "pipe", "ignore"] });
      await new Promise<void>((resolve) => controller!.stdout!.on("data", (d: Buffer) => d.toString().includes("ready") && resolve()));
      const dir = tmpDir("cordon-nmap-hid-");
      const pcap = join(dir, "hid.pcap");
      tcpdump = spawn("ip", ["netns", "exec", tool, "tcpdump", "-i", "tv", "-U", "-w", pcap], { stdio: ["ignore", "ignore", "pipe"] });
      await new Promise<void>((resolve) => tcpdump!.stderr!.on("data", (d: Buffer) => d.toString().includes("listening on") && resolve()));
      const out = execFileSync("ip", ["netns", "exec", tool, "nmap", "-n", "-e", "tv", "--script", "broadcast-hid-discoveryd",
        "--script-args", "broadcast-hid-discoveryd.address=10.78.0.255,broadcast-hid-discoveryd.timeout=2s"], { encoding: "utf8" });
      const seen = /Model: (\S+); Version: (\S+)/.exec(out);
      assert.ok(seen, `nmap found the controller: ${out}`);
      await new Promise((r) => setTimeout(r, 500));
      tcpdump.kill("SIGINT");
      await new Promise((r) => tcpdump!.once("exit", r));
      const db = join(dir, "c.db");
      assert.equal(runCli(["analyze", "--db", db, pcap]).status, 0);
      const [d] = JSON.parse(runCli(["device", "--db", db, "--format", "json", "10.78.0.2"]).stdout) as { category: string; vendor: string; model: string; firmware: string }[];
      assert.deepEqual([d.category, d.vendor, d.model, d.firmware], ["access-control", "HID Global", seen[1], seen[2]]);
    } finally {
      tcpdump?.kill("SIGKILL");
      controller?.kill("SIGKILL");
      deleteNamespaces([tool, door]);
    }
  });
});

