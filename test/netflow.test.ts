import assert from "node:assert/strict";
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { createSocket } from "node:dgram";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { IPV4_FLOW_FIELDS, dataSet, ipfixMessage, ipv4Record, optionsTemplateSet, templateSet, v9Packet } from "../src/lab/netflow-export.js";
import type { FlowRecord } from "../src/model/flow-record.js";
import { createPipeline } from "../src/pipeline.js";
import { NetflowCollector } from "../src/sources/netflow/collector.js";
import { listenNetflow } from "../src/sources/netflow/listener.js";
import { IpfixStream } from "../src/sources/netflow/stream.js";
import { listenIpfixTcp } from "../src/serve/ipfix-tcp.js";
import { NO_CORPUS, corpus, haveTool, tmpDir } from "./helpers.js";

const NO_EXPORTERS = ["softflowd", "softflowctl", "nfcapd", "nfdump"].every(haveTool)
  ? false : "softflowd/nfdump not installed (run .ci/run, which installs them)";

const exited = (p: ChildProcess): Promise<void> => new Promise((r) => (p.exitCode !== null ? r() : p.once("exit", () => r())));
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** softflowd exports a capture to 127.0.0.1:`port` and exits. */
async function softflowd(dir: string, capture: string, port: number, version: string, extra: string[]): Promise<void> {
  const control = join(dir, "softflowd.ctl");
  // -a: the exporter's clock follows the capture, so flow times are the packets' times.
  const child = spawn("softflowd", ["-d", "-a", "-r", capture, "-n", `127.0.0.1:${port}`, "-v", version, "-c", control, "-p", join(dir, "pid"), ...extra], { stdio: "ignore" });
  // Debian's softflowd waits after reading the file: expire its flows until it exits.
  const expiring = setInterval(() => {
    try {
      execFileSync("softflowctl", ["-c", control, "expire-all"], { stdio: "ignore" });
    } catch {
      // not listening yet, or already gone
    }
  }, 100);
  await exited(child);
  clearInterval(expiring);
}

/**
 * softflowd exports a capture to nfcapd, which repeats every datagram to Cordon's collector
 * (softflowd sends to one destination only). Both see the same datagrams; nfdump reads
 * nfcapd's file after nfcapd has exited.
 */
async function exportCapture(capture: string, version: string, extra: string[]): Promise<{ ours: FlowRecord[]; theirs: string[][]; collector: NetflowCollector; datagrams: Buffer[] }> {
  const ours: FlowRecord[] = [];
  const datagrams: Buffer[] = [];
  const collector = new NetflowCollector((r) => ours.push(r));
  const listener = await listenNetflow({ receive: (b: Buffer, e: string, t: number) => {
    datagrams.push(Buffer.from(b));
    collector.receive(b, e, t);
  }, expire: (t: number) => collector.expire(t) } as unknown as NetflowCollector, 0);
  const dir = tmpDir("cordon-nfcapd-");
  const probe = createSocket("udp4");
  await new Promise<void>((r) => probe.bind(0, "127.0.0.1", r));
  const nfPort = probe.address().port;
  probe.close();
  const nfcapd = spawn("nfcapd", ["-p", String(nfPort), "-b", "127.0.0.1", "-w", dir, "-R", `127.0.0.1/${listener.port}`], { stdio: "ignore" });
  await sleep(400);
  await softflowd(dir, capture, nfPort, version, extra);
  await sleep(300);
  nfcapd.kill("SIGTERM");
  await exited(nfcapd);
  await listener.close();
  assert.ok(readdirSync(dir).some((f) => f.startsWith("nfcapd.")), "nfcapd wrote no file");
  const csv = execFileSync("nfdump", ["-R", dir, "-q", "-N", "-o", "csv"], { env: { ...process.env, TZ: "UTC" } }).toString();
  const theirs = csv.trim().split("\n").filter(Boolean).map((l) => l.split(","));
  return { ours, theirs, collector, datagrams };
}

const PROTO: Record<string, number> = { TCP: 6, UDP: 17, ICMP: 1, ICMP6: 58, IGMP: 2 };
const second = (us: number): string => new Date(Math.floor(us / 1000)).toISOString().slice(0, 19).replace("T", " ");

/**
 * One line per flow, in nfdump's terms: endpoints, protocol, packets, bytes, MACs, first/last
 * second. `swapTimes`: nfdump 1.7.1 (Debian 12) interchanges first and last for IPFIX records
 * timed by IE 21/22 with systemInitTimeMilliseconds (phaag/nfdump#408, fixed in later releases).
 */
