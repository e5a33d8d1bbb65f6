import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import { buildBaselines } from "../src/baseline/baseline.js";
import type { SiteDevice } from "../src/baseline/device-index.js";
import { DEFAULT_LAB, generateLab } from "../src/lab/generate.js";
import type { FlowRecord } from "../src/model/flow-record.js";
import { runCli, tmpDir } from "./helpers.js";
import { parseDnsAnswer } from "../src/model/dns-answer.js";

const DAY = 86_400_000_000;
const T0 = Date.UTC(2026, 0, 5, 0, 0, 0) * 1000; // a Monday, 00:00 UTC

function flow(atUs: number, src: string, dst: string, proto: number, dstPort: number, bytes = 100): FlowRecord {
  return {
    site: "default", source: "t", vlan: 0, proto, srcIp: src, srcPort: 40000, dstIp: dst, dstPort, initiatorKnown: true,
    packetsSrcToDst: 1, bytesSrcToDst: bytes, packetsDstToSrc: 1, bytesDstToSrc: 50, firstUs: atUs, lastUs: atUs + 1000,
    tcpFlagsSrc: 0, tcpFlagsDst: 0, endReason: "idle",
  };
}
const dev = (key: string, ip: string, category: string, dnsAnswers: string[] = []): SiteDevice => ({ key, ips: [ip], category, router: false, dnsAnswers: dnsAnswers.map((a) => parseDnsAnswer(a)!) });

const devices = [
  dev("cam1", "10.0.0.1", "camera", ["cloud.example.com A 52.1.2.3"]),
  dev("cam2", "10.0.0.2", "camera"),
  dev("nvr", "10.0.0.9", "nvr"),
];

/** Eight days: the NVR pulls RTSP from both cameras hourly in working hours; cam1 calls its cloud; cam2 an unnamed address. */
function steadyWeek(): FlowRecord[] {
  const out: FlowRecord[] = [];
  for (let d = 0; d < 8; d++) {
    for (let h = 8; h < 18; h++) {
      const t = T0 + d * DAY + h * 3_600_000_000;
      out.push(flow(t, "10.0.0.9", "10.0.0.1", 6, 554, 400), flow(t + 1, "10.0.0.9", "10.0.0.2", 6, 554, 400));
      out.push(flow(t + 2, "10.0.0.1", "52.1.2.3", 6, 443), flow(t + 3, "10.0.0.2", "198.51.100.20", 6, 443));
    }
  }
  return out;
}

