import assert from "node:assert/strict";
import { threeHosts } from "./netns.js";
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { MAX_AVPAIR_VALUE, compileDownloadableAcl, compileIosAcl, compilePerUserAcl } from "../src/policy/compile/cisco.js";
import { compileArubaRole } from "../src/policy/compile/aruba.js";
import { MAX_IPTABLES_RULES, compileIptables } from "../src/policy/compile/iptables.js";
import { MAX_ATTRIBUTE_VALUE, compileNasFilterRules } from "../src/policy/compile/nas-filter-rule.js";
import { portAclEntries } from "../src/policy/compile/port-acl.js";
import { compileNftables } from "../src/policy/compile/nftables.js";
import { PolicyError, type ResolvedPolicy, validatePolicy } from "../src/policy/model.js";
import { haveTool, tmpDir } from "./helpers.js";

const IS_ROOT = process.getuid?.() === 0;
const NO_NFT = !IS_ROOT ? "nft needs root" : haveTool("nft") ? false : "nft not installed (run .ci/run, which installs nftables)";
const NO_IPTABLES = !IS_ROOT ? "iptables needs root" : ["iptables-restore", "ip6tables-restore", "ip"].every(haveTool) ? false : "iptables or ip missing (run .ci/run)";

function policy(mode: ResolvedPolicy["mode"]): ResolvedPolicy {
  return {
    name: "plant \"A\"", version: 3, mode, managed: "managed",
    sets: [
      { name: "managed", v4: ["10.0.0.0/24", "10.0.0.5", "10.0.1.7"], v6: ["fd00::/64"], members: ["category camera", "category nvr"] },
      { name: "cameras", v4: ["10.0.0.5", "10.0.0.6"], v6: [], members: ["00:40:8c:11:22:33", "00:40:8c:11:22:34"] },
      { name: "nvr", v4: ["10.0.1.7"], v6: ["fd00::7"], members: ["18:80:25:00:00:01"] },
      { name: "dns:firmware.axis.com", v4: ["192.0.2.4"], v6: ["2001:db8::1"], members: ["firmware.axis.com → 192.0.2.4, 2001:db8::1"] },
      { name: "unused", v4: [], v6: [], members: [] },
    ],
    rules: [
      { id: "r1", comment: "cameras → NVR rtsp", from: "cameras", to: "nvr", proto: "tcp", ports: [[554, 554], [8000, 8010]] },
      { id: "r2", comment: "cameras → firmware \"server\"", from: "cameras", to: "dns:firmware.axis.com", proto: "tcp", ports: [[443, 443]] },
      { id: "r3", comment: "time", from: "managed", to: "any", proto: "udp", ports: [[123, 123]] },
      { id: "r4", comment: "ping the NVR", from: "any", to: "nvr", proto: "icmp", ports: [] },
      { id: "r5", comment: "an empty group allows nothing", from: "unused", to: "nvr", proto: "any", ports: [] },
    ],
  };
}

describe("policy model", () => {
  it("names the place of every defect", () => {
    const bad: [(p: ResolvedPolicy) => void, RegExp][] = [
      [(p) => (p.rules[0].to = "nvrs"), /^rules\[0\]\.to: no set named "nvrs"/],
      [(p) => (p.rules[1].ports = [[0, 10]]), /^rules\[1\]\.ports\[0\]: 0-10 is not a port range/],
      [(p) => (p.rules[1].ports = [[90, 80]]), /^rules\[1\]\.ports\[0\]: 90-80/],
      [(p) => (p.rules[3].ports = [[1, 2]]), /^rules\[3\]\.ports: ports need tcp or udp, not icmp/],
      [(p) => (p.rules[2].id = "r1"), /^rules\[2\]\.id: "r1" is used twice/],
      [(p) => (p.sets[1].v4.push("10.0.0.256")), /^sets\[1\]\.v4\[2\]: "10\.0\.0\.256" is not an IPv4/],
      [(p) => (p.sets[2].v6.push("fd00::/129")), /^sets\[2\]\.v6\[1\]: "fd00::\/129" is not an IPv6/],
      [(p) => (p.sets[4].name = "nvr"), /^sets\[4\]\.name: "nvr" is defined twice/],
      [(p) => (p.managed = "all"), /^managed: no set named "all"/],
      [(p) => (p.rules[0].proto = "tcp\n}\nflush ruleset" as "tcp"), /^rules\[0\]\.proto: must be one of tcp, udp, icmp, any/],
    ];
    for (const [spoil, re] of bad) {
      const p = policy("enforce");
      spoil(p);
      assert.throws(() => validatePolicy(p), (e: Error) => e instanceof PolicyError && re.test(e.message), re.source);
      assert.throws(() => compileNftables(p), PolicyError, "nothing is compiled from a broken policy");
    }
  });
});