function nfdumpLine(x: string[], macs: boolean, swapTimes = false): string {
  const [first, last] = swapTimes ? [x[1], x[0]] : [x[0], x[1]];
  const base = `${x[3]}:${x[5]} > ${x[4]}:${x[6]} p${PROTO[x[7]] ?? x[7]} ${x[11]} pkts ${x[12]} B ${first} ${last}`;
  return macs ? `${base} ${x[27]} ${x[28]}` : base;
}

const NO_TIME = "1970-01-01 00:00:00 1970-01-01 00:00:00";
const withoutTimes = (l: string): string => l.replace(/ \d{4}-\d\d-\d\d \d\d:\d\d:\d\d \d{4}-\d\d-\d\d \d\d:\d\d:\d\d/, "");

/**
 * nfdump 1.7.1 reads a flow time of 0 (the flow that started softflowd's clock, with -a) as no
 * time at all and prints the epoch; for those flows only, our times are set aside too.
 */
function untimed(ours: string[], theirs: string[]): string[] {
  const timeless = new Set(theirs.filter((l) => l.includes(NO_TIME)).map(withoutTimes));
  return ours.map((l) => (timeless.has(withoutTimes(l)) ? l.replace(/ \d{4}-\d\d-\d\d \d\d:\d\d:\d\d \d{4}-\d\d-\d\d \d\d:\d\d:\d\d/, ` ${NO_TIME}`) : l)).sort();
}

function ourLine(r: FlowRecord, macs: boolean, scale = 1): string {
  const base = `${r.srcIp}:${r.srcPort} > ${r.dstIp}:${r.dstPort} p${r.proto} ${r.packetsSrcToDst / scale} pkts ${r.bytesSrcToDst / scale} B ${second(r.firstUs)} ${second(r.lastUs)}`;
  return macs ? `${base} ${r.srcMac ?? "00:00:00:00:00:00"} ${r.dstMac ?? "00:00:00:00:00:00"}` : base;
}

describe("NetFlow/IPFIX from a real exporter, against nfcapd and nfdump", { skip: NO_CORPUS || NO_EXPORTERS }, () => {
  const cases: [string, string, string[], string][] = [
    ["chrissanders-packets/synscan.pcapng", "5", ["-T", "ether"], "2,000 flows over 69 v5 packets"],
    ["chrissanders-packets/synscan.pcapng", "9", ["-T", "ether"], "v9 with MAC addresses"],
    ["chrissanders-packets/synscan.pcapng", "10", ["-T", "ether"], "IPFIX with MAC addresses"],
    ["tj-oconnor-IoT-Dataset/pcaps/blink-cam-01.pcap", "9", ["-A", "milli"], "v9 with absolute times"],
    ["tj-oconnor-IoT-Dataset/pcaps/blink-cam-01.pcap", "10", ["-A", "milli"], "IPFIX with absolute times"],
    ["ntop-nDPI-tests/tests/cfgs/default/pcap/alexa-app.pcapng", "10", ["-6", "-T", "ether"], "IPFIX with IPv6 and ICMPv6"],
    ["ntop-nDPI-tests/tests/cfgs/default/pcap/alexa-app.pcapng", "9", ["-6"], "v9 with IPv6"],
  ];
  for (const [rel, version, extra, what] of cases) {
    it(`${what}: ${rel.split("/").pop()} -v ${version} ${extra.join(" ")}`, async () => {
      const { ours, theirs, collector } = await exportCapture(corpus(rel), version, extra);
      const macs = extra.includes("ether");
      // nfdump 1.7 leaves the ICMPv6 type and code of NetFlow v9 records out of the port
      // column (it keeps them for v5 and IPFIX); Cordon keeps them.
      const icmp6v9 = (l: string): string => (version === "9" ? l.replace(/:\d+ (p58 )/, ":0 $1") : l);
      const swap = version === "10" && !extra.includes("-A");
      assert.deepEqual(untimed(ours.map((r) => icmp6v9(ourLine(r, macs))), theirs.map((x) => nfdumpLine(x, macs, swap))), theirs.map((x) => nfdumpLine(x, macs, swap)).sort());
      const [s] = collector.stats();
      assert.equal(s.records, theirs.length);
      assert.equal(s.lost, 0, "no loss on loopback");
      assert.equal(s.noTemplate, 0);
      assert.deepEqual(s.errors, {});
    });
  }

  it("applies the sampling rate the exporter announces (nfdump does for v5 only)", async () => {
    const file = corpus("tj-oconnor-IoT-Dataset/pcaps/blink-cam-01.pcap");
    for (const version of ["5", "9", "10"]) {
      const { ours, theirs, collector } = await exportCapture(file, version, ["-s", "4"]);
      assert.equal(collector.stats()[0].samplingInterval, 4, `v${version} announces 1 in 4`);
      // nfdump 1.7.1 scales v5 counts by the header's interval, but not v9/IPFIX counts by an
      // options record that names no sampler id: there, Cordon's counts are nfdump's × 4.
      const scale = version === "5" ? 1 : 4;
      const expected = theirs.map((x) => nfdumpLine(x, false, version === "10"));
      assert.deepEqual(untimed(ours.map((r) => ourLine(r, false, scale)), expected), expected.sort(), `v${version}`);
    }
  });

  it("survives every datagram mutated (fuzz), and still decodes good ones afterwards", async () => {
    const { datagrams } = await exportCapture(corpus("tj-oconnor-IoT-Dataset/pcaps/blink-cam-01.pcap"), "10", ["-T", "ether"]);
    let seed = 7;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return seed % n;
    };
    let records = 0;
    const c = new NetflowCollector(() => records++, { maxPendingSets: 16 });
    for (let round = 0; round < 400; round++) {
      for (const d of datagrams) {
        const m = Buffer.from(d);
        const kind = rand(4);
        if (kind === 0) for (let i = 0; i < 1 + rand(8); i++) m[rand(m.length)] = rand(256);
        else if (kind === 1) m.writeUInt16BE(rand(2) ? 0xffff : 0, Math.min(m.length - 2, 2 + 4 * rand(m.length >> 2)));
        const cut = kind === 2 ? m.subarray(0, rand(m.length)) : m;
        c.receive(cut, `10.0.0.${rand(4)}`, 1000 + round);
      }
    }
    const before = records;
    const good = new NetflowCollector(() => records++);
    for (const d of datagrams) good.receive(d, "192.0.2.1", 0);
    assert.ok(records - before > 100);
    assert.ok(c.stats().reduce((a, s) => a + Object.values(s.errors).reduce((x, y) => x + y, 0), 0) > 0, "mutations are counted");
  });
});

