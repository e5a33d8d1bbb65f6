import { userInfo } from "node:os";
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { AlertBook, EPISODE_GAP_US, MAX_EVIDENCE } from "../src/detect/alert.js";
import { carriesData, dgaLike, entropy, registeredDomain } from "../src/detect/dns.js";
import { DetectionEngine, type Detector } from "../src/detect/engine.js";
import type { PacketEvent } from "../src/detect/event.js";
import { escalateOtOperations, operationKind } from "../src/detect/ot-operation.js";
import { allDetectors } from "../src/detect/registry.js";
import { probeType, scanDetector } from "../src/detect/scan.js";
import { suppresses } from "../src/detect/suppress.js";
import type { FlowRecord } from "../src/model/flow-record.js";
import { OBSERVATION_KINDS, type ObservationKind } from "../src/model/observation.js";
import { DEFAULT_LAB, generateLab } from "../src/lab/generate.js";
import { NO_CORPUS, corpus, runCli, tmpDir, unreviewedDrops } from "./helpers.js";

const T = 1_700_000_000_000_000;
const raise = { class: "scan" as const, severity: "medium" as const, technique: "T1046", site: "default", source: "10.0.0.9", target: "10.0.0.1", title: "t" };

function flow(p: Partial<FlowRecord>): FlowRecord {
  return {
    site: "default", source: "t", vlan: 0, proto: 6, srcIp: "10.0.0.9", srcPort: 40000, dstIp: "10.0.0.1", dstPort: 80, initiatorKnown: true,
    packetsSrcToDst: 1, bytesSrcToDst: 60, packetsDstToSrc: 1, bytesDstToSrc: 40, firstUs: T, lastUs: T + 1000, tcpFlagsSrc: 0x02, tcpFlagsDst: 0x14,
    endReason: "idle", ...p,
  };
}

describe("alerts", () => {
  it("one alert per episode: raises merge with counts, a quiet gap starts a new one, evidence is bounded", () => {
    const book = new AlertBook();
    for (let i = 0; i < 50; i++) book.raise({ ...raise, detector: "scan", tsUs: T + i * 1_000_000, packet: { source: "f", packet: i, tsUs: T } });
    book.raise({ ...raise, detector: "scan", tsUs: T + 49_000_000 + EPISODE_GAP_US + 1 });
    book.raise({ ...raise, detector: "scan", target: "10.0.0.2", tsUs: T });
    const all = book.all();
    assert.equal(all.length, 3);
    assert.equal(all[0].count, 50);
    assert.equal(all[0].evidence.packets.length, MAX_EVIDENCE);
    assert.equal(all[0].lastUs, T + 49_000_000);
    assert.notEqual(all[0].id, all.find((a) => a.firstUs > T + 49_000_000)!.id);
    const again = new AlertBook();
    assert.equal(again.raise({ ...raise, detector: "scan", tsUs: T }).id, all[0].id, "the same episode read again has the same id");
  });

  it("a detector that throws is isolated, counted and logged; the others go on", () => {
    const logged: string[] = [];
    const broken: Detector = { name: "broken", flow: () => { throw new Error("boom"); } };
    const fine: Detector = { name: "fine", flow: (f, ctx) => ctx.raise({ ...raise, tsUs: f.firstUs }) };
    const engine = new DetectionEngine([broken, fine], (name, e, n) => logged.push(`${name} ${e.message} ${n}`));
    for (let i = 0; i < 3; i++) engine.flow(flow({ firstUs: T + i }));
    assert.equal(engine.failures.get("broken"), 3);
    assert.deepEqual(logged, ["broken boom 1"]);
    assert.equal(engine.finish()[0].count, 3);
  });

  it("suppressions match by device, detector and peer, and expire", () => {
    const a = { detector: "scan", source: "10.0.0.9", sourceMac: "00:11:22:33:44:55", target: "10.0.0.1" };
    const now = "2026-11-22T00:00:00.000Z";
    assert.ok(suppresses({ device: "00:11:22:33:44:55" }, a, now));
    assert.ok(suppresses({ device: "10.0.0.9", detector: "scan" }, a, now));
    assert.ok(!suppresses({ device: "10.0.0.9", detector: "dns" }, a, now));
    assert.ok(suppresses({ peer: "10.0.0.1" }, a, now));
    assert.ok(!suppresses({ peer: "10.0.0.1", expiresAt: "2026-11-21T00:00:00.000Z" }, a, now), "expired");
    assert.ok(!suppresses({}, a, now), "an empty rule silences nothing");
  });
});