describe("nftables compiler", () => {
  it("writes one table with a set per group and family, rules only where both sides have addresses", () => {
    const text = compileNftables(policy("enforce"));
    assert.match(text, /^table inet cordon\ndelete table inet cordon\ntable inet cordon \{/m);
    assert.match(text, /set s_dns_firmware_axis_com_v4 \{[^}]*elements = \{ 192\.0\.2\.4 \}/);
    assert.match(text, /# cameras: 00:40:8c:11:22:33, 00:40:8c:11:22:34/);
    assert.match(text, /ip saddr @s_cameras_v4 ip daddr @s_nvr_v4 tcp dport \{ 554, 8000-8010 \} ct state new counter accept comment "r1: cameras -> NVR rtsp"/);
    assert.doesNotMatch(text, /ip6 saddr @s_cameras_v6/, "the cameras have no IPv6 addresses: no IPv6 rule");
    assert.doesNotMatch(text, /r5:/, "an empty set allows nothing");
    assert.match(text, /comment "r2: cameras -> firmware {2}server "/, "quotes never reach the ruleset");
    assert.match(text, /ip saddr @s_managed_v4 counter log prefix "cordon deny " drop/);
    assert.match(compileNftables(policy("monitor")), /ip saddr @s_managed_v4 counter log prefix "cordon would-deny " accept/);
  });

  it("keeps set names unique and within the kernel's limits", () => {
    const p = policy("enforce");
    const long = "a".repeat(60);
    p.sets.push({ name: `${long}1`, v4: ["10.9.0.1"], v6: [], members: [] }, { name: `${long}2`, v4: ["10.9.0.2"], v6: [], members: [] });
    const names = [...compileNftables(p).matchAll(/set (\S+) \{/g)].map((m) => m[1]);
    assert.equal(new Set(names).size, names.length);
    assert.ok(names.every((n) => /^[a-z0-9_]{1,31}$/.test(n)), names.join(" "));
  });

  it("is accepted by nft -c in both modes", { skip: NO_NFT }, () => {
    const dir = tmpDir("cordon-nft-");
    for (const mode of ["enforce", "monitor"] as const) {
      const file = join(dir, `${mode}.nft`);
      writeFileSync(file, compileNftables(policy(mode)));
      const r = spawnSync("nft", ["-c", "-f", file], { encoding: "utf8" });
      assert.equal(r.status, 0, r.stderr);
    }
  });
});

describe("iptables compiler", () => {
  it("writes the CORDON chains with address lists, multiport groups and the default deny", () => {
    const p = policy("enforce");
    p.rules[0].ports = Array.from({ length: 20 }, (_, i): [number, number] => [1000 + i, 1000 + i]);
    const v4 = compileIptables(p, 4);
    assert.match(v4, /^\*filter\n:CORDON - \[0:0\]\n:CORDON-DENY - \[0:0\]$/m);
    assert.match(v4, /-A CORDON -s 10\.0\.0\.5 -d 10\.0\.1\.7 -p tcp -m multiport --dports 1000,1001,[0-9,]*1014 -m conntrack --ctstate NEW -m comment --comment "r1: cameras -> NVR rtsp" -j ACCEPT/);
    assert.match(v4, /-A CORDON -s 10\.0\.0\.6 -d 10\.0\.1\.7 -p tcp -m multiport --dports 1015,1016,1017,1018,1019 /, "more than 15 ports split");
    assert.match(v4, /-A CORDON -s 10\.0\.0\.0\/24 -j CORDON-DENY/);
    assert.match(v4, /-A CORDON-DENY -j DROP\nCOMMIT/);
    assert.doesNotMatch(v4, /fd00|2001:db8/);
    const v6 = compileIptables(p, 6);
    assert.match(v6, /-A CORDON -d fd00::7 -p ipv6-icmp -m conntrack --ctstate NEW/);
    assert.doesNotMatch(v6, /10\.0\./);
    assert.match(compileIptables(policy("monitor"), 4), /-A CORDON-DENY -j ACCEPT/);
  });

  it("refuses a policy too large for iptables, naming the count", () => {
    const p = policy("enforce");
    p.sets[1].v4 = Array.from({ length: 200 }, (_, i) => `10.5.${i >> 8}.${(i & 0xff) + 1}`);
    p.sets[2].v4 = Array.from({ length: 60 }, (_, i) => `10.6.0.${i + 1}`);
    assert.throws(() => compileIptables(p, 4), new RegExp(`needs \\d+ iptables rules \\(more than ${MAX_IPTABLES_RULES}\\); compile it for nftables`));
  });

  it("is accepted by iptables-restore --test and ip6tables-restore --test", { skip: NO_IPTABLES }, () => {
    const ns = `cordon-ipt${process.pid}`;
    spawnSync("ip", ["netns", "del", ns], { stdio: "ignore" });
    execFileSync("ip", ["netns", "add", ns]);
    try {
      for (const mode of ["enforce", "monitor"] as const) {
        for (const family of [4, 6] as const) {
          const r = spawnSync("ip", ["netns", "exec", ns, family === 4 ? "iptables-restore" : "ip6tables-restore", "--test"], { input: compileIptables(policy(mode), family), encoding: "utf8" });
          assert.equal(r.status, 0, `${mode} IPv${family}: ${r.stderr}`);
        }
      }
    } finally {
      spawnSync("ip", ["netns", "del", ns], { stdio: "ignore" });
    }
  });
});

describe("switch-port ACLs (IOS, per-user, downloadable, NAS-Filter-Rule)", () => {
  it("allow what the device starts, and the replies to what peers may start with it", () => {
    const cams = portAclEntries(policy("enforce"), "cameras").map((e) => `${e.ruleId} ${e.proto} ${e.peer} ${e.dstPorts?.join("-") ?? ""}/${e.srcPorts?.join("-") ?? ""}${e.established ? " est" : ""}`);
    assert.deepEqual(cams, [
      "r1 tcp 10.0.1.7 554-554/", "r1 tcp 10.0.1.7 8000-8010/", "r2 tcp 192.0.2.4 443-443/",
      // The cameras lie inside the managed range, so r3 lets them ask for time anywhere, and
      // ("any" includes them) lets managed hosts ask them: the replies leave from port 123.
      "r3 udp any 123-123/", "r3 udp 10.0.0.0/24 /123-123", "r3 udp 10.0.1.7 /123-123",
      "r4 icmp 10.0.1.7 /",
    ]);
    const nvr = portAclEntries(policy("enforce"), "nvr").map((e) => `${e.ruleId} ${e.proto} ${e.peer} ${e.dstPorts?.join("-") ?? ""}/${e.srcPorts?.join("-") ?? ""}${e.established ? " est" : ""}`);
    assert.deepEqual(nvr, [
      "r1 tcp 10.0.0.5 /554-554 est", "r1 tcp 10.0.0.5 /8000-8010 est", "r1 tcp 10.0.0.6 /554-554 est", "r1 tcp 10.0.0.6 /8000-8010 est",
      "r3 udp any 123-123/", "r3 udp 10.0.0.0/24 /123-123", "r3 udp 10.0.0.5 /123-123", "r4 icmp any /",
    ]);
    assert.throws(() => portAclEntries(policy("enforce"), "printers"), /device: no set named "printers"/);
  });

  it("IOS extended ACL: the device's addresses as sources, wildcards, remarks and the final deny", () => {
    const p = policy("enforce");
    p.sets[2].v4.push("10.0.2.0/23");
    const acl = compileIosAcl(p, "cameras");
    assert.match(acl, /^ip access-list extended CORDON-cameras-3\n remark r1: cameras -> NVR rtsp\n permit tcp host 10\.0\.0\.5 host 10\.0\.1\.7 eq 554\n/);
    assert.match(acl, / permit tcp host 10\.0\.0\.6 host 10\.0\.1\.7 range 8000 8010\n/);
    assert.match(acl, / permit tcp host 10\.0\.0\.5 10\.0\.2\.0 0\.0\.1\.255 eq 554\n/);
    assert.match(acl, / deny ip any any log\n$/);
    assert.match(compileIosAcl(policy("monitor"), "nvr"), / permit tcp host 10\.0\.1\.7 eq 554 host 10\.0\.0\.5 established\n[\s\S]* permit ip any any log\n$/);
  });

  it("per-user ACL: ip:inacl#N values numbered 1..N, each within an AVPair, refused when too big for one packet", () => {
    const values = compilePerUserAcl(policy("enforce"), "cameras");
    assert.deepEqual(values.map((v) => Number(/^ip:inacl#(\d+)=/.exec(v)![1])), values.map((_, i) => i + 1));
    assert.equal(values[0], "ip:inacl#1=permit tcp any host 10.0.1.7 eq 554");
    assert.equal(values[values.length - 1], `ip:inacl#${values.length}=deny ip any any`);
    assert.ok(values.every((v) => Buffer.byteLength(v) <= MAX_AVPAIR_VALUE));
    const big = policy("enforce");
    big.sets[2].v4 = Array.from({ length: 200 }, (_, i) => `10.0.${1 + (i >> 8)}.${(i & 0xff) + 1}`);
    assert.throws(() => compilePerUserAcl(big, "cameras"), /needs \d+ bytes of attributes, more than one Access-Accept holds .*use a downloadable ACL/);
    const dacl = compileDownloadableAcl(big, "cameras");
    assert.match(dacl.name, /^#ACSACL#-IP-CORDON-cameras-[0-9a-f]{8}$/);
    assert.equal(dacl.accessAccept, `ACS:CiscoSecure-Defined-ACL=${dacl.name}`);
    // Named by content: the same entries in the next version keep the name, other entries get another.
    assert.equal(compileDownloadableAcl({ ...big, version: 4 }, "cameras").name, dacl.name);
    assert.notEqual(compileDownloadableAcl({ ...big, mode: "monitor" }, "cameras").name, dacl.name);
    assert.ok(dacl.packets.length > 1, "split across packets");
    const all = dacl.packets.flat();
    assert.deepEqual(all.map((v) => Number(/^ip:inacl#(\d+)=/.exec(v)![1])), all.map((_, i) => i + 1), "numbering runs on across packets");
    for (const packet of dacl.packets) assert.ok(packet.reduce((a, v) => a + Buffer.byteLength(v) + 8, 0) <= 4096 - 20 - 400);
  });

  it("RFC 4849 NAS-Filter-Rule: IPFilterRules ended by NUL, packed into attributes of at most 253 bytes", () => {
    const big = policy("monitor");
    big.sets[2].v4 = Array.from({ length: 20 }, (_, i) => `10.0.1.${i + 1}`);
    const { rules, attributes } = compileNasFilterRules(big, "cameras");
    assert.equal(rules[0], "permit in 6 from assigned to 10.0.1.1 554");
    assert.ok(rules.includes("permit in 6 from assigned to 10.0.1.1 8000-8010"));
    assert.equal(rules[rules.length - 1], "permit in ip from assigned to any");
    assert.ok(attributes.length > 1 && attributes.every((a) => a.length <= MAX_ATTRIBUTE_VALUE));
    assert.equal(Buffer.concat(attributes).toString("ascii"), rules.map((r) => `${r}\0`).join(""));
    const nvr = compileNasFilterRules(policy("enforce"), "nvr").rules;
    assert.ok(nvr.includes("permit in 6 from assigned 554 to 10.0.0.5 established"));
    assert.equal(nvr[nvr.length - 1], "deny in ip from assigned to any");
  });
});

describe("IPv6 port ACLs and Aruba roles", () => {
  it("IPv6 entries for a device's IPv6 addresses: ipv6 access-list, ipv6:inacl, #ACSACL#-IPV6 and v6 IPFilterRules", () => {
    const p = policy("enforce");
    const v6 = portAclEntries(p, "nvr", 6).map((e) => `${e.ruleId} ${e.proto} ${e.peer} ${e.dstPorts?.join("-") ?? ""}/${e.srcPorts?.join("-") ?? ""}`);
    // The NVR's fd00::7 lies in managed's fd00::/64, so r3 applies; the cameras have no IPv6 address to reply to.
    assert.deepEqual(v6, ["r3 udp any 123-123/", "r3 udp fd00::/64 /123-123", "r4 icmp any /"]);
    const acl = compileIosAcl(p, "nvr", 6);
    assert.match(acl, /^ipv6 access-list CORDON6-nvr-3\n/);
    assert.match(acl, / permit udp host fd00::7 any eq 123\n permit udp host fd00::7 eq 123 fd00::\/64\n/);
    assert.match(acl, / deny ipv6 any any log\n$/);
    const values = compilePerUserAcl(p, "nvr");
    const v4count = values.filter((v) => v.startsWith("ip:inacl#")).length;
    assert.deepEqual(values.filter((v) => v.startsWith("ipv6:inacl#")).map((v) => Number(/#(\d+)=/.exec(v)![1])), [1, 2, 3, 4], "each family numbers from 1");
    assert.ok(v4count > 0);
    assert.equal(values[values.length - 1], "ipv6:inacl#4=deny ipv6 any any");
    assert.match(compileDownloadableAcl(p, "nvr", 6).name, /^#ACSACL#-IPV6-CORDON-nvr-[0-9a-f]{8}$/);
    assert.ok(compileNasFilterRules(p, "nvr").rules.includes("permit in 17 from assigned 123 to fd00::/64"));
    assert.throws(() => portAclEntries(p, "cameras", 6), /set "cameras" has no IPv6 address/);
    assert.throws(() => compilePerUserAcl(p, "unused"), /set "unused" has no address/);
  });

  it("Aruba: netdestination aliases per peer, a session ACL the role uses, and the Aruba-User-Role to send", () => {
    const r = compileArubaRole(policy("enforce"), "cameras");
    assert.equal(r.role, "cordon-cameras");
    assert.equal(r.accessAccept, 'Aruba-User-Role = "cordon-cameras"');
    assert.match(r.config, /\nnetdestination cordon-nvr\n {2}! 18:80:25:00:00:01\n {2}host 10\.0\.1\.7\n!\n/);
    assert.match(r.config, /\nnetdestination cordon-managed\n {2}! category camera, category nvr\n {2}network 10\.0\.0\.0 255\.255\.255\.0\n {2}host 10\.0\.1\.7\n/);
    assert.match(r.config, /\nip access-list session cordon-cameras-v3\n {2}user alias cordon-nvr tcp 554 permit\n {2}user alias cordon-nvr tcp 8000 8010 permit\n {2}user alias cordon-dns-firmware\.axis\.com tcp 443 permit\n {2}user any udp 123 permit\n {2}alias cordon-managed user udp 123 permit\n/);
    assert.match(r.config, / {2}user any any deny log\n!\nuser-role cordon-cameras\n {2}access-list session cordon-cameras-v3\n!\n$/);
    const nvr = compileArubaRole(policy("monitor"), "nvr");
    assert.match(nvr.config, / {2}alias cordon-cameras user tcp 554 permit\n/);
    assert.match(nvr.config, / {2}any user svc-icmp permit\n/);
    assert.match(nvr.config, /\nnetdestination6 cordon6-managed\n {2}! category camera, category nvr\n {2}network fd00::\/64\n/);
    assert.match(nvr.config, / {2}ipv6 user any any permit log\n/);
    const long = policy("enforce");
    long.sets[1].name = "x".repeat(80);
    long.rules[0].from = long.sets[1].name;
    long.rules[1].from = long.sets[1].name;
    assert.ok(compileArubaRole(long, long.sets[1].name).role.length <= 63, "long names are shortened with a hash");
  });
});

/** Three namespaces: a camera, a router that loads the ruleset, and the NVR. */
describe("an nftables policy enforced by a real kernel", { skip: NO_NFT || (haveTool("ip") ? false : "ip missing") }, () => {
  it("lets the allowed stream through and drops the rest (enforce), and only counts it (monitor)", async () => {
    const { nvr, router, inNs, connects, teardown } = threeHosts(`c${process.pid % 100000}`);
    const dir = tmpDir("cordon-enforce-");
    const server = spawn("ip", ["netns", "exec", nvr, process.execPath, "-e",
      `const net=require("net");for(const p of [554,22]) net.createServer((c)=>c.end()).listen(p,"10.0.1.7");`], { stdio: "ignore" });
    try {
      await new Promise((r) => setTimeout(r, 400));
      assert.equal(connects(22), true, "no policy yet: everything passes");
      for (const mode of ["enforce", "monitor"] as const) {
        const file = join(dir, `${mode}.nft`);
        writeFileSync(file, compileNftables(policy(mode)));
        inNs(router, "nft", "-f", file);
        assert.equal(connects(554), true, `${mode}: rtsp is allowed`);
        assert.equal(connects(22), mode === "monitor", `${mode}: ssh is ${mode === "monitor" ? "let through" : "dropped"}`);
        const listing = execFileSync("ip", ["netns", "exec", router, "nft", "list", "chain", "inet", "cordon", "forward"]).toString();
        const denied = /ip saddr @s_managed_v4 counter packets (\d+)/.exec(listing);
        assert.ok(denied && Number(denied[1]) > 0, `${mode}: the default-deny rule counted the ssh attempt\n${listing}`);
      }
      inNs(router, "nft", "delete", "table", "inet", "cordon");
      if (!NO_IPTABLES) {
        assert.equal(connects(22), true, "policy removed");
        for (const mode of ["enforce", "monitor"] as const) {
          const file = join(dir, `${mode}.rules`);
          writeFileSync(file, compileIptables(policy(mode), 4));
          inNs(router, "iptables-restore", "--noflush", file);
          if (mode === "enforce") inNs(router, "iptables", "-I", "FORWARD", "-j", "CORDON");
          assert.equal(connects(554), true, `iptables ${mode}: rtsp is allowed`);
          assert.equal(connects(22), mode === "monitor", `iptables ${mode}: ssh is ${mode === "monitor" ? "let through" : "dropped"}`);
        }
      }
    } finally {
      server.kill();
      teardown();
    }
  });
});