/** A collector that keeps what it emits. */
function collect(o: ConstructorParameters<typeof NetflowCollector>[1] = {}): { c: NetflowCollector; out: FlowRecord[] } {
  const out: FlowRecord[] = [];
  return { c: new NetflowCollector((r) => out.push(r), o), out };
}

const T0 = 1_790_000_000;
const rec = (i: number): Buffer => ipv4Record(`10.1.0.${i}`, "10.2.0.1", 40000 + i, 443, 6, 10 + i, 1000 + i, T0 * 1000, T0 * 1000 + 5000);

/** `n` IPFIX messages, each a template and five records. */
function exportFlowsOf(n: number): Buffer[] {
  return Array.from({ length: n }, (_, m) => ipfixMessage(1_790_000_000, m * 5, 1, [templateSet(true, 300, IPV4_FLOW_FIELDS), dataSet(300, Array.from({ length: 5 }, (_, k) =>
    ipv4Record(`10.0.${m}.${k + 1}`, "10.9.0.1", 40000 + k, 443, 6, 3, 180, 1_790_000_000_000 + k, 1_790_000_000_010 + k)))]));
}

describe("IPFIX over TCP (RFC 7011 §10.4)", () => {
  it("cuts a stream into messages wherever its chunks end, and names a stream that cannot be cut", () => {
    const messages = exportFlowsOf(3);
    const whole = Buffer.concat(messages);
    for (const step of [1, 7, 16, 100, whole.length]) {
      const s = new IpfixStream();
      const out: Buffer[] = [];
      for (let i = 0; i < whole.length; i += step) {
        const got = s.push(whole.subarray(i, i + step));
        assert.ok(Array.isArray(got));
        out.push(...got.map((b) => Buffer.from(b)));
      }
      assert.deepEqual(out, messages, `chunks of ${step}`);
      assert.equal(s.held, 0);
    }
    const v9 = Buffer.from(messages[0]);
    v9.writeUInt16BE(9, 0);
    assert.equal(new IpfixStream().push(v9), "stream.not-ipfix");
    const short = Buffer.from(messages[0]);
    short.writeUInt16BE(8, 2);
    assert.equal(new IpfixStream().push(short), "stream.bad-length");
    // Garbage never throws: it is messages, a wait for more, or a named defect.
    for (let i = 0; i < 2000; i++) {
      const junk = Buffer.from(Array.from({ length: (i % 64) + 1 }, () => Math.floor(Math.random() * 256)));
      if (i % 3 === 0 && junk.length >= 2) junk.writeUInt16BE(10, 0);
      const got = new IpfixStream().push(junk);
      assert.ok(Array.isArray(got) || got === "stream.not-ipfix" || got === "stream.bad-length");
    }
  });

  it("softflowd exporting over TCP gives the flows nfdump reads from its UDP export of the same capture; the session's end forgets its templates", { skip: NO_CORPUS || NO_EXPORTERS }, async () => {
    const capture = corpus("chrissanders-packets/synscan.pcapng");
    const extra = ["-T", "ether"];
    const udp = await exportCapture(capture, "10", extra);
    const ours: FlowRecord[] = [];
    const collector = new NetflowCollector((r) => ours.push(r), { transport: "tcp" });
    let ended = 0;
    const listener = await listenIpfixTcp("127.0.0.1", 0, {
      admit: () => true,
      offer: (exporter, m) => {
        collector.receive(m, exporter, Date.now());
        return true;
      },
      ended: (exporter) => {
        assert.ok(collector.stats()[0].templates > 0, "templates live while the session does");
        collector.endSession(exporter);
        ended++;
      },
      error: (kind) => assert.fail(kind),
    });
    await softflowd(tmpDir("cordon-sftcp-"), capture, listener.port, "10", [...extra, "-P", "tcp"]);
    for (let i = 0; i < 100 && ended === 0; i++) await sleep(50);
    await listener.close();
    assert.equal(ended, 1);
    const theirs = udp.theirs.map((x) => nfdumpLine(x, true, true));
    assert.deepEqual(untimed(ours.map((r) => ourLine(r, true)), theirs), theirs.sort());
    const [s] = collector.stats();
    assert.equal(s.records, theirs.length);
    assert.equal(s.lost, 0);
    assert.equal(s.templates, 0, "templates end with their session");
    assert.deepEqual(s.errors, {});
  });
});