describe("detector helpers", () => {
  it("DNS: entropy, registered domains, data-carrying and DGA-like names", () => {
    assert.equal(entropy("aaaa"), 0);
    assert.equal(entropy("abcd"), 2);
    assert.equal(registeredDomain("a.b.example.co.uk"), "example.co.uk");
    assert.equal(registeredDomain("x.cloud.example.com."), "example.com");
    assert.ok(carriesData("4a6f686e20446f6520736563726574207061796c6f6164.evil.com"));
    assert.ok(!carriesData("www.google.com"));
    assert.ok(!carriesData("n-euw1-device-api.tplinkcloud.com"));
    for (const n of ["xkqzvbtrmwplsd.com", "q8x3k9vz2mrt7p.net"]) assert.ok(dgaLike(n), n);
    for (const n of ["tplinkcloud.com", "dispatcher.axis.com", "euw1-device-cloudgateway.iot.i.tplinknbu.com", "wikipedia.org", "microsoftonline.com"]) assert.ok(!dgaLike(n), n);
  });

  it("scan probes by TCP flags: SYN, FIN, NULL, XMAS, ACK, connect, UDP; real sessions are not probes", () => {
    assert.equal(probeType(flow({ tcpFlagsSrc: 0x02, tcpFlagsDst: 0x14 })), "SYN");
    assert.equal(probeType(flow({ tcpFlagsSrc: 0x06, tcpFlagsDst: 0x12, packetsSrcToDst: 2 })), "SYN");
    assert.equal(probeType(flow({ tcpFlagsSrc: 0x01, tcpFlagsDst: 0x14 })), "FIN");
    assert.equal(probeType(flow({ tcpFlagsSrc: 0x00, tcpFlagsDst: 0x14 })), "NULL");
    assert.equal(probeType(flow({ tcpFlagsSrc: 0x29, tcpFlagsDst: 0x14 })), "XMAS");
    assert.equal(probeType(flow({ tcpFlagsSrc: 0x10, tcpFlagsDst: 0x04 })), "ACK");
    assert.equal(probeType(flow({ tcpFlagsSrc: 0x16, tcpFlagsDst: 0x12, packetsSrcToDst: 3, bytesSrcToDst: 160 })), "connect");
    assert.equal(probeType(flow({ proto: 17, packetsDstToSrc: 0, tcpFlagsSrc: 0, tcpFlagsDst: 0 })), "UDP");
    assert.equal(probeType(flow({ tcpFlagsSrc: 0x1a, tcpFlagsDst: 0x1a, packetsSrcToDst: 12, bytesSrcToDst: 5000 })), undefined);
  });

  it("scan windows: 15 ports on a host, 6 hosts on a port (Mirai on 23), 10 pairs over 4 hosts; a repeated probe counts once; probes leave after 5 minutes", () => {
    const run = (probes: [string, number, number][]): { title: string; count?: number; severity: string }[] => {
      const raised: { title: string; count?: number; severity: string }[] = [];
      const d = scanDetector();
      for (const [dstIp, dstPort, atS] of probes) d.flow!(flow({ dstIp, dstPort, firstUs: T + atS * 1_000_000 }), { raise: (a) => void raised.push(a) });
      return raised;
    };
    const ports = (host: string, n: number, atS = 0): [string, number, number][] => Array.from({ length: n }, (_, i) => [host, 1000 + i, atS + i]);
    const vertical = run(ports("10.0.0.1", 15));
    assert.deepEqual(vertical.map((a) => [a.title, a.count]), [["SYN scan: 10.0.0.9 probing the ports of 10.0.0.1 (count: ports probed)", 15]]);
    assert.deepEqual(run(ports("10.0.0.1", 14)), [], "14 ports is not yet a scan");
    // The same port probed again does not count twice: 14 distinct ports, 20 probes.
    assert.deepEqual(run([...ports("10.0.0.1", 14), ...ports("10.0.0.1", 6)]), []);
    const telnet = run(Array.from({ length: 6 }, (_, i): [string, number, number] => [`10.0.1.${i + 1}`, 23, i]));
    assert.deepEqual(telnet.map((a) => [a.title, a.count, a.severity]), [["Mirai-style telnet scan: 10.0.0.9 probing hosts on port 23 (count: hosts probed)", 6, "high"]]);
    const sweep = run(Array.from({ length: 6 }, (_, i): [string, number, number] => [`10.0.1.${i + 1}`, 445, i]));
    assert.deepEqual(sweep.map((a) => a.title), ["SYN sweep: 10.0.0.9 probing hosts on port 445 (count: hosts probed)"]);
    // Ten host-port pairs over four hosts, no host with 15 ports and no port on 6 hosts.
    const pairs = run(["10.0.2.1", "10.0.2.2", "10.0.2.3", "10.0.2.4", "10.0.2.1", "10.0.2.2", "10.0.2.3", "10.0.2.4", "10.0.2.1", "10.0.2.2"]
      .map((h, i): [string, number, number] => [h, 2000 + i, i]));
    assert.deepEqual(pairs.map((a) => [a.title, a.count]), [["SYN scan: 10.0.0.9 probing ports on 4 hosts (count: host-port pairs probed)", 10]]);
    // Three hosts may take 14 ports each without a raise: that is a busy client of a few servers.
    assert.deepEqual(run([...ports("10.0.3.1", 14), ...ports("10.0.3.2", 14), ...ports("10.0.3.3", 14)]), []);
    // Eight ports, then seven more six minutes later: the first eight have left the window.
    assert.deepEqual(run([...ports("10.0.0.1", 8), ...ports("10.0.0.1", 7, 360).map(([h, p, t]): [string, number, number] => [h, p + 100, t])]), []);
    // A probe repeated late is as new as its last time: it stays in the window.
    const renewed = run([...ports("10.0.0.1", 8), ["10.0.0.1", 1000, 300], ...ports("10.0.0.1", 7, 360).map(([h, p, t]): [string, number, number] => [h, p + 100, t])]);
    assert.deepEqual(renewed.map((a) => a.count), [], "only the renewed probe survives: 8 ports in the window");
    // After a raise the window starts again: another 15 ports raise again.
    assert.equal(run([...ports("10.0.0.1", 15), ...ports("10.0.0.1", 15, 20).map(([h, p, t]): [string, number, number] => [h, p + 100, t])]).length, 2);
  });

  it("OT operations map to ATT&CK for ICS and escalate from hosts that are not engineering workstations", () => {
    assert.equal(operationKind("s7.plc-stop").technique, "T0858");
    assert.equal(operationKind("s7.download-block").technique, "T0843");
    assert.equal(operationKind("dnp3.cold-restart").technique, "T0816");
    assert.equal(operationKind("modbus.write-single-register").technique, "T0836");
    const book = new AlertBook();
    const a = book.raise({ ...raise, detector: "ot-operation", class: "ot-operation", severity: "high", technique: "T0858", tsUs: T, title: "x stopped y" });
    const b = book.raise({ ...raise, detector: "ot-operation", class: "ot-operation", severity: "high", technique: "T0858", source: "10.0.0.7", tsUs: T, title: "z stopped y" });
    escalateOtOperations([a, b], (x) => (x.source === "10.0.0.7" ? "engineering-workstation" : "workstation"));
    assert.equal(a.severity, "critical");
    assert.match(a.title, /not known as an engineering workstation: workstation/);
    assert.equal(b.severity, "high");
  });

  it("no detector throws on odd events and flows (fuzz)", () => {
    let seed = 7;
    const rand = (): number => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
    const kinds = Object.keys(OBSERVATION_KINDS) as ObservationKind[];
    const junk = ["", " to ", "to", "x".repeat(300), "a to b (c", "set", "from", "1.2.3.4", "\u0000\uffff", "login to [::1]:99", ". . ."];
    const engine = new DetectionEngine(allDetectors());
    for (let i = 0; i < 20_000; i++) {
      const e: PacketEvent = {
        kind: kinds[Math.floor(rand() * kinds.length)], value: junk[Math.floor(rand() * junk.length)], site: "s", source: "f", tsUs: T + Math.floor(rand() * 1e12),
        packet: i, proto: [0, 6, 17][i % 3], aboutSource: rand() < 0.5, mac: rand() < 0.5 ? "00:00:00:00:00:01" : undefined,
        srcIp: rand() < 0.8 ? `10.0.0.${i % 255}` : undefined, dstIp: rand() < 0.8 ? "203.0.113.5" : undefined, srcPort: i % 65536, dstPort: 23,
      };
      engine.observation(e);
      engine.flow(flow({ proto: [6, 17, 1, 58][i % 4], srcIp: rand() < 0.5 ? `10.0.${i % 7}.1` : "2001:db8::1", dstIp: rand() < 0.5 ? "8.8.8.8" : `10.0.0.${i % 200}`,
        dstPort: [21, 22, 23, 80, 0][i % 5], tcpFlagsSrc: i % 64, tcpFlagsDst: (i * 7) % 64, firstUs: T + i, lastUs: T + i + (i % 3) * 1e8, srcMac: i % 2 ? "00:00:00:00:00:02" : undefined, dstMac: "00:00:00:00:00:03" }));
    }
    engine.finish();
    assert.deepEqual([...engine.failures], []);
  });
});