describe("baselines", () => {
  it("name peers by device and role, DNS name, or external network; count both directions", () => {
    const flows = steadyWeek();
    flows.push(flow(T0 + 3 * DAY + 1, "10.0.0.2", "198.51.100.77", 6, 443));
    const { devices: b } = buildBaselines(devices, flows);
    const cam1 = b.find((x) => x.key === "cam1")!;
    assert.deepEqual(cam1.elements.map((e) => `${e.direction} ${e.peer} ${e.peerRole} ${e.proto}/${e.port} ${e.flows}`).sort(),
      ["initiates dns:cloud.example.com external tcp/443 80", "serves device:nvr nvr tcp/554 80"]);
    const cam2 = b.find((x) => x.key === "cam2")!;
    assert.deepEqual(cam2.elements.filter((e) => e.direction === "initiates").map((e) => `${e.peer} ${e.flows}`), ["cidr:198.51.100.0/24 81"],
      "two addresses of one provider /24 are one peer");
    const nvr = b.find((x) => x.key === "nvr")!;
    assert.equal(nvr.initiatedShare, 1);
    assert.equal(nvr.elements.find((e) => e.peer === "device:cam1")!.bytesOut, 80 * 400);
  });

  it("keep time patterns: flows by hour of day and weekday, volume per active hour", () => {
    const { devices: b } = buildBaselines(devices, steadyWeek());
    const cam1 = b.find((x) => x.key === "cam1")!;
    assert.deepEqual(cam1.hours.map((n, h) => (n > 0 ? h : -1)).filter((h) => h >= 0), [8, 9, 10, 11, 12, 13, 14, 15, 16, 17]);
    assert.equal(cam1.hours[8], 16, "8 days x (one served + one started) flow in the 08:00 hour");
    assert.equal(cam1.weekdays[1], 40, "two Mondays");
    assert.equal(cam1.activeHours, 80);
    assert.equal(cam1.volume.outMean, 50 + 100, "per hour: 50 B of RTSP replies + 100 B to the cloud");
  });

  it("are mature only when long, busy and settled enough", () => {
    const steady = buildBaselines(devices, steadyWeek()).devices.find((x) => x.key === "cam1")!;
    assert.equal(steady.stability, 1);
    assert.ok(steady.mature, steady.maturity);
    const flows = steadyWeek();
    for (let i = 0; i < 3; i++) flows.push(flow(T0 + 7 * DAY + 10 * 3_600_000_000 + i, "10.0.0.1", "10.0.0.9", 17, 9000 + i));
    const changing = buildBaselines(devices, flows).devices.find((x) => x.key === "cam1")!;
    assert.equal(changing.stability, 1 - 3 / 5);
    assert.ok(!changing.mature);
    assert.match(changing.maturity, /stability 0\.40 < 0\.9 \(3 of 5 elements new in the last quarter\)/);
    const short = buildBaselines(devices, steadyWeek().filter((f) => f.firstUs < T0 + 2 * DAY)).devices.find((x) => x.key === "cam1")!;
    assert.match(short.maturity, /not mature: window 33\.0 h of 168 h/);
    assert.ok(buildBaselines(devices, steadyWeek().filter((f) => f.firstUs < T0 + 2 * DAY), { minWindowS: 86400 }).devices.find((x) => x.key === "cam1")!.mature);
  });

  it("learn only within the learning window", () => {
    const b = buildBaselines(devices, steadyWeek(), { fromUs: T0 + DAY, toUs: T0 + 2 * DAY }).devices.find((x) => x.key === "cam1")!;
    assert.equal(b.flows, 20);
    assert.ok(b.window.firstUs >= T0 + DAY && b.window.lastUs < T0 + 2 * DAY + 1000);
  });

  it("per category: what its devices do, with internal peers by role and how many devices do it", () => {
    const { categories } = buildBaselines(devices, steadyWeek());
    const cams = categories.find((c) => c.category === "camera")!;
    assert.equal(cams.devices, 2);
    assert.deepEqual(cams.elements.map((e) => `${e.direction} ${e.peer} ${e.proto}/${e.port} ${e.devices}`).sort(),
      ["initiates cidr:198.51.100.0/24 tcp/443 1", "initiates dns:cloud.example.com tcp/443 1", "serves category:nvr tcp/554 2"]);
  });

  it("cordon baseline shows a lab site's baselines; policy learn says how many are not mature", () => {
    const dir = tmpDir("cordon-baseline-");
    const lab = generateLab(dir, { ...DEFAULT_LAB, devices: 30, durationS: 1200, seed: 4 });
    const db = join(dir, "c.db");
    assert.equal(runCli(["analyze", "--db", db, lab.pcap]).status, 0);
    const all = JSON.parse(runCli(["baseline", "--db", db, "--format", "json", "--min-window", "600"]).stdout) as { devices: { key: string; mature: boolean; category: string }[] };
    const camera = all.devices.find((d) => d.category === "camera");
    assert.ok(camera?.mature, "a camera's 20 minutes of RTSP and cloud calls settle within a 10-minute window");
    const one = runCli(["baseline", "--db", db, "--device", camera.key]);
    assert.equal(one.status, 0, one.stderr);
    assert.match(one.stdout, /not mature: window 0\.3 h of 168 h/);
    assert.match(one.stdout, /serves +device:\S+ +nvr +tcp +554/);
    assert.equal(runCli(["baseline", "--db", db, "--device", "00:00:00:00:00:99"]).status, 2);
    const learned = JSON.parse(runCli(["policy", "learn", "--db", db, "--format", "json"]).stdout) as { policy: { review: string[] } };
    assert.ok(learned.policy.review.some((r) => /managed devices have baselines that are not mature yet/.test(r)));
  });
});