describe("NetFlow/IPFIX collector state", () => {
  it("holds IPFIX data that arrives before its template, then decodes it with the template", () => {
    const { c, out } = collect();
    c.receive(ipfixMessage(T0, 0, 1, [dataSet(300, [rec(1), rec(2)])]), "192.0.2.1", 0);
    assert.equal(out.length, 0);
    c.receive(ipfixMessage(T0, 2, 1, [templateSet(true, 300, IPV4_FLOW_FIELDS)]), "192.0.2.1", 500);
    assert.deepEqual(out.map((r) => `${r.srcIp}:${r.srcPort} ${r.packetsSrcToDst} ${r.bytesSrcToDst} ${r.firstUs} ${r.lastUs}`),
      [`10.1.0.1:40001 11 1001 ${T0 * 1e6} ${T0 * 1e6 + 5e6}`, `10.1.0.2:40002 12 1002 ${T0 * 1e6} ${T0 * 1e6 + 5e6}`]);
    assert.equal(c.stats()[0].noTemplate, 0);
  });

  it("counts held data as lost when its template does not come in time, and caps what it holds", () => {
    const { c, out } = collect({ pendingMs: 1000, maxPendingSets: 4 });
    for (let i = 0; i < 10; i++) c.receive(ipfixMessage(T0, i, 1, [dataSet(300 + i, [rec(i)])]), "192.0.2.1", 0);
    assert.equal(c.stats()[0].noTemplate, 6, "six over the cap at once");
    c.expire(1001);
    assert.equal(c.stats()[0].noTemplate, 10);
    c.receive(ipfixMessage(T0, 10, 1, [templateSet(true, 300, IPV4_FLOW_FIELDS)]), "192.0.2.1", 1002);
    assert.equal(out.length, 0);
  });

  it("honours template withdrawal over TCP only, and expires unrefreshed templates over UDP", () => {
    const withdraw = ipfixMessage(T0, 0, 1, [templateSet(true, 300, [])]);
    for (const transport of ["udp", "tcp"] as const) {
      const { c, out } = collect({ transport });
      c.receive(ipfixMessage(T0, 0, 1, [templateSet(true, 300, IPV4_FLOW_FIELDS)]), "192.0.2.1", 0);
      c.receive(withdraw, "192.0.2.1", 10);
      c.receive(ipfixMessage(T0, 0, 1, [dataSet(300, [rec(1)])]), "192.0.2.1", 20);
      assert.equal(out.length, transport === "udp" ? 1 : 0, transport);
      if (transport === "udp") assert.equal(c.stats()[0].errors["template.withdrawal-over-udp"], 1);
    }
    const { c, out } = collect({ templateLifetimeMs: 60_000 });
    c.receive(ipfixMessage(T0, 0, 1, [templateSet(true, 300, IPV4_FLOW_FIELDS)]), "192.0.2.1", 0);
    c.expire(60_001);
    c.receive(ipfixMessage(T0, 0, 1, [dataSet(300, [rec(1)])]), "192.0.2.1", 60_002);
    assert.equal(out.length, 0, "expired template");
    assert.equal(c.stats()[0].templates, 0);
  });

  it("reads variable-length fields (short and long form) and skips enterprise fields", () => {
    const { c, out } = collect();
    const fields: [number, number, number?][] = [[8, 4], [82, 65535], [12, 4], [1000, 4, 9], [83, 65535], [2, 4], [1, 4]];
    const long = Buffer.alloc(300, 0x41);
    const record = Buffer.concat([Buffer.from([10, 0, 0, 1]), Buffer.from([3]), Buffer.from("eth"), Buffer.from([10, 0, 0, 2]),
      Buffer.from([1, 2, 3, 4]), Buffer.from([255, 1, 44]), long, Buffer.from([0, 0, 0, 7]), Buffer.from([0, 0, 1, 0])]);
    c.receive(ipfixMessage(T0, 0, 1, [templateSet(true, 400, fields), dataSet(400, [record, record])]), "192.0.2.1", 0);
    assert.deepEqual(out.map((r) => `${r.srcIp} ${r.dstIp} ${r.packetsSrcToDst} ${r.bytesSrcToDst}`), ["10.0.0.1 10.0.0.2 7 256", "10.0.0.1 10.0.0.2 7 256"]);
    assert.deepEqual(c.stats()[0].errors, {});
  });

  it("counts loss from sequence numbers per domain: v5 flows, v9 packets, IPFIX records", () => {
    const { c } = collect();
    const v5 = (seq: number, count: number): Buffer => {
      const b = Buffer.alloc(24 + 48 * count);
      b.writeUInt16BE(5, 0);
      b.writeUInt16BE(count, 2);
      b.writeUInt32BE(1000, 4);
      b.writeUInt32BE(T0, 8);
      b.writeUInt32BE(seq, 16);
      for (let i = 0; i < count; i++) {
        b.writeUInt32BE(0x0a000001, 24 + i * 48);
        b.writeUInt32BE(0x0a000002, 28 + i * 48);
      }
      return b;
    };
    c.receive(v5(0, 10), "192.0.2.5", 0);
    c.receive(v5(10, 10), "192.0.2.5", 0);
    c.receive(v5(25, 10), "192.0.2.5", 0);
    const tmpl = templateSet(false, 256, IPV4_FLOW_FIELDS);
    c.receive(v9Packet(1000, T0, 100, 7, [tmpl]), "192.0.2.9", 0);
    c.receive(v9Packet(1100, T0, 103, 7, [dataSet(256, [rec(1)])]), "192.0.2.9", 0);
    c.receive(v9Packet(1100, T0, 50, 8, [tmpl]), "192.0.2.9", 0);
    c.receive(v9Packet(1200, T0, 51, 8, [dataSet(256, [rec(1)])]), "192.0.2.9", 0);
    const ipfix = (seq: number, n: number): Buffer => ipfixMessage(T0, seq, 3, [templateSet(true, 300, IPV4_FLOW_FIELDS), dataSet(300, Array.from({ length: n }, (_, i) => rec(i)))]);
    c.receive(ipfix(0, 3), "192.0.2.10", 0);
    c.receive(ipfix(3, 3), "192.0.2.10", 0);
    c.receive(ipfix(10, 3), "192.0.2.10", 0);
    const lost = Object.fromEntries(c.stats().map((s) => [`${s.exporter} v${s.version} ${s.domain}`, s.lost]));
    assert.deepEqual(lost, { "192.0.2.5 v5 0": 5, "192.0.2.9 v9 7": 2, "192.0.2.9 v9 8": 0, "192.0.2.10 v10 3": 4 });
  });

  it("recognises an exporter restart (uptime going back, or the sequence starting over) and forgets its templates", () => {
    const { c, out } = collect();
    c.receive(v9Packet(5_000_000, T0, 2_000_000, 1, [templateSet(false, 256, IPV4_FLOW_FIELDS)]), "192.0.2.9", 0);
    c.receive(v9Packet(2_000, T0 + 10, 0, 1, [dataSet(256, [rec(1)])]), "192.0.2.9", 10);
    assert.equal(out.length, 0, "the old template is gone after a restart");
    assert.equal(c.stats()[0].restarts, 1);
    assert.equal(c.stats()[0].lost, 0);
    const ipfix = (seq: number): Buffer => ipfixMessage(T0, seq, 3, [templateSet(true, 300, IPV4_FLOW_FIELDS), dataSet(300, [rec(1)])]);
    c.receive(ipfix(3_000_000), "192.0.2.10", 0);
    c.receive(ipfix(0), "192.0.2.10", 0);
    const s = c.stats().find((x) => x.version === 10)!;
    assert.equal(s.restarts, 1);
    assert.equal(s.lost, 0);
  });

  it("applies v9 and IPFIX sampling from options records", () => {
    const { c, out } = collect();
    c.receive(v9Packet(1000, T0, 0, 1, [
      optionsTemplateSet(false, 257, [[1, 4]], [[34, 4], [35, 1]]),
      dataSet(257, [Buffer.from([0, 0, 0, 0, 0, 0, 0, 100, 2])]),
      templateSet(false, 256, IPV4_FLOW_FIELDS), dataSet(256, [rec(1)]),
    ]), "192.0.2.9", 0);
    assert.equal(out[0].packetsSrcToDst, 1100);
    assert.equal(out[0].bytesSrcToDst, 100_100);
    c.receive(ipfixMessage(T0, 0, 1, [
      optionsTemplateSet(true, 258, [[149, 4]], [[305, 4], [306, 4]]),
      dataSet(258, [Buffer.from([0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 9])]),
      templateSet(true, 300, IPV4_FLOW_FIELDS), dataSet(300, [rec(2)]),
    ]), "192.0.2.10", 0);
    assert.equal(out[1].packetsSrcToDst, 120, "1 packet in 10: interval 1, space 9");
  });

  it("counts garbage, truncation and absurd templates per exporter, and other exporters are unaffected", () => {
    const { c, out } = collect({ maxDomains: 8 });
    let seed = 1;
    const rand = (): number => {
      seed = (seed * 48271) % 2147483647;
      return seed;
    };
    for (let i = 0; i < 500; i++) c.receive(Buffer.from(Array.from({ length: rand() % 120 }, () => rand() & 0xff)), "198.51.100.1", i);
    const manyFields = Array.from({ length: 600 }, (): [number, number] => [1, 4]);
    c.receive(ipfixMessage(T0, 0, 1, [templateSet(true, 300, manyFields)]), "198.51.100.2", 0);
    c.receive(ipfixMessage(T0, 0, 1, [templateSet(true, 301, [[1, 0], [2, 0]])]), "198.51.100.2", 0);
    const cut = ipfixMessage(T0, 0, 1, [templateSet(true, 302, IPV4_FLOW_FIELDS)]);
    c.receive(cut.subarray(0, cut.length - 6), "198.51.100.2", 0);
    const lying = Buffer.from(cut);
    lying.writeUInt16BE(60000, 16 + 4 + 2);
    lying.writeUInt16BE(lying.length - 16, 16 + 2);
    c.receive(lying, "198.51.100.2", 0);
    c.receive(ipfixMessage(T0, 0, 1, [templateSet(true, 303, [[2, 4], [1, 0], [8, 4], [12, 4]]),
      dataSet(303, [Buffer.from([0, 0, 0, 5, 10, 0, 0, 1, 10, 0, 0, 2])])]), "198.51.100.2", 0);
    assert.equal(out.length, 1, "a template with some zero-length fields still decodes");
    // A record cut inside a variable-length field (a cut shorter than a record would be padding).
    const named: [number, number][] = [[8, 4], [82, 65535], [12, 4]];
    const whole = Buffer.concat([Buffer.from([10, 0, 0, 1, 3]), Buffer.from("eth"), Buffer.from([10, 0, 0, 2])]);
    const cutShort = Buffer.concat([Buffer.from([10, 0, 0, 1, 200]), Buffer.alloc(20, 0x61)]);
    c.receive(ipfixMessage(T0, 0, 1, [templateSet(true, 300, named), dataSet(300, [whole, cutShort])]), "198.51.100.3", 0);
    const errs = Object.fromEntries(c.stats().map((s) => [s.exporter, s.errors]));
    assert.equal(errs["198.51.100.2"]["template.bad-field-count"], 1);
    assert.equal(errs["198.51.100.2"]["template.empty"], 1);
    assert.ok(errs["198.51.100.2"]["set.truncated"] >= 1 || errs["198.51.100.2"]["ipfix.bad-length"] >= 1);
    assert.equal(errs["198.51.100.2"]["template.truncated"], 1);
    assert.equal(errs["198.51.100.3"]["data.truncated-record"], 1);
    assert.ok(c.errors.total() > 0, "garbage with no domain is counted on the collector");
    assert.ok(c.stats().length <= 8, "domains are capped");
    assert.equal(out.length, 2, "the good exporter's whole record still arrives");
  });
});