interface Expected { about: string; hostile: { capture: string; class: string; source?: string; target?: string }[]; benign: { capture: string; no_class: string[] }[] }
interface AlertJson { detector: string; class: string; severity: string; device: string | null; source: string | null; target: string | null; title: string; technique: string; first_seen: string; last_seen: string; count: number; evidence: unknown }

function alertsOf(capture: string): AlertJson[] {
  const dir = tmpDir("cordon-alerts-");
  const db = join(dir, "a.db");
  const r = runCli(["analyze", "--db", db, corpus(capture)]);
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(runCli(["alerts", "--db", db, "--format", "json", "--all"]).stdout) as AlertJson[];
}

describe("alerts on the corpus captures of expected-alerts.json", { skip: NO_CORPUS }, () => {
  const expected = NO_CORPUS ? { hostile: [], benign: [] } as unknown as Expected : JSON.parse(readFileSync(corpus("expected-alerts.json"), "utf8")) as Expected;
  for (const h of expected.hostile) {
    it(`${h.capture}: ${h.class} from ${h.source ?? "?"}${h.target ? ` on ${h.target}` : ""}`, () => {
      const alerts = alertsOf(h.capture);
      const hit = alerts.find((a) => a.class === h.class && (!h.source || a.source === h.source) && (!h.target || a.target === h.target));
      assert.ok(hit, `no ${h.class} alert; got ${alerts.map((a) => `${a.class} ${a.source}->${a.target}`).join("; ") || "none"}`);
      for (const k of ["detector", "class", "severity", "device", "source", "target", "title", "technique", "first_seen", "last_seen", "count", "evidence"]) assert.ok(k in hit, k);
      assert.ok(hit.title.length > 10 && hit.technique.startsWith("T"));
    });
  }
  for (const b of expected.benign) {
    it(`${b.capture}: none of ${b.no_class.join(", ")}`, () => {
      const bad = alertsOf(b.capture).filter((a) => b.no_class.includes(a.class));
      assert.deepEqual(bad.map((a) => a.title), []);
    });
  }
});

