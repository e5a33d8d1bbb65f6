import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { analyzeCaptures } from "../src/app/analyze-captures.js";
import { ethernet, ipv4, arp, tcp, SYN, ACK, udp } from "../src/lab/craft.js";
import { writePcap, type WrittenFrame } from "../src/lab/capture-writer.js";
import { Store } from "../src/store/store.js";
import { deviceView, isoTime } from "../src/inventory/view.js";
import { ouiVendor } from "../src/inventory/oui.js";
import { Inventory, ROUTER_MIN_IPV4 } from "../src/inventory/inventory.js";
import { HAVE_CORPUS, NO_CORPUS, corpus, tmpDir } from "./helpers.js";
import { writeFileSync } from "node:fs";
import { saveInventory } from "../src/app/site-run.js";

function capture(frames: WrittenFrame[]): string {
  const file = join(tmpDir(), "c.pcap");
  writeFileSync(file, writePcap(frames));
  return file;
}

async function analyze(files: string[], site = "default", db = join(tmpDir(), "t.db")): Promise<Store> {
  const store = new Store(db);
  await analyzeCaptures(store, files, site);
  return store;
}

const GW = "00:1c:7f:53:d0:28";
const HOST = "f4:b8:5e:ff:2b:1b";

/** A host behind a gateway talking to several internet servers. */
function routedTraffic(t0: number, servers = 6): WrittenFrame[] {
  const frames: WrittenFrame[] = [
    { tsUs: t0, data: ethernet("ff:ff:ff:ff:ff:ff", HOST, 0x0806, arp(1, HOST, "192.168.1.20", "00:00:00:00:00:00", "192.168.1.1")) },
    { tsUs: t0 + 1, data: ethernet(HOST, GW, 0x0806, arp(2, GW, "192.168.1.1", HOST, "192.168.1.20")) },
  ];
  for (let i = 0; i < servers; i++) {
    const server = `34.200.${i}.10`;
    frames.push({ tsUs: t0 + 10 + i * 10, data: ethernet(GW, HOST, 0x0800, ipv4({ src: "192.168.1.20", dst: server, proto: 6 }, tcp(40000 + i, 443, SYN, 1))) });
    frames.push({ tsUs: t0 + 15 + i * 10, data: ethernet(HOST, GW, 0x0800, ipv4({ src: server, dst: "192.168.1.20", proto: 6 }, tcp(443, 40000 + i, SYN | ACK, 9))) });
  }
  return frames;
}

describe("OUI vendors", () => {
  it("names the MA-L owner, and the owner of a smaller MA-M block inside an IEEE-held OUI", () => {
    assert.equal(ouiVendor(0x00408c123456), "Axis Communications AB");
    assert.equal(ouiVendor(0x100648000001), "FLEXTRONICS TECHNOLOGIES (INDIA) PVT LTD");
    assert.equal(ouiVendor(0x02aabbccddee), undefined);
  });
});

describe("record times", () => {
  it("isoTime writes what Date.toISOString writes, for any time from 1970 to year 10000 and beyond", () => {
    const reference = (us: number): string => new Date(Math.floor(us / 1000)).toISOString();
    const times = [0, 999, 1000, 86_399_999_999, 86_400_000_000, 951_782_400_000_000 /* 2000-02-29 */, 1_700_000_000_123_456, (253_402_300_800_000 - 1) * 1000 /* the last millisecond of year 9999 */, 0.5, 1999.9];
    let x = 12345;
    for (let i = 0; i < 20_000; i++) {
      x = (Math.imul(x, 1_103_515_245) + 12_345) >>> 0;
      times.push((x / 2 ** 32) * 253_402_300_800_000_000, 1_600_000_000_000_000 + x * 1_000_003);
    }
    for (const us of times) assert.equal(isoTime(us), reference(us), String(us));
    // Outside four-digit years, Date decides (six-digit years, or its RangeError).
    assert.equal(isoTime(-1_000_000), reference(-1_000_000));
    assert.equal(isoTime(253_402_300_800_000_000), "+010000-01-01T00:00:00.000Z");
    assert.throws(() => isoTime(Number.NaN), RangeError);
  });
});