describe("NetFlow records build the inventory", () => {
  it("keys devices by MAC when the records carry MACs, else by private address", () => {
    const p = createPipeline({ flows: () => undefined });
    const c = new NetflowCollector((r) => p.pushFlow(r));
    const withMacs: [number, number][] = [[8, 4], [12, 4], [7, 2], [11, 2], [4, 1], [2, 4], [1, 4], [56, 6], [80, 6]];
    const r1 = Buffer.concat([Buffer.from([10, 0, 0, 5, 10, 0, 0, 9, 0x9c, 0x40, 0x01, 0xf6, 6, 0, 0, 0, 3, 0, 0, 1, 0]),
      Buffer.from("00408c112233", "hex"), Buffer.from("001b1b23eb3b", "hex")]);
    c.receive(ipfixMessage(T0, 0, 1, [templateSet(true, 300, withMacs), dataSet(300, [r1])]), "192.0.2.1", 0);
    c.receive(ipfixMessage(T0, 0, 2, [templateSet(true, 300, IPV4_FLOW_FIELDS), dataSet(300, [rec(7)])]), "192.0.2.1", 0);
    p.flush();
    const devices = [...p.inventory.devices.values()];
    const axis = devices.find((d) => d.mac === "00:40:8c:11:22:33")!;
    assert.equal(axis.ouiVendor, "Axis Communications AB");
    assert.deepEqual([...axis.addresses.keys()], ["10.0.0.5"]);
    assert.equal(axis.packetsOut, 3);
    assert.ok(devices.some((d) => d.mac === "00:1b:1b:23:eb:3b" && d.packetsIn === 3));
    assert.ok(devices.some((d) => d.mac === undefined && d.ipKey === "10.1.0.7" && d.packetsOut === 17));
    assert.ok(devices.some((d) => d.mac === undefined && d.ipKey === "10.2.0.1"));
    assert.equal(p.stats.flows, 2);
  });
});