describe("cordon alerts and cordon suppress", () => {
  it("lists, acknowledges and resolves alerts; suppressions silence matching alerts from then on", { skip: NO_CORPUS }, () => {
    const dir = tmpDir("cordon-alertcli-");
    const db = join(dir, "a.db");
    const capture = corpus("ntop-nDPI-tests/tests/cfgs/default/pcap/synscan.pcap");
    assert.equal(runCli(["analyze", "--db", db, capture]).status, 0);
    const list = JSON.parse(runCli(["alerts", "--db", db, "--format", "json"]).stdout) as (AlertJson & { id: string; status: string })[];
    const scan = list.find((a) => a.class === "scan")!;
    assert.equal(scan.status, "open");
    assert.match(scan.title, /^SYN scan: 172\.16\.0\.8 probing the ports of 64\.13\.134\.52/);
    assert.ok(scan.count >= 1000, `${scan.count} ports`);
    const table = runCli(["alerts", "--db", db]).stdout;
    assert.match(table, new RegExp(`^${scan.id.slice(0, 8)} +medium +172\\.16\\.0\\.8 +\\d+ +2010-07-04 \\d\\d:\\d\\d:\\d\\d +open +SYN scan`, "m"), "the table: short id, severity, source, count, last seen, status, title");
    assert.ok(table.split("\n").every((l) => l.length <= 120), table);
    assert.match(runCli(["alerts", "--db", db, "--wide"]).stdout, new RegExp(`^${scan.id} +medium +scan +172\\.16\\.0\\.8 +64\\.13\\.134\\.52 `, "m"), "--wide: every column, the id whole");
    assert.match(runCli(["alerts", "show", scan.id.slice(0, 5), "--db", db]).stdout, new RegExp(`^alert ${scan.id}: medium scan, open\n  SYN scan: 172\\.16\\.0\\.8 probing the ports of 64\\.13\\.134\\.52`));
    assert.match(runCli(["alerts", "ack", scan.id.slice(0, 6), "--db", db, "--by", "soc"]).stderr, /--by is not taken: Cordon records the operating-system user/);
    assert.equal(runCli(["alerts", "ack", scan.id.slice(0, 6), "--db", db]).status, 0);
    assert.equal(runCli(["alerts", "resolve", scan.id, "--db", db, "--reason", "authorised pentest"]).status, 0);
    assert.ok(!(JSON.parse(runCli(["alerts", "--db", db, "--format", "json"]).stdout) as { id: string }[]).some((a) => a.id === scan.id), "resolved alerts leave the default list");
    const all = JSON.parse(runCli(["alerts", "--db", db, "--format", "json", "--all"]).stdout) as { id: string; status: string; status_by: string; status_note: string }[];
    assert.deepEqual(all.filter((a) => a.id === scan.id).map((a) => [a.status, a.status_by, a.status_note]), [["resolved", userInfo().username, "authorised pentest"]]);
    assert.equal(runCli(["analyze", "--db", db, capture]).status, 0);
    assert.equal((JSON.parse(runCli(["alerts", "--db", db, "--format", "json", "--all"]).stdout) as { id: string; status: string }[]).find((a) => a.id === scan.id)!.status, "resolved",
      "the same episode read again keeps its status");
    assert.match(runCli(["suppress", "add", "--db", db, "--detector", "scan"]).stderr, /--reason/);
    assert.equal(runCli(["suppress", "add", "--db", db, "--device", "172.16.0.8", "--detector", "scan", "--reason", "the scanner", "--expires", "7d"]).status, 0);
    const db2 = join(dir, "b.db");
    assert.equal(runCli(["suppress", "add", "--db", db2, "--device", "172.16.0.8", "--reason", "the scanner"]).status, 0);
    assert.equal(runCli(["analyze", "--db", db2, capture]).status, 0);
    const silenced = JSON.parse(runCli(["alerts", "--db", db2, "--format", "json", "--all"]).stdout) as { class: string; status: string }[];
    assert.ok(silenced.length > 0 && silenced.every((a) => a.status === "suppressed"));
    assert.equal(runCli(["alerts", "--db", db2]).stdout.trim(), "no alerts");
    assert.match(runCli(["suppress", "list", "--db", db]).stdout, new RegExp(`172\\.16\\.0\\.8\\s+scan\\s+\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\s+${userInfo().username}\\s+the scanner`));
  });

  it("analyze --notify sends each new alert once", { skip: NO_CORPUS }, () => {
    const dir = tmpDir("cordon-notifycli-");
    const db = join(dir, "n.db");
    const out = join(dir, "alerts.jsonl");
    writeFileSync(join(dir, "notify.yaml"), `notify:\n  - jsonl: ${out}\n    min_severity: medium\n`);
    const capture = corpus("ntop-nDPI-tests/tests/cfgs/default/pcap/synscan.pcap");
    assert.equal(runCli(["analyze", "--db", db, "--notify", join(dir, "notify.yaml"), capture]).status, 0);
    const first = readFileSync(out, "utf8").trim().split("\n");
    assert.ok(first.some((l) => (JSON.parse(l) as { class: string }).class === "scan"));
    assert.equal(runCli(["analyze", "--db", db, "--notify", join(dir, "notify.yaml"), capture]).status, 0);
    assert.equal(readFileSync(out, "utf8").trim().split("\n").length, first.length, "the same episodes are not sent again");
    writeFileSync(join(dir, "bad.yaml"), "- syslog: { host: h, port: 99999, protocol: udp }\n");
    const bad = runCli(["analyze", "--db", db, "--notify", join(dir, "bad.yaml"), capture]);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /bad\.yaml: notify\[0\]\.syslog\.port/);
  });
});

