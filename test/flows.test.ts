import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { describe, it } from "node:test";
import { ACK, FIN, SYN, ethernet, ipv4, tcp, udp } from "../src/lab/craft.js";
import { createPipeline } from "../src/pipeline.js";
import type { FlowRecord } from "../src/model/flow-record.js";
import { readCapture } from "../src/sources/capture.js";
import type { Frame } from "../src/model/frame.js";
import { HAVE_CORPUS, NO_CORPUS, NO_TSHARK, captureRows, corpus } from "./helpers.js";

const A = "02:00:00:00:00:0a";
const B = "02:00:00:00:00:0b";

function frame(data: Buffer, tsUs: number, index = 1): Frame {
  return { buf: data, offset: 0, caplen: data.length, wireLen: data.length, tsUs, linkType: 1, index };
}

function run(frames: Frame[], opts: Parameters<typeof createPipeline>[1] = {}): { flows: FlowRecord[]; evictions: number } {
  const flows: FlowRecord[] = [];
  const p = createPipeline({ flows: (b) => flows.push(...b) }, opts);
  p.beginSource("test", "default");
  for (const f of frames) p.push(f);
  p.flush();
  return { flows, evictions: p.flowTable.evictions };
}

const c2s = (flags: number, sport = 40000): Buffer => ethernet(B, A, 0x0800, ipv4({ src: "10.0.0.1", dst: "10.0.0.2", proto: 6 }, tcp(sport, 80, flags, 1)));
const s2c = (flags: number, dport = 40000): Buffer => ethernet(A, B, 0x0800, ipv4({ src: "10.0.0.2", dst: "10.0.0.1", proto: 6 }, tcp(80, dport, flags, 1)));

describe("flow table", () => {
  it("keys flows both ways and knows the initiator from the SYN", () => {
    const { flows } = run([frame(s2c(SYN | ACK), 1e15), frame(c2s(ACK), 1e15 + 1), frame(s2c(ACK), 1e15 + 2)]);
    assert.equal(flows.length, 1);
    const f = flows[0];
    assert.deepEqual([f.srcIp, f.srcPort, f.dstIp, f.dstPort, f.initiatorKnown], ["10.0.0.1", 40000, "10.0.0.2", 80, true]);
    assert.deepEqual([f.packetsSrcToDst, f.packetsDstToSrc, f.bytesSrcToDst, f.bytesDstToSrc], [1, 2, 40, 80]);
    assert.equal(f.tcpFlagsDst, SYN | ACK);
    assert.deepEqual([f.srcMac, f.dstMac], [A, B]);
  });

  it("ends a flow after the idle timeout, in record time", () => {
    const { flows } = run([frame(c2s(SYN), 1e15), frame(c2s(ACK), 1e15 + 121e6), frame(c2s(ACK), 1e15 + 122e6)]);
    assert.deepEqual(flows.map((f) => [f.packetsSrcToDst, f.endReason]), [[1, "idle"], [2, "flush"]]);
  });

  it("ends a flow after the active timeout even while it is busy", () => {
    const frames: Frame[] = [];
    for (let i = 0; i <= 40; i++) frames.push(frame(c2s(ACK), 1e15 + i * 60e6));
    const { flows } = run(frames, { flows: { activeTimeoutUs: 600e6 } });
    assert.equal(flows.length, 4);
    assert.equal(flows[0].endReason, "active");
    assert.equal(flows.reduce((n, f) => n + f.packetsSrcToDst, 0), 41);
  });

  it("starts a new flow when a SYN reuses the ports of a closed one", () => {
    const { flows } = run([frame(c2s(SYN), 1e15), frame(c2s(FIN | ACK), 1e15 + 1), frame(s2c(FIN | ACK), 1e15 + 2), frame(c2s(SYN), 1e15 + 3)]);
    assert.deepEqual(flows.map((f) => f.endReason), ["closed", "flush"]);
  });

  it("evicts the least recently seen flow past the cap and counts it", () => {
    const frames = [0, 1, 2, 3].map((i) => frame(c2s(SYN, 50000 + i), 1e15 + i));
    frames.push(frame(c2s(ACK, 50000), 1e15 + 10));
    const { flows, evictions } = run(frames, { flows: { maxFlows: 3 } });
    assert.equal(evictions, 2);
    assert.deepEqual(flows.filter((f) => f.endReason === "evicted").map((f) => f.srcPort), [50000, 50001]);
    assert.equal(flows.length, 5);
  });

  it("keeps the VLAN in the key", () => {
    const v = (vlan: number): Buffer => ethernet(B, A, 0x0800, ipv4({ src: "10.0.0.1", dst: "10.0.0.2", proto: 17 }, udp(5000, 53, Buffer.alloc(12))), vlan);
    const { flows } = run([frame(v(10), 1e15), frame(v(20), 1e15 + 1)]);
    assert.deepEqual(flows.map((f) => f.vlan).sort(), [10, 20]);
  });

  it("counts later IPv4 fragments on the flow of the first", () => {
    const payload = udp(7000, 7001, Buffer.alloc(40));
    const first = ethernet(B, A, 0x0800, ipv4({ src: "10.0.0.1", dst: "10.0.0.2", proto: 17, id: 77, moreFragments: true }, payload.subarray(0, 24)));
    const second = ethernet(B, A, 0x0800, ipv4({ src: "10.0.0.1", dst: "10.0.0.2", proto: 17, id: 77, fragmentOffset: 3 }, payload.subarray(24)));
    const { flows } = run([frame(first, 1e15), frame(second, 1e15 + 1)]);
    assert.equal(flows.length, 1);
    assert.deepEqual([flows[0].packetsSrcToDst, flows[0].bytesSrcToDst], [2, 20 + 20 + 8 + 40], "two IP headers and the whole UDP datagram");
  });
});

