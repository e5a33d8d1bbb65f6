import { before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { deviceIdentity } from "../src/vulns/device-identity.js";
import { NO_CORPUS, corpus, runCli, tmpDir } from "./helpers.js";

const fact = (kind: string, value: string, lastUs = 0) => ({ kind, value, lastUs });

describe("a device's identity from its facts", () => {
  it("reads a Siemens sysDescr: maker, product, order number and firmware", () => {
    const id = deviceIdentity([fact("snmp.sys_descr", "Siemens, SIMATIC NET, SCALANCE X204-2, 6GK5 204-2BB10-2AA3, HW: Version 1, FW: Version V5.2.5, SVPL7147823")]);
    assert.deepEqual([id.vendor, id.product, id.models, id.firmware], ["Siemens", "SCALANCE X204-2", ["6GK5 204-2BB10-2AA3"], "V5.2.5"]);
    assert.ok(id.claims.every((c) => c.from === "snmp.sys_descr"));
  });

  it("reads banners whose first word or product token is a maker it knows, and leaves server software alone", () => {
    const sip = deviceIdentity([fact("sip.user_agent", "Yealink SIP-T46U 108.86.0.20")]);
    assert.deepEqual([sip.vendor, sip.product, sip.firmware], ["Yealink", "SIP-T46U", "108.86.0.20"]);
    const ssdp = deviceIdentity([fact("ssdp.server", "Linux/3.14 UPnP/1.0 Hikvision-DS-2CD2142FWD/5.4.5")]);
    assert.deepEqual([ssdp.vendor, ssdp.product, ssdp.firmware], ["Hikvision", "DS-2CD2142FWD", "5.4.5"]);
    assert.deepEqual(deviceIdentity([fact("http.server", "lighttpd/1.4.35"), fact("ssdp.server", "Linux/4.9 UPnP/1.0 Portable SDK for UPnP devices/1.6.22")]).claims, []);
    const txt = deviceIdentity([fact("mdns.txt", "md=Chromecast Ultra"), fact("mdns.txt", "fv=1.56.500000"), fact("mdns.txt", "id=abc")]);
    assert.deepEqual([txt.product, txt.firmware], ["Chromecast Ultra", "1.56.500000"]);
    const cert = deviceIdentity([fact("tls.cert_subject", "O=MOBOTIX AG, CN=P3 D24M")]);
    assert.deepEqual([cert.vendor, cert.product], ["Mobotix", "P3 D24M"]);
    assert.equal(deviceIdentity([fact("tls.cert_subject", "O=Example Widgets, CN=box")]).vendor, undefined, "an organisation that is no maker it knows");
  });

  it("reads what a device serves about itself: HNAP device settings and a UPnP description, its maker only when known", () => {
    const cam = deviceIdentity([fact("hnap.vendor", "D-Link"), fact("hnap.model", "DCS-935L"), fact("hnap.firmware", "1.06"), fact("http.server", "lighttpd/1.4.34")]);
    assert.deepEqual([cam.vendor, cam.product, cam.firmware], ["D-Link", "DCS-935L", "1.06"]);
    const sonos = deviceIdentity([fact("upnp.manufacturer", "Sonos, Inc."), fact("upnp.model_name", "Sonos One"), fact("upnp.model_number", "S13"), fact("upnp.firmware", "56.0-76060")]);
    assert.deepEqual([sonos.vendor, sonos.product, sonos.models, sonos.firmware], ["Sonos", "Sonos One", ["S13"], "56.0-76060"]);
    const nas = deviceIdentity([fact("upnp.manufacturer", "Justin Maggard"), fact("upnp.model_name", "Windows Media Connect compatible (MiniDLNA)")]);
    assert.equal(nas.vendor, undefined, "minidlna's author is not the NAS's maker");
  });

  it("believes the device's own protocol over a CMDB, a newer value over an older, and the verdict last", () => {
    const id = deviceIdentity([
      fact("asset.firmware", "V2.8.0", 50), fact("s7.firmware", "V2.9.1", 10), fact("s7.firmware", "V2.9.4", 20), fact("asset.vendor", "SIEMENS AG", 50),
      fact("s7.order_number", "6ES7 518-4AP00-0AB0", 10),
    ], { vendor: "Siemens", model: "S7-1500", firmware: "V1" });
    assert.equal(id.firmware, "V2.9.4", "the newest of the PLC's own reports");
    assert.equal(id.vendor, "Siemens");
    assert.deepEqual(id.models, ["6ES7 518-4AP00-0AB0"]);
    assert.equal(id.product, "S7-1500", "the verdict's model when nothing else names the product");
    assert.deepEqual(id.claims.filter((c) => c.field === "firmware").map((c) => [c.value, c.from]), [["V2.9.4", "s7.firmware"], ["V2.9.1", "s7.firmware"], ["V2.8.0", "asset.firmware"], ["V1", "verdict"]]);
    assert.equal(deviceIdentity([fact("asset.product", "x".repeat(300))]).product, undefined, "values too long to be a name are not taken");
  });
});

describe("firmware, then CVEs, for the inventory", { skip: NO_CORPUS }, () => {
  let dir = "";
  const advisories = [corpus("cisagov-CSAF"), corpus("cisagov-kev-data"), corpus("CVEProject-cvelistV5")];
  before(() => {
    dir = tmpDir("cordon-vulns-inv-");
  });

  it("reads an HMI's identity from its real LLDP, and a switch's from its CDP", () => {
    const db = join(dir, "lldp.db");
    assert.equal(runCli(["analyze", "--db", db, corpus("EmreEkin-ICS-Pcaps/LLDP/simens.pcap"), corpus("EmreEkin-ICS-Pcaps/CDP/cdp_v2.pcap")]).status, 0);
    const r = runCli(["vulns", "device", "--db", db, "--format", "json", "e0:dc:a0:29:c6:e7"]);
    assert.equal(r.status, 0, r.stderr);
    const [hmi] = JSON.parse(r.stdout) as { vendor: string; product: string; models: string[]; firmware: string; identity_evidence: { from: string }[] }[];
    assert.deepEqual([hmi!.vendor, hmi!.product, hmi!.models, hmi!.firmware], ["Siemens", "KTP700 Basic", ["6AV2 123-2GB03-0AX0"], "13.0.1"]);
    assert.ok(hmi!.identity_evidence.some((c) => c.from === "lldp.system_description"));
    const sw = JSON.parse(runCli(["vulns", "device", "--db", db, "--format", "json", "00:0b:be:18:9a:41"]).stdout) as { vendor: string; product: string; firmware: string }[];
    assert.deepEqual([sw[0]!.vendor, sw[0]!.product, sw[0]!.firmware], ["Cisco", "WS-C2950-12", "12.1(22)EA14"]);
  });

  it("a PLC seen on the wire gets its firmware from a CMDB import, then its CVEs; the import is audited", () => {
    const db = join(dir, "plc.db");
    assert.equal(runCli(["analyze", "--db", db, corpus("ITI-ICS-Security-Tools/pcaps/s7/S7-1200-Uploading-OB1-TIAV12.pcap")]).status, 0);
    assert.equal(runCli(["vulns", "import", "--db", db, ...advisories]).status, 0);
    // Before: the PLC is known as a Siemens PLC, with no product or firmware to match.
    const before = JSON.parse(runCli(["vulns", "device", "--db", db, "--format", "json", "00:1c:06:08:e7:db"]).stdout) as { cves: unknown[]; firmware: string | null }[];
    assert.deepEqual([before[0]!.cves, before[0]!.firmware], [[], null]);
    const cmdb = join(dir, "cmdb.csv");
    writeFileSync(cmdb, [
      "mac,ip,vendor,product,model,firmware,serial",
      "00:1C:06:08:E7:DB,,SIEMENS AG,SIMATIC S7-1200 CPU 1214C DC/DC/DC,6ES7214-1AG40-0XB0,V4.4.0,S C-X4U421302009",
      ",192.168.1.50,Rockwell Automation,ControlLogix 5580,,33.011,",
    ].join("\n"));
    const imp = runCli(["assets", "import", "--db", db, "--format", "json", cmdb]);
    assert.equal(imp.status, 0, imp.stderr);
    assert.deepEqual(JSON.parse(imp.stdout), { updated: ["00:1c:06:08:e7:db"], added: ["ip:192.168.1.50"] });
    const after = JSON.parse(runCli(["vulns", "device", "--db", db, "--format", "json", "192.168.1.191"]).stdout) as { firmware: string; serial: string; cves: { cve: string; remediations: string[] }[] }[];
    assert.deepEqual([after[0]!.firmware, after[0]!.serial], ["V4.4.0", "S C-X4U421302009"]);
    assert.deepEqual(after[0]!.cves.map((c) => c.cve).sort(), ["CVE-2022-38465", "CVE-2024-46886"]);
    assert.ok(after[0]!.cves.find((c) => c.cve === "CVE-2024-46886")!.remediations.length > 0, "the vendor's remediation is shown");
    const list = runCli(["vulns", "list", "--db", db, "--format", "json"]);
    const { sites, devices: rows } = JSON.parse(list.stdout) as { sites: { site: string; devices_affected: number; devices_with_kev: number; max_risk: number; total_risk: number; top: { device: string; risk: number }[] }[]; devices: { device: string; risk: { score: number } }[] };
    assert.deepEqual(rows.map((x) => x.device).sort(), ["00:1c:06:08:e7:db", "ip:192.168.1.50"]);
    // The site's risk: both devices affected, none by a KEV CVE; the highest and the sum of their scores.
    assert.deepEqual(sites.map((x) => [x.site, x.devices_affected, x.devices_with_kev]), [["default", 2, 0]]);
    assert.equal(sites[0]!.max_risk, Math.max(...rows.map((x) => x.risk.score)));
    assert.equal(sites[0]!.total_risk, rows.reduce((n, x) => n + x.risk.score, 0));
    assert.deepEqual(sites[0]!.top.map((t) => t.device), rows.map((x) => x.device), "riskiest first, as the list");
    const table = runCli(["vulns", "list", "--db", db, "--wide"]).stdout;
    assert.match(table, /00:1c:06:08:e7:db +Siemens +SIMATIC S7-1200 CPU 1214C DC\/DC\/DC +V4.4.0 +2 +0 +9.3 +0 +CVE-2022-38465 CVE-2024-46886/);
    assert.match(table, /^site default: 2 devices affected \(0 by a known exploited CVE\), 0 possibly; risk: highest \d+, sum \d+$/m);
    const audit = runCli(["audit", "--db", db, "--format", "json"]);
    assert.match(audit.stdout, /"action": "assets.import"/);
    // The wire's times for the PLC are kept: the import does not make it "seen" now.
    const dev = JSON.parse(runCli(["device", "--db", db, "--format", "json", "00:1c:06:08:e7:db"]).stdout) as { last_seen: string }[];
    assert.match(dev[0]!.last_seen, /^2013-12-20/);
  });

  it("a known exploited CVE on a life-safety device proposes a quarantine that waits for another person, once", async () => {
    const db = join(dir, "kev.db");
    assert.equal(runCli(["vulns", "import", "--db", db, corpus("CVEProject-cvelistV5"), corpus("cisagov-kev-data")]).status, 0);
    writeFileSync(join(dir, "kev.csv"), "mac,ip,vendor,product,firmware\n14:eb:b6:00:00:01,10.9.0.1,TP-Link,Archer AX21 (AX1800),1.1.3 Build 20220101\n14:eb:b6:00:00:02,10.9.0.2,TP-Link,Archer AX21 (AX1800),1.1.3 Build 20220101\n");
    assert.equal(runCli(["analyze", "--db", db, corpus("EmreEkin-ICS-Pcaps/CDP/cdp_v2.pcap")]).status, 0);
    assert.equal(runCli(["assets", "import", "--db", db, join(dir, "kev.csv")]).status, 0);
    assert.equal(runCli(["override", "--db", db, "--criticality", "life-safety/physical-process", "--reason", "runs the infusion pumps' network", "14:eb:b6:00:00:01"]).status, 0);
    assert.equal(runCli(["policy", "learn", "--db", db, "--all"]).status, 0);
    const r = runCli(["vulns", "compensate", "--db", db, "--format", "json", "--quarantine", "nftables"]);
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { quarantines: { id: string; device: string; cves: string[] }[] };
    assert.deepEqual(out.quarantines.map((q) => [q.device, q.cves]), [["14:eb:b6:00:00:01", ["CVE-2023-1389"]]], "only the life-safety one");
    const { Store } = await import("../src/store/store.js");
    const { NacStore } = await import("../src/store/nac.js");
    const store = new Store(db, { readOnly: true });
    try {
      const proposal = new NacStore(store.sql).response(out.quarantines[0]!.id)!;
      assert.equal(proposal.status, "proposed");
      assert.equal(proposal.plan.quarantine, "nftables");
      assert.equal(proposal.plan.approval, true);
      assert.ok(proposal.requestedBy && proposal.requestedBy.length > 0, "whoever proposed it cannot approve it");
    } finally {
      store.close();
    }
    const again = JSON.parse(runCli(["vulns", "compensate", "--db", db, "--format", "json"]).stdout) as { quarantines: unknown[] };
    assert.deepEqual(again.quarantines, [], "not proposed twice");
    assert.match(runCli(["audit", "--db", db]).stdout, /quarantine\.propose/);
  });

  it("refuses asset rows it cannot read, naming the place", () => {
    const db = join(dir, "bad.db");
    const cases: [string, string, RegExp][] = [
      ["no-key.csv", "vendor,product\nSiemens,S7\n", /needs a mac or an ip column/],
      ["bad-mac.csv", "mac,vendor\nzz:zz,Siemens\n", /line 2: "zz:zz" is not a MAC address/],
      ["bad-ip.json", JSON.stringify([{ ip: "10.0.0.300", vendor: "x" }]), /item 1: "10\.0\.0\.300" is not an IP address/],
      ["empty.csv", "mac,vendor\n00:11:22:33:44:55,\n", /line 2: nothing to import/],
    ];
    for (const [name, text, error] of cases) {
      writeFileSync(join(dir, name), text);
      const r = runCli(["assets", "import", "--db", db, join(dir, name)]);
      assert.equal(r.status, 2, `${name}: ${r.stderr}`);
      assert.match(r.stderr, error, name);
    }
  });
});