describe("behaviour against baselines", () => {
  const el = (direction: "initiates" | "serves", peer: string, proto: string, port: number): { direction: "initiates" | "serves"; peer: string; proto: string; port: number } => ({ direction, peer, proto, port });
  const prior = new Map([["00:00:00:00:00:01", { category: "camera", elements: [el("initiates", "dns:cloud.example.com", "tcp", 443), el("serves", "device:00:00:00:00:00:09", "tcp", 554)], outP95: 50_000 }]]);
  const options = { prior, categories: new Map([["camera", [el("initiates", "dns:cloud.example.com", "tcp", 443), el("initiates", "category:server", "udp", 123)]]]), routers: new Set(["00:00:00:00:00:fe"]), names: new Map([["52.1.2.3", "cloud.example.com"]]) };
  const cam = (p: Partial<FlowRecord>): FlowRecord => flow({ srcMac: "00:00:00:00:00:01", srcIp: "10.0.0.1", tcpFlagsSrc: 0x1a, tcpFlagsDst: 0x1a, packetsSrcToDst: 10, bytesSrcToDst: 2000, packetsDstToSrc: 10, ...p });

  it("tells a new peer, a new service and an hour far above the usual upload, once each; known behaviour is quiet", async () => {
    const { behaviourDetector } = await import("../src/detect/behaviour.js");
    const engine = new DetectionEngine([behaviourDetector(options)]);
    engine.flow(cam({ dstIp: "52.1.2.3", dstMac: "00:00:00:00:00:fe", dstPort: 443 }));
    engine.flow(cam({ dstIp: "52.1.2.3", dstMac: "00:00:00:00:00:fe", dstPort: 8443, firstUs: T + 1 }));
    engine.flow(cam({ dstIp: "198.51.100.23", dstMac: "00:00:00:00:00:fe", dstPort: 443, firstUs: T + 2 }));
    engine.flow(cam({ dstIp: "198.51.100.24", dstMac: "00:00:00:00:00:fe", dstPort: 443, firstUs: T + 3 }));
    engine.flow(cam({ dstIp: "10.0.0.7", dstMac: "00:00:00:00:00:07", dstPort: 22, tcpFlagsDst: 0x14, firstUs: T + 4 }));
    engine.flow(cam({ dstIp: "203.0.113.77", dstMac: "00:00:00:00:00:fe", dstPort: 443, bytesSrcToDst: 20_000_000, firstUs: T + 5 }));
    const alerts = engine.finish();
    assert.deepEqual(alerts.map((a) => `${a.class} ${a.target} ${a.count}`).sort(), [
      "new-peer 198.51.100.23 2", "new-service 52.1.2.3 1", "volume 203.0.113.77 1",
    ], "new peers (198.51.100.0/24 once, 203.0.113.0/24) merge into one episode per device and day; the unanswered SSH attempt is the scan detector's");
    assert.match(alerts.find((a) => a.class === "volume")!.title, /sent 20\.0 MB within an hour/);
  });

  it("tells a domain outside the device's and its category's lookups once, and not again as a new peer", async () => {
    const { behaviourDetector } = await import("../src/detect/behaviour.js");
    const engine = new DetectionEngine([behaviourDetector({ ...options, prior: new Map([["00:00:00:00:00:01", { ...prior.get("00:00:00:00:00:01")!, domains: ["example.com"] }]]), categoryDomains: new Map([["camera", new Set(["axis.com"])]]) })]);
    const q = (name: string, at: number): PacketEvent => ({ kind: "dns.query", value: name, site: "default", source: "t", tsUs: T + at, packet: at, srcMac: "00:00:00:00:00:01", srcIp: "10.0.0.1", proto: 17, aboutSource: true });
    for (const [n, at] of [["cloud.example.com", 1], ["dispatcher.axis.com", 2], ["x.evil-updates.net", 3], ["y.evil-updates.net", 4]] as const) engine.observation(q(n, at));
    engine.observation({ ...q("x.evil-updates.net A 192.0.2.66", 5), kind: "dns.answer", aboutSource: false });
    engine.flow(cam({ dstIp: "192.0.2.66", dstMac: "00:00:00:00:00:fe", dstPort: 443, firstUs: T + 6 }));
    assert.deepEqual(engine.finish().map((a) => `${a.class} ${a.target} ${a.count}`), ["new-domain evil-updates.net 1"]);
  });

  it("learns a device without a stored baseline during its learning window, then judges it", async () => {
    const { behaviourDetector } = await import("../src/detect/behaviour.js");
    const engine = new DetectionEngine([behaviourDetector({ ...options, prior: new Map(), learnWindowUs: 3_600_000_000 })]);
    const other = (p: Partial<FlowRecord>): FlowRecord => cam({ srcMac: "00:00:00:00:00:02", srcIp: "10.0.0.2", dstMac: "00:00:00:00:00:fe", ...p });
    engine.flow(other({ dstIp: "52.1.2.3", dstPort: 443 }));
    engine.flow(other({ dstIp: "198.51.100.23", dstPort: 443, firstUs: T + 1_000_000 }));
    engine.flow(other({ dstIp: "198.51.100.23", dstPort: 443, firstUs: T + 7_200_000_000 }));
    engine.flow(other({ dstIp: "192.0.2.200", dstPort: 443, firstUs: T + 7_200_000_001 }));
    assert.deepEqual(engine.finish().map((a) => `${a.class} ${a.target}`), ["new-peer 192.0.2.200"]);
  });
});