describe("inventory", () => {
  it("treats a MAC fronting remote addresses as a router whose own address is the ARP-confirmed one", async () => {
    const store = await analyze([capture(routedTraffic(1_700_000_000_000_000))]);
    const devices = store.devices().map(deviceView);
    const gw = devices.find((d) => d.mac === GW)!;
    const host = devices.find((d) => d.mac === HOST)!;
    assert.equal(gw.router, true);
    assert.deepEqual(gw.ips, ["192.168.1.1"]);
    assert.equal(gw.endpoints_behind, 6);
    assert.equal(host.router, false);
    assert.deepEqual(host.ips, ["192.168.1.20"]);
    assert.equal(host.oui_vendor, "Texas Instruments");
    assert.equal(devices.length, 2, "remote servers are endpoints, not devices");
    store.close();
  });

  it("a router carrying thousands of local hosts: they are devices of their own, and its own addresses are not worked out again for each", () => {
    const inv = new Inventory();
    const router = 0x020000000001;
    const ev = (i: number): { source: string; packet: number; tsUs: number } => ({ source: "t", packet: i, tsUs: 1e15 + i });
    const local = (i: number): string => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
    const hosts = 10_000;
    for (let i = 1; i <= hosts; i++) inv.bindEnd("plant", router, local(i), ev(i), 1e15 + i);
    const gw = inv.byMacNumber("plant", router)!;
    assert.equal(gw.router, true);
    // The first few sent before the MAC looked like a router are credited to it (nothing of theirs to move).
    assert.equal(inv.devices.size, 1 + hosts - (ROUTER_MIN_IPV4 - 1), "every local host behind it is a device by its address");
    assert.ok(gw.addressVersion <= 4, `the own addresses changed ${gw.addressVersion} times, not once per host`);
    // Its own address, once ARP confirms it, is still told from the hosts behind it.
    inv.observe(gw, "arp.claim", "10.0.0.1", ev(hosts + 1));
    assert.equal(inv.bindEnd("plant", router, "10.0.0.1", ev(hosts + 2), 1e15), gw);
    assert.notEqual(inv.bindEnd("plant", router, local(7), ev(hosts + 3), 1e15), gw);
  });

  it("keeps devices of two sites apart even with the same addresses, and merges a second capture", async () => {
    const db = join(tmpDir(), "m.db");
    const a = capture(routedTraffic(1_700_000_000_000_000, 1));
    const b = capture(routedTraffic(1_700_000_100_000_000, 1));
    (await analyze([a], "north", db)).close();
    (await analyze([a], "south", db)).close();
    const store = await analyze([b], "north", db);
    const devices = store.devices();
    assert.equal(devices.filter((d) => d.site === "north").length, 2);
    assert.equal(devices.filter((d) => d.site === "south").length, 2);
    const host = devices.find((d) => d.site === "north" && d.mac === HOST)!;
    assert.equal(host.firstUs, 1_700_000_000_000_000);
    assert.equal(host.lastUs, 1_700_000_100_000_015);
    assert.equal(host.packetsOut, 2 + 2, "ARP request and SYN from each capture");
    const sources = store.sources();
    assert.deepEqual(sources.map((x) => [x.name, x.site, x.packets, x.format]), [[a, "north", 4, "pcap"], [a, "south", 4, "pcap"], [b, "north", 4, "pcap"]]);
    store.close();
  });

  it("marks locally administered MACs and still records devices seen only as destinations", async () => {
    const rnd = "da:a1:19:00:00:01";
    const store = await analyze([capture([
      { tsUs: 1e15, data: ethernet(rnd, HOST, 0x0800, ipv4({ src: "10.1.1.1", dst: "10.1.1.2", proto: 17 }, udp(5000, 6000, Buffer.from("x")))) },
    ])]);
    const d = store.devices().map(deviceView).find((x) => x.mac === rnd)!;
    assert.equal(d.randomized_mac, true);
    assert.equal(d.oui_vendor, null);
    assert.deepEqual(d.ips, ["10.1.1.2"]);
    assert.equal(d.packets_in, 1);
    store.close();
  });

  it("keeps evidence (source, packet, time) for every fact", async () => {
    const file = capture(routedTraffic(1_700_000_000_000_000, 1));
    const store = await analyze([file]);
    const gw = store.devices().find((d) => d.mac === GW)!;
    const claim = gw.facts.find((f) => f.kind === "arp.claim")!;
    assert.deepEqual({ v: claim.value, s: claim.source, p: claim.packet, t: claim.firstUs }, { v: "192.168.1.1", s: file, p: 2, t: 1_700_000_000_000_001 });
    store.close();
  });
});

