import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { decodeFrame } from "../src/dissect/decode.js";
import { newPacket } from "../src/dissect/packet.js";
import { IdentityWatch, checkIdentity, comparable } from "../src/inventory/identity.js";
import type { Evidence } from "../src/inventory/device.js";
import { type WrittenFrame, writePcap } from "../src/lab/capture-writer.js";
import type { ObservationKind } from "../src/model/observation.js";
import { readCapture } from "../src/sources/capture.js";
import { NO_CORPUS, corpus, haveTool, runCli, tmpDir } from "./helpers.js";
import { withReplayPair } from "./netns.js";
import { serve, waitFor } from "./serve-process.js";

const CAMERA = "f4:b8:5e:ff:2b:1b"; // the Blink camera of tj-oconnor's week-long capture (TI SimpleLink stack)
const PHONE = "78:f8:82:d3:fb:c2"; // the Android phone of nDPI's alexa-app capture
const macBytes = (mac: string): Buffer => Buffer.from(mac.replace(/:/g, ""), "hex");

async function framesOf(file: string): Promise<WrittenFrame[]> {
  const out: WrittenFrame[] = [];
  await readCapture(file, (f) => {
    out.push({ tsUs: f.tsUs, data: Buffer.from(f.buf.subarray(f.offset, f.offset + f.caplen)), wireLen: f.wireLen });
  });
  return out;
}

const isDhcp = (data: Buffer): boolean => {
  const p = newPacket();
  const r = decodeFrame({ buf: data, offset: 0, caplen: data.length, wireLen: data.length, tsUs: 0, linkType: 1, index: 1 }, p);
  return r === undefined && p.proto === 17 && [67, 68].includes(p.srcPort) && [67, 68].includes(p.dstPort);
};

/**
 * The camera's week, then, an hour after its last frame, the phone's traffic under the camera's
 * MAC: what a spoofer that took the camera's place on its port would send. `copyDhcp`: the
 * spoofer sends no DHCP of its own (it copied the camera's, or kept a static address).
 */
async function spliced(copyDhcp: boolean): Promise<string> {
  const camera = await framesOf(corpus("tj-oconnor-IoT-Dataset/pcaps/blink-cam-01.pcap"));
  const phone = (await framesOf(corpus("ntop-nDPI-tests/tests/cfgs/default/pcap/alexa-app.pcapng")))
    .filter((f) => f.data.subarray(0, 6).equals(macBytes(PHONE)) || f.data.subarray(6, 12).equals(macBytes(PHONE)))
    .filter((f) => !copyDhcp || !isDhcp(f.data));
  const shift = camera[camera.length - 1].tsUs + 3_600_000_000 - phone[0].tsUs;
  // The spoofer uses the camera's MAC everywhere it writes its own: Ethernet, and DHCP's client hardware address and id.
  const spoofed = phone.map((f) => {
    const data = Buffer.from(f.data);
    for (let at = data.indexOf(macBytes(PHONE)); at >= 0; at = data.indexOf(macBytes(PHONE), at + 6)) macBytes(CAMERA).copy(data, at);
    return { ...f, data, tsUs: f.tsUs + shift };
  });
  const file = join(tmpDir("cordon-splice-"), copyDhcp ? "static-spoof.pcap" : "spoof.pcap");
  writeFileSync(file, writePcap([...camera, ...spoofed]));
  return file;
}

interface AlertJson { class: string; severity: string; device: string | null; title: string }

/** The identity-change alerts of a capture analysed into a new database, and the camera's identity.change records. */
function identityAlerts(file: string): AlertJson[] & { records?: string[] } {
  const db = join(tmpDir("cordon-identity-"), "i.db");
  const r = runCli(["analyze", "--db", db, file]);
  assert.equal(r.status, 0, r.stderr);
  const alerts: AlertJson[] & { records?: string[] } = (JSON.parse(runCli(["alerts", "--db", db, "--format", "json", "--all"]).stdout) as AlertJson[]).filter((a) => a.class === "identity-change");
  const [camera] = JSON.parse(runCli(["device", "--db", db, "--format", "json", CAMERA]).stdout) as { facts: { kind: string; value: string }[] }[];
  alerts.records = camera.facts.filter((f) => f.kind === "identity.change").map((f) => f.value);
  return alerts;
}