/** tshark's IPv4 TCP and UDP conversations: "a:port b:port" (sorted ends) → frames. */
function tsharkConversations(file: string): Map<string, number> {
  const out = execFileSync("tshark", ["-r", file, "-q", "-z", "conv,tcp", "-z", "conv,udp"], { encoding: "utf8", maxBuffer: 64 << 20, stdio: ["ignore", "pipe", "ignore"] });
  const m = new Map<string, number>();
  for (const line of out.split("\n")) {
    const r = /^(\d+\.\d+\.\d+\.\d+:\d+)\s+<->\s+(\d+\.\d+\.\d+\.\d+:\d+)\s+(\d+)\s+\S+(?:\s+\S+)?\s+(\d+)\s+\S+(?:\s+\S+)?\s+(\d+)\s/.exec(line);
    if (!r) continue;
    const key = [r[1], r[2]].sort().join(" ");
    m.set(key, (m.get(key) ?? 0) + Number(r[5]));
  }
  return m;
}

describe("flows agree with tshark's conversations", { skip: NO_CORPUS || NO_TSHARK }, () => {
  const picks = HAVE_CORPUS
    ? captureRows().filter((r) => r.linktype === "Ethernet" && r.packets >= 100 && r.packets <= 20000
      && !r.protocols.some((p) => p.includes("fragment") || p === "ip.reassembled_in")
      && /ntop-nDPI-tests|chrissanders|tj-oconnor|v4k0nd/.test(r.path)).slice(0, 25)
    : [];
  for (const row of picks) {
    it(row.path, async () => {
      const file = corpus(row.path);
      const expect = tsharkConversations(file);
      const flows: FlowRecord[] = [];
      // Long timeouts: tshark never splits a conversation.
      const p = createPipeline({ flows: (b) => flows.push(...b) }, { flows: { idleTimeoutUs: 1e15, activeTimeoutUs: 1e15 } });
      p.beginSource(file, "default");
      await readCapture(file, p.push);
      p.flush();
      const got = new Map<string, number>();
      for (const f of flows) {
        if ((f.proto !== 6 && f.proto !== 17) || f.srcIp.includes(":")) continue;
        const key = [`${f.srcIp}:${f.srcPort}`, `${f.dstIp}:${f.dstPort}`].sort().join(" ");
        got.set(key, (got.get(key) ?? 0) + f.packetsSrcToDst + f.packetsDstToSrc);
      }
      const diff: string[] = [];
      for (const [k, n] of expect) if (got.get(k) !== n) diff.push(`${k}: tshark ${n}, cordon ${got.get(k) ?? 0}`);
      for (const [k, n] of got) if (!expect.has(k)) diff.push(`${k}: cordon ${n}, not in tshark`);
      assert.deepEqual(diff, []);
    });
  }
});