describe("lab scenarios and benign traffic", () => {
  it("every injected scenario is detected after a clean capture of the same site; few other alerts", () => {
    const dir = tmpDir("cordon-labalerts-");
    for (const d of ["clean", "attacked"]) mkdirSync(join(dir, d));
    const clean = generateLab(join(dir, "clean"), { ...DEFAULT_LAB, devices: 80, durationS: 1800, seed: 5 });
    const attacked = generateLab(join(dir, "attacked"), { ...DEFAULT_LAB, devices: 80, durationS: 1800, seed: 5, scenarios: ["all"] });
    const db = join(dir, "s.db");
    assert.equal(runCli(["analyze", "--db", db, clean.pcap]).status, 0);
    const before = new Set((JSON.parse(runCli(["alerts", "--db", db, "--format", "json", "--all"]).stdout) as { id: string }[]).map((a) => a.id));
    assert.equal(runCli(["analyze", "--db", db, attacked.pcap]).status, 0);
    const alerts = (JSON.parse(runCli(["alerts", "--db", db, "--format", "json", "--all"]).stdout) as (AlertJson & { id: string })[]).filter((a) => !before.has(a.id));
    for (const s of attacked.scenarios) {
      const hit = alerts.find((a) => a.class === s.class && a.source === s.source && (!s.target || a.target === s.target || s.class === "brute-force"));
      assert.ok(hit, `${s.name}: no ${s.class} alert from ${s.source}; got ${alerts.map((a) => `${a.class} ${a.source}`).join("; ")}`);
    }
    assert.equal(alerts.find((a) => a.class === "ot-operation" && a.title.includes("plc-stop"))!.severity, "critical", "a PLC stop from a workstation");
    const actors = new Set(attacked.scenarios.flatMap((s) => [s.source, s.target]));
    const other = alerts.filter((a) => !actors.has(a.source ?? "") && !actors.has(a.target ?? "") && !(a.class === "ot-operation" && a.severity === "low"));
    assert.ok(other.length <= 3, `alerts beside the scenarios: ${other.map((a) => a.title).join("; ")}`);
  });

  it("week-long benign captures: after a day of learning, at most one alert per device per day", { skip: NO_CORPUS }, () => {
    for (const f of ["blink-cam-01", "schlage-lock-01"]) {
      const perDeviceDay = new Map<string, number>();
      for (const a of alertsOf(`tj-oconnor-IoT-Dataset/pcaps/${f}.pcap`)) {
        const k = `${a.device ?? a.source}|${a.first_seen.slice(0, 10)}`;
        perDeviceDay.set(k, (perDeviceDay.get(k) ?? 0) + 1);
      }
      assert.ok([...perDeviceDay.values()].every((n) => n <= 1), `${f}: ${JSON.stringify([...perDeviceDay])}`);
    }
  });

  it("TLS without a server name to bare addresses, and known protocols on odd ports, are risky flows", { skip: NO_CORPUS }, () => {
    const emotet = alertsOf("ntop-nDPI-tests/tests/cfgs/default/pcap/emotet.pcap");
    assert.ok(emotet.some((a) => a.class === "risky-flow" && /TLS without a server name to 138\.197\.147\.101:443/.test(a.title)), emotet.map((a) => a.title).join("; "));
    const trickbot = alertsOf("ntop-nDPI-tests/tests/cfgs/default/pcap/trickbot.pcap");
    assert.ok(trickbot.some((a) => a.detector === "odd-port" && /spoke http to 82\.118\.225\.196 on port 7080/.test(a.title)));
  });

  it("cordon eval --alerts scores every detector on the corpus expectations", { skip: NO_CORPUS }, () => {
    const r = runCli(["eval", "--alerts", corpus("expected-alerts.json"), "--format", "json"]);
    assert.equal(r.status, 0, r.stderr);
    const e = JSON.parse(r.stdout) as { hostile: { found: boolean }[]; detectors: { detector: string; precision: number | null; recall: number | null }[] };
    assert.ok(e.hostile.every((h) => h.found));
    for (const d of e.detectors) assert.ok((d.precision ?? 1) === 1 && (d.recall ?? 1) === 1, JSON.stringify(d));
    assert.match(runCli(["eval", "--alerts", corpus("expected-alerts.json")]).stdout, /PRECISION +RECALL/);
  });
});