describe("collector memory budgets: floods push out idle state, never lock exporters out", () => {
  const T = 1_763_805_600;
  const manyFields = Array.from({ length: 512 }, (_, i): [number, number] => [1000 + i, 1]);

  it("after 4,096 and more new domains a real softflowd exporter is still decoded", { skip: NO_CORPUS || NO_EXPORTERS }, async () => {
    const { datagrams, collector: reference } = await exportCapture(corpus("chrissanders-packets/synscan.pcapng"), "10", ["-T", "ether"]);
    const want = reference.stats()[0].records;
    const ours: FlowRecord[] = [];
    const c = new NetflowCollector((r) => ours.push(r));
    let now = Date.now();
    // One exporter with 5,000 domains, then 5,000 spoofed exporters with one each.
    for (let i = 0; i < 5000; i++) c.receive(ipfixMessage(T, 0, i, []), "192.0.2.66", now++);
    assert.ok(c.held().domains <= 256, `one exporter holds at most its share: ${c.held().domains}`);
    for (let i = 0; i < 5000; i++) c.receive(ipfixMessage(T, 0, 1, []), `198.51.${i >> 8}.${i & 255}`, now++);
    assert.equal(c.held().domains, 4096);
    assert.ok((c.errors.toJSON()["domain.evicted"] ?? 0) >= 5000);
    for (const d of datagrams) c.receive(d, "127.0.0.1", now++);
    assert.equal(ours.length, want, "every record of the real exporter decoded");
    assert.ok(want > 1000);
  });

  it("a template flood stays within the byte budget; an exporter that keeps sending keeps its template", () => {
    // What the collector keeps is measured after a full collection (RSS keeps V8's freed pages for a while).
    setFlagsFromString("--expose-gc");
    const gc = runInNewContext("gc") as () => void;
    gc();
    const heapBefore = process.memoryUsage().heapUsed;
    const ours: FlowRecord[] = [];
    const c = new NetflowCollector((r) => ours.push(r));
    let now = Date.now();
    const legit = (seq: number): Buffer => ipfixMessage(T, seq, 7, [dataSet(300, [ipv4Record("10.0.0.5", "10.0.0.9", 40000, 502, 6, 1, 60, T * 1000, T * 1000)])]);
    c.receive(ipfixMessage(T, 0, 7, [templateSet(true, 300, IPV4_FLOW_FIELDS)]), "10.1.1.1", now);
    let legitSeq = 0;
    for (let i = 0; i < 10_240; i++) {
      // 10,240 templates of 512 fields: 327 MiB of templates without a budget.
      c.receive(ipfixMessage(T, 0, i % 64, [templateSet(true, 256 + (i >> 6), manyFields)]), `203.0.113.${i % 200}`, now);
      now += 2;
      if (i % 500 === 0) c.receive(legit(legitSeq++), "10.1.1.1", now);
      assert.ok(c.held().templateBytes <= 64 << 20, `${c.held().templateBytes} bytes of templates`);
    }
    assert.equal(ours.length, legitSeq, "the active exporter's records all decoded during the flood");
    assert.ok((c.errors.toJSON()["template.evicted"] ?? 0) > 0);
    gc();
    const retainedMiB = (process.memoryUsage().heapUsed - heapBefore) / (1 << 20);
    assert.ok(retainedMiB < 80, `${retainedMiB.toFixed(0)} MiB retained (the budget is 64 MiB of templates; unbounded, 286 MiB)`);
  });

  it("held data sets are bounded in bytes and idle domains expire", () => {
    const c = new NetflowCollector(() => undefined, { maxPendingBytes: 1 << 20, domainIdleMs: 60_000 });
    let now = 1_000_000;
    const big = Array.from({ length: 60 }, () => ipv4Record("10.0.0.5", "10.0.0.9", 1, 2, 6, 1, 60, T * 1000, T * 1000));
    for (let i = 0; i < 2000; i++) c.receive(ipfixMessage(T, 0, i % 1000, [dataSet(400 + (i % 7), big)]), `203.0.113.${i % 250}`, now++);
    assert.ok(c.held().pendingBytes <= 1 << 20, `${c.held().pendingBytes} bytes held`);
    assert.ok(c.held().pendingBytes > (1 << 20) - 4000, "the budget is used, not refused");
    c.expire(now + 61_000);
    assert.deepEqual(c.held(), { domains: 0, templateBytes: 0, pendingBytes: 0 });
  });
});

