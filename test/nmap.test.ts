import assert from "node:assert/strict";
import { type ChildProcess, execFileSync, spawn, spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, it } from "node:test";
import { haveTool, runCli, tmpDir } from "./helpers.js";

/**
 * Discovery by real nmap, inside two network namespaces this test makes (a scanner and a
 * subnet of hosts joined by a veth pair), captured by tcpdump on the scanner's side and read
 * by `cordon analyze`: an ARP sweep (-sn on the scanner's own subnet), a ping sweep (-sn -PE
 * --send-ip) and an IP protocol scan (-sO) each raise a scan alert.
 */

const IS_ROOT = process.getuid?.() === 0;
const SKIP = !IS_ROOT ? "needs root (network namespaces of its own)" : !["nmap", "tcpdump", "ip"].every(haveTool) ? "nmap, tcpdump or ip missing (run .ci/run, which installs them)" : false;

describe("discovery scans by real nmap", { skip: SKIP }, () => {
  it("raises an ARP sweep, a ping sweep, an IP protocol scan and a version scan", async () => {
    const tag = `nm${process.pid % 10000}`;
    const [scanner, hosts] = [`${tag}s`, `${tag}h`];
    const sh = (...a: string[]): void => void execFileSync(a[0], a.slice(1), { stdio: "ignore" });
    const teardown = (): void => {
      for (const ns of [scanner, hosts]) spawnSync("ip", ["netns", "del", ns], { stdio: "ignore" });
    };
    teardown();
    let tcpdump: ChildProcess | undefined;
    let services: ChildProcess | undefined;
    try {
      for (const ns of [scanner, hosts]) {
        sh("ip", "netns", "add", ns);
        sh("ip", "-n", ns, "link", "set", "lo", "up");
      }
      sh("ip", "-n", scanner, "link", "add", "sv", "type", "veth", "peer", "name", "hv", "netns", hosts);
      sh("ip", "-n", scanner, "addr", "add", "10.77.0.1/24", "dev", "sv");
      for (let i = 2; i <= 24; i++) sh("ip", "-n", hosts, "addr", "add", `10.77.0.${i}/24`, "dev", "hv");
      for (const [ns, dev] of [[scanner, "sv"], [hosts, "hv"]]) {
        sh("ip", "netns", "exec", ns, "sysctl", "-qw", `net.ipv6.conf.${dev}.disable_ipv6=1`);
        sh("ip", "-n", ns, "link", "set", dev, "up");
      }
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
      teardown();
    }
  });
});