describe("indicators and policy violations", () => {
  it("reads CSV and STIX 2.1 indicators, with the place of each error", async () => {
    const { parseIndicatorCsv, parseStixBundle, IndicatorError } = await import("../src/detect/indicators.js");
    const csvInd = parseIndicatorCsv("type,value,note\n# comment\nip,203.0.113.77,exfil drop\ndomain,Evil.Example,phishing kit\nja4,t13d1516h2_8daaf6152771_b0da82dd1658,bad client\n", "feed.csv");
    assert.equal(csvInd.ips.get("203.0.113.77"), "exfil drop");
    assert.equal(csvInd.domains.get("evil.example"), "phishing kit");
    assert.equal(csvInd.fingerprints.size, 1);
    const stix = parseStixBundle({ type: "bundle", objects: [
      { type: "indicator", pattern_type: "stix", name: "C2", pattern: "[ipv4-addr:value = '198.51.100.23'] OR [domain-name:value = 'c2.example.net']" },
      { type: "indicator", pattern_type: "stix", pattern: "[url:value = 'http://drop.example.org/x.exe']", id: "indicator--1" },
      { type: "malware", name: "ignored" },
      { type: "indicator", pattern_type: "sigma", pattern: "title: x" },
    ] }, "feed.json");
    assert.deepEqual([...stix.ips], [["198.51.100.23", "C2"]]);
    assert.deepEqual([...stix.domains.keys()].sort(), ["c2.example.net", "drop.example.org"]);
    assert.throws(() => parseIndicatorCsv("md5,abc\n", "f.csv"), (e: Error) => e instanceof IndicatorError && /f\.csv:1: unknown indicator type "md5"/.test(e.message));
    assert.throws(() => parseIndicatorCsv("ip\n", "f.csv"), /f\.csv:1: expected "type,value\[,note\]"/);
    assert.throws(() => parseStixBundle({ objects: [{ type: "indicator", pattern: 5 }] }, "s.json"), /s\.json: objects\[0\]\.pattern/);
    assert.throws(() => parseStixBundle({}, "s.json"), /not a STIX bundle/);
  });

  it("analyze --indicators raises on listed addresses and domains (subdomains too); an enforced policy's violations are alerts", () => {
    const dir = tmpDir("cordon-ioc-");
    for (const d of ["clean", "attacked"]) mkdirSync(join(dir, d));
    const clean = generateLab(join(dir, "clean"), { ...DEFAULT_LAB, devices: 40, durationS: 1200, seed: 9 });
    const attacked = generateLab(join(dir, "attacked"), { ...DEFAULT_LAB, devices: 40, durationS: 1200, seed: 9, scenarios: ["new-peer", "port-scan"] });
    writeFileSync(join(dir, "feed.csv"), "type,value,note\nip,198.51.100.23,pump C2\ndomain,axis.com,test: the cameras' vendor\n");
    const db = join(dir, "s.db");
    assert.equal(runCli(["analyze", "--db", db, clean.pcap]).status, 0);
    const learned = JSON.parse(runCli(["policy", "learn", "--db", db, "--format", "json"]).stdout) as { id: number };
    for (const step of ["approve", "enforce"]) assert.equal(runCli(["policy", step, String(learned.id), "--db", db]).status, 0);
    const r = runCli(["analyze", "--db", db, "--indicators", join(dir, "feed.csv"), attacked.pcap]);
    assert.equal(r.status, 0, r.stderr);
    const alerts = JSON.parse(runCli(["alerts", "--db", db, "--format", "json"]).stdout) as AlertJson[];
    const pump = attacked.scenarios.find((s) => s.name === "new-peer")!;
    assert.ok(alerts.some((a) => a.class === "indicator" && a.source === pump.source && a.target === "198.51.100.23"), "the listed address");
    assert.ok(alerts.some((a) => a.class === "indicator" && a.target === "axis.com" && /dispatcher\.axis\.com/.test(a.title)), "a subdomain of a listed domain");
    const violations = alerts.filter((a) => a.class === "policy-violation");
    assert.ok(violations.some((a) => a.source === pump.source && a.severity === "medium" && /monitor mode: would be dropped/.test(a.title)),
      "the pump left the enforced policy (learned in monitor mode: what enforcement would drop)");
    const scan = attacked.scenarios.find((s) => s.name === "port-scan")!;
    assert.ok(violations.some((a) => a.source === scan.source || a.target === scan.target), "the scan crossed it too");
    const actors = new Set(attacked.scenarios.flatMap((s) => [s.source, s.target]));
    // Besides the attacks, only what the policy lists for review on purpose: strict-tier devices' internet flows.
    const review = (JSON.parse(runCli(["policy", "show", String(learned.id), "--db", db, "--format", "json"]).stdout) as { policy: { review: string[] } }).policy.review;
    const macOf = new Map((JSON.parse(runCli(["devices", "--db", db, "--format", "json"]).stdout) as { mac: string | null; ips: string[] }[]).flatMap((d) => d.ips.map((ip) => [ip, d.mac] as const)));
    const other = violations.filter((a) => !actors.has(a.source ?? "") && !actors.has(a.target ?? ""));
    assert.deepEqual(unreviewedDrops(other.map((a) => ({ src_mac: macOf.get(a.source ?? "") ?? null, dst_ip: a.target ?? "" })), review), [], other.map((a) => a.title).join("; "));
    assert.match(runCli(["analyze", "--db", db, "--indicators", join(dir, "missing.csv"), attacked.pcap]).stderr, /missing\.csv: ENOENT/);
  });
});