interface Labels { captures: Record<string, Record<string, { vendor: string; category: string }>> }

describe("labelled corpus captures", { skip: NO_CORPUS }, () => {
  it("holds each labelled MAC with the IEEE organisation of its OUI", async () => {
    if (!HAVE_CORPUS) return;
    const labels = JSON.parse(readFileSync(corpus("labels.json"), "utf8")) as Labels;
    const oui = JSON.parse(readFileSync(corpus("npm-oui-data/index.json"), "utf8")) as Record<string, string>;
    for (const [rel, macs] of Object.entries(labels.captures)) {
      const store = await analyze([corpus(rel)]);
      const devices = new Map(store.devices().map((d) => [d.mac, d]));
      for (const mac of Object.keys(macs)) {
        const d = devices.get(mac);
        assert.ok(d, `${rel}: ${mac} is in the inventory`);
        const expected = oui[mac.replace(/:/g, "").slice(0, 6).toUpperCase()]?.split("\n")[0] ?? null;
        assert.equal(d.ouiVendor, expected, `${rel}: ${mac}`);
      }
      store.close();
    }
  });
});

describe("reading the stored inventory a page at a time", () => {
  it("gives every device once, ordered by site and key, each with its own addresses and facts, across pages and sites", async () => {
    const { Inventory } = await import("../src/inventory/inventory.js");
    const inv = new Inventory();
    const n = 2600;
    for (let i = 0; i < n; i++) {
      const site = i % 2 === 0 ? "a" : "b";
      const ip = `10.${(i >> 8) & 0xff}.${i & 0xff}.1`;
      const ev = { source: "t", packet: i, tsUs: 1_000_000 + i };
      const d = inv.bindTraffic(site, 0x020000000000 + i, ip, ev, ev.tsUs)!;
      inv.observe(d, "dhcp.hostname", `host-${i}`, ev);
      if (i % 3 === 0) inv.observe(d, "dns.query", `q${i}.example.com`, ev);
    }
    const store = new Store(join(tmpDir(), "pages.db"));
    saveInventory(store, inv);
    const all = [...store.eachDevice()];
    assert.equal(all.length, n);
    const keys = all.map((d) => `${d.site}|${d.key}`);
    assert.deepEqual(keys, [...keys].sort());
    assert.equal(new Set(all.map((d) => d.id)).size, n);
    for (const d of all) {
      const i = Number.parseInt(d.mac!.replaceAll(":", ""), 16) - 0x020000000000;
      assert.equal(d.site, i % 2 === 0 ? "a" : "b");
      assert.deepEqual(d.addresses.map((a) => a.ip), [`10.${(i >> 8) & 0xff}.${i & 0xff}.1`]);
      assert.deepEqual(d.facts.map((f) => `${f.kind}=${f.value}`), [...(i % 3 === 0 ? [`dns.query=q${i}.example.com`] : []), `dhcp.hostname=host-${i}`].sort());
    }
    const b = store.devices("b");
    assert.equal(b.length, n / 2);
    assert.ok(b.every((d) => d.site === "b"));
    assert.deepEqual(b.map((d) => d.id), all.filter((d) => d.site === "b").map((d) => d.id));
    store.close();
  });
});