describe("IPFIX over TCP: connections are bounded in number and idle time", () => {
  it("past the cap the idlest connection goes; a silent one times out; a real exporter still gets in", async () => {
    const errors: string[] = [];
    const offered: string[] = [];
    const listener = await listenIpfixTcp("127.0.0.1", 0, {
      admit: () => true, offer: (exporter) => (offered.push(exporter), true), ended: () => undefined, error: (kind) => void errors.push(kind),
    }, { maxConnections: 8, idleTimeoutMs: 400 });
    const { connect } = await import("node:net");
    const open = (): Promise<import("node:net").Socket> => new Promise((r) => {
      const s = connect(listener.port, "127.0.0.1", () => r(s));
      s.on("error", () => undefined);
    });
    try {
      const half = ipfixMessage(1_763_805_600, 0, 1, [templateSet(true, 300, IPV4_FLOW_FIELDS)]).subarray(0, 10);
      const sockets = [];
      for (let i = 0; i < 20; i++) {
        const s = await open();
        s.write(half);
        sockets.push(s);
        await sleep(5);
      }
      await sleep(50);
      assert.equal(errors.filter((e) => e === "stream.evicted").length, 12, errors.join(","));
      await sleep(600);
      assert.equal(errors.filter((e) => e === "stream.idle-timeout").length, 8, "the silent ones time out");
      const real = await open();
      real.write(ipfixMessage(1_763_805_600, 0, 1, [templateSet(true, 300, IPV4_FLOW_FIELDS)]));
      await sleep(100);
      assert.equal(offered.length, 1);
      real.destroy();
      for (const s of sockets) s.destroy();
    } finally {
      await listener.close();
    }
  });
});
