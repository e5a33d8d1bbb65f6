import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { flowFilter, latestFlows } from "../src/app/queries.js";
import type { DeviceChange } from "../src/inventory/inventory.js";
import type { FlowRecord } from "../src/model/flow-record.js";
import { RecentFlows } from "../src/store/recent-flows.js";
import { Store } from "../src/store/store.js";

const M1 = "02:00:00:00:00:01";
const M2 = "02:00:00:00:00:02";
const M3 = "02:00:00:00:00:03";

const address = (ip: string): DeviceChange["addresses"][number] => ({ ip, origin: "arp", firstUs: 1, lastUs: 2, source: "t", packet: 1 });
const device = (site: string, mac: string, ips: string[]): DeviceChange => ({
  site, key: mac, mac, ouiVendor: null, localMac: false, router: false, firstUs: 1, lastUs: 2, packetsOut: 1, packetsIn: 1, bytesOut: 1, bytesIn: 1,
  dropTrafficAddresses: false, addresses: ips.map(address), endpoints: [], facts: [],
});

/** Random flows among three devices, addresses without MACs (as NetFlow's) and the outside world, out of time order, in two sites. */
function flows(count: number, seed: number, firstId: number): FlowRecord[] {
  const rnd = (n: number): number => (seed = (seed * 1103515245 + 12345) % 2147483648) % n;
  const ends: [string | undefined, string][] = [[M1, "10.0.0.7"], [undefined, "10.0.0.7"], [undefined, "10.0.0.8"], [M2, "10.0.0.9"], [M3, "192.168.1.3"],
    [undefined, "10.0.0.50"], [undefined, "fd00::5"], [undefined, "8.8.8.8"], [undefined, "2001:db8::1"]];
  return Array.from({ length: count }, (_, i) => {
    const [srcMac, srcIp] = ends[rnd(ends.length)];
    const [dstMac, dstIp] = ends[rnd(ends.length)];
    const firstUs = rnd(100_000);
    const f: FlowRecord = {
      site: rnd(4) === 0 ? "b" : "a", source: `capture-${rnd(3)}.pcap`, vlan: rnd(3), proto: rnd(2) ? 6 : 17, srcIp, srcPort: 1024 + rnd(60_000), dstIp, dstPort: rnd(3) ? 443 : 502,
      initiatorKnown: rnd(2) === 0, packetsSrcToDst: rnd(1000), bytesSrcToDst: rnd(1e6) * 1e3, packetsDstToSrc: rnd(1000), bytesDstToSrc: rnd(1e6),
      firstUs, lastUs: firstUs + rnd(5000), tcpFlagsSrc: rnd(256), tcpFlagsDst: rnd(256), endReason: rnd(2) ? "idle" : `fin-${firstId + i}`,
    };
    if (srcMac) f.srcMac = srcMac;
    if (dstMac) f.dstMac = dstMac;
    if (rnd(2)) f.appProtocol = rnd(2) ? "tls" : "modbus";
    if (rnd(3) === 0) f.appConfidence = rnd(2) ? "dpi" : "port";
    if (rnd(4) === 0) f.appService = "tuya";
    return f;
  });
}

/** Every way a device is asked for, with every site choice. */
const ASKS = [M1, "10.0.0.7", "10.0.0.8", M2, "10.0.0.9", M3, "192.168.1.3", "10.0.0.50", "fd00::5"].flatMap((device) => [{ device }, { device, site: "a" }, { device, site: "b" }]);

describe("the newest flows kept per end (store/recent-flows.ts)", () => {
  it("give what reading the chunks gives, for every device, site and limit, as flows are stored and folded in slices", () => {
    const store = new Store(":memory:");
    store.saveDevices([device("a", M1, ["10.0.0.7", "10.0.0.8"]), device("a", M2, ["10.0.0.9"]), device("b", M3, ["192.168.1.3"])]);
    // Five kept per end, so most flows are pushed out again: what stays must still be each end's newest.
    const recent = new RecentFlows(1000, 100_000, 5);
    let stored = 0;
    let answered = 0;
    for (let round = 0; round < 6; round++) {
      for (let b = 0; b < 3; b++) {
        const batch = flows(300 + 97 * round, 11 + round * 7 + b, stored + 1);
        store.saveFlows(batch);
        stored += batch.length;
      }
      // A fold with a budget stops after a chunk and goes on from there.
      let slices = 0;
      while (!(recent.fold(store, "a", 1) && recent.fold(store, "b", 1))) slices++;
      assert.ok(slices >= 2, "three chunks took more than one slice");
      for (const ask of ASKS) {
        for (const n of [1, 3, 5, 6]) {
          const f = flowFilter(ask);
          const chunks = latestFlows(store, f, n);
          const kept = latestFlows(store, f, n, { recent });
          assert.deepEqual(kept.flows, chunks.flows, `${JSON.stringify(ask)} ${n}`);
          assert.equal(kept.read, n <= 5 ? "recent" : "chunks", `${JSON.stringify(ask)} ${n}: within what an end keeps, and all its hosts private`);
          if (kept.read === "recent" && kept.flows.length > 0) answered++;
        }
      }
      // Each end holds at most five; the texts and slots of the flows pushed out are given back.
      assert.ok(recent.kept <= 13 * 5, `${recent.kept} kept`);
    }
    assert.ok(answered > 100, `${answered} answers came from the kept flows`);
    // Flows not yet folded are folded by the read itself.
    store.saveFlows(flows(50, 99, stored + 1).map((f) => ({ ...f, site: "a", srcMac: M1, srcIp: "10.0.0.7", firstUs: 200_000 + f.firstUs })));
    const fresh = latestFlows(store, flowFilter({ device: M1, site: "a" }), 5, { recent });
    assert.deepEqual([fresh.read, fresh.flows], ["recent", latestFlows(store, flowFilter({ device: M1, site: "a" }), 5).flows]);
    assert.ok(fresh.flows.every((x) => x.firstUs >= 200_000));
    store.close();
  });

  it("answer nothing for a device with a public address, an end that lost a flow, or once full", () => {
    const store = new Store(":memory:");
    store.saveDevices([device("a", M1, ["10.0.0.7"]), device("a", M2, ["203.0.113.9"])]);
    const base = flows(400, 5, 1).map((f) => ({ ...f, site: "a" }));
    store.saveFlows(base);
    const recent = new RecentFlows();
    const ask = (device: string, r = recent): string => latestFlows(store, flowFilter({ device, site: "a" }), 10, { recent: r }).read;
    assert.equal(ask(M1), "recent");
    // Its public address may be a flow's only end, without a MAC: those are not kept.
    assert.equal(ask(M2), "chunks");
    assert.equal(ask("8.8.8.8"), "chunks");
    // A port past 16 bits is stored (as rows) but not kept: the end's newest are unknown from here.
    store.saveFlows([{ ...base[0], srcMac: M1, srcIp: "10.0.0.7", srcPort: 70_000, firstUs: 500_000, lastUs: 500_001 }]);
    const lost = latestFlows(store, flowFilter({ device: M1, site: "a" }), 10, { recent });
    assert.equal(lost.read, "chunks");
    assert.equal(lost.flows[0].srcPort, 70_000);
    // Room for 20 flows, or for 3 ends: past either it says nothing.
    assert.equal(ask(M1, new RecentFlows(1000, 20)), "chunks");
    assert.equal(ask(M1, new RecentFlows(3)), "chunks");
    const roomy = new RecentFlows(1000, 100_000);
    assert.equal(ask("10.0.0.50", roomy), "recent");
    assert.equal(roomy.full, false);
    store.close();
  });
});