describe("identity by many signals", () => {
  const ev = (tsUs: number): Evidence => ({ source: "t", packet: 1, tsUs });
  const device = (facts: [ObservationKind, string, number][]) => {
    const d = {
      facts: new Map<ObservationKind, Map<string, { value: string; count: number }>>(),
      identity: undefined as IdentityWatch | undefined,
      added: [] as string[],
      addFact(kind: ObservationKind, value: string): void {
        this.added.push(`${kind}=${value}`);
      },
    };
    for (const [k, v, n] of facts) (d.facts.get(k) ?? d.facts.set(k, new Map()).get(k)!).set(v, { value: v, count: n });
    return d;
  };

  it("an app update (new TLS fingerprint and user agent) is no identity change; a new TCP/IP stack or DHCP client is", () => {
    const d = device([["tls.ja4", "t13d1516h2_8daaf6152771_02713d6af862", 40], ["http.user_agent", "Camera/1.0", 12], ["tcp.syn_fingerprint", "ttl 64 65535_2-4-8-1-3_1460_7", 30]]);
    checkIdentity(d, "tls.ja4", "t13d1715h2_5b57614c22b0_3d5424432f57", ev(1));
    checkIdentity(d, "http.user_agent", "Camera/1.1", ev(2));
    assert.deepEqual(d.added, []);
    // The same stack with another window size (an app's buffer) is the same stack.
    checkIdentity(d, "tcp.syn_fingerprint", "ttl 64 29200_2-4-8-1-3_1460_7", ev(3));
    assert.deepEqual(d.added, []);
    checkIdentity(d, "tcp.syn_fingerprint", "ttl 128 64240_2-1-3-1-1-4_1460_8", ev(4));
    assert.equal(d.added.length, 1);
    assert.match(d.added[0], /^identity\.change=score 0\.66: tcp\.syn_fingerprint: ttl 64 65535_2-4-8-1-3_1460_7 -> ttl 128 64240_2-1-3-1-1-4_1460_8; tls\.ja4: .*; http\.user_agent: Camera\/1\.0 -> Camera\/1\.1$/);
  });

  it("changes an hour apart do not add up; a value seen once is not settled; missing signals never throw", () => {
    const d = device([["tls.ja4", "a", 5], ["http.user_agent", "x", 1], ["dhcp.hostname", "cam", 9]]);
    checkIdentity(d, "tls.ja4", "b", ev(0));
    checkIdentity(d, "dhcp.hostname", "laptop", ev(2 * 3_600_000_000));
    checkIdentity(d, "http.user_agent", "y", ev(2 * 3_600_000_000 + 1));
    checkIdentity(d, "mdns.hostname", "anything", ev(2 * 3_600_000_000 + 2));
    assert.deepEqual(d.added, []);
    assert.equal(comparable("tcp.syn_fingerprint", "garbled"), "garbled");
  });

  it("an OT device's serial number alone is enough; the record is made again when another signal joins", () => {
    const w = new IdentityWatch();
    assert.match(w.change("s7.serial", "S C-X4U421302009", "S C-B1234567", 1) ?? "", /^score 0\.90: s7\.serial/);
    assert.equal(w.change("s7.serial", "S C-B1234567", "S C-B7654321", 2), undefined, "the same signal again adds nothing");
    assert.match(w.change("s7.order_number", "6ES7 315-2EH14-0AB0", "6ES7 151-8AB01-0AB0", 3) ?? "", /^score 0\.99: s7\.serial: S C-X4U421302009 -> S C-B7654321; s7\.order_number/,
      "a further signal: the record again, naming both");
  });
});

describe("a MAC taken over by another machine, spliced from real captures", { skip: NO_CORPUS }, () => {
  it("the camera's own week raises no identity change", async () => {
    const alerts = identityAlerts(corpus("tj-oconnor-IoT-Dataset/pcaps/blink-cam-01.pcap"));
    assert.equal(alerts.length, 0);
    assert.deepEqual(alerts.records, []);
  });

  it("a phone on the camera's MAC: its DHCP client and TCP/IP stack differ", async () => {
    const alerts = identityAlerts(await spliced(false));
    assert.equal(alerts.length, 1, JSON.stringify(alerts));
    assert.equal(alerts[0].device, CAMERA);
    assert.match(alerts[0].title, /no longer looks like itself: score 0\.72: dhcp\.param_list: 1,3,6 -> 1,33,3,6,15,26,28,51,58,59; dhcp\.hostname: /);
    // As more signals join, the record is made again; the last names them all.
    assert.match(alerts.records!.at(-1)!, /dhcp\.param_list: .*tcp\.syn_fingerprint: ttl 128 \S+ -> ttl 64 /);
  });

  it("the same phone that copied the camera's DHCP (or kept a static address): its TCP/IP stack still gives it away", async () => {
    const alerts = identityAlerts(await spliced(true));
    assert.equal(alerts.length, 1, JSON.stringify(alerts));
    assert.doesNotMatch(alerts[0].title, /dhcp\./);
    assert.match(alerts[0].title, /score 0\.\d\d: tcp\.syn_fingerprint: ttl 128 /);
  });
});

const NO_NETNS = process.getuid?.() !== 0 ? "needs root (a network namespace of its own)"
  : !["ip", "tcpdump", "tcpreplay"].every(haveTool) ? "ip, tcpdump or tcpreplay missing (run .ci/run, which installs them)" : false;

describe("serve sees a MAC taken over, live", { skip: NO_CORPUS || NO_NETNS }, () => {
  it("the spliced capture replayed into a namespace: serve raises the identity change too", async () => {
    const file = await spliced(true);
    const ns = `cordon-i${process.pid}`;
    await withReplayPair(ns, async () => {
      const db = join(tmpDir("cordon-identity-live-"), "live.db");
      const s = await serve(["--db", db, "--capture", "cva"], ["ip", "netns", "exec", ns]);
      await waitFor(async () => s.logs.some((l) => l.msg === "live capture listening"), "tcpdump listening", 30);
      await new Promise((r) => setTimeout(r, 1000));
      execFileSync("ip", ["netns", "exec", ns, "tcpreplay", "--topspeed", "-q", "-i", "cvb", file], { stdio: "ignore" });
      await new Promise((r) => setTimeout(r, 1500));
      s.child.kill("SIGTERM");
      assert.equal(await s.exit, 0);
      const alerts = (JSON.parse(runCli(["alerts", "--db", db, "--format", "json", "--all"]).stdout) as AlertJson[]).filter((a) => a.class === "identity-change");
      assert.equal(alerts.length, 1, JSON.stringify(alerts));
      assert.equal(alerts[0].device, CAMERA);
      assert.match(alerts[0].title, /no longer looks like itself: score 0\.\d\d: tcp\.syn_fingerprint: ttl 128 /);
    });
  });
});
