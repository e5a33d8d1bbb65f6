import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { DNP3_OPERATIONS } from "../src/dissect/dnp3.js";
import { CIP_OPERATIONS, CIP_TAG_OPERATIONS } from "../src/dissect/enip.js";
import { MODBUS_READS, MODBUS_WRITES } from "../src/dissect/modbus.js";
import { S7_FUNCTIONS } from "../src/dissect/s7comm.js";
import type { Device } from "../src/inventory/device.js";
import { HAVE_CORPUS, NO_CORPUS, NO_TSHARK, captureRows, corpus, inventoryOf, tsharkFields } from "./helpers.js";

/** Every value of the given kinds across devices, with the operation name cut to its first word. */
function values(devices: Device[], kinds: string[]): string[] {
  const out: string[] = [];
  for (const d of devices) for (const k of kinds) for (const v of d.factValues(k as never)) out.push(v);
  return out;
}

function ops(devices: Device[], prefix: string): Set<string> {
  return new Set(values(devices, ["ot.operation"]).filter((v) => v.startsWith(prefix)).map((v) => v.slice(prefix.length).split(" ")[0]));
}

function invert(m: Record<number, string>): Map<string, number> {
  return new Map(Object.entries(m).map(([k, v]) => [v, Number(k)]));
}

function filesWith(protocol: string): string[] {
  return captureRows().filter((r) => r.protocols.includes(protocol) && r.linktype === "Ethernet").map((r) => r.path);
}

const hex = (n: number): string => `0x${n.toString(16).padStart(2, "0")}`;
const skip = NO_CORPUS || NO_TSHARK;

describe("S7comm job functions equal tshark's", { skip }, () => {
  const codes = invert(S7_FUNCTIONS);
  for (const name of ["plc-start", "insert-block", "delete-block", "compress-memory"]) codes.set(name, 0x28);
  for (const rel of HAVE_CORPUS ? filesWith("s7comm") : []) {
    it(rel, async () => {
      const file = corpus(rel);
      const expected = new Set(tsharkFields(file, "s7comm.header.rosctr == 1 && s7comm.param.func", ["s7comm.param.func"]).map(([f]) => Number(f)));
      const devices = await inventoryOf(file);
      const got = new Set<number>();
      for (const op of ops(devices, "s7.")) got.add(codes.get(op)!);
      for (const v of values(devices, ["s7.client"])) got.add(v === "setup-communication" ? 0xf0 : codes.get(v)!);
      assert.deepEqual([...got].sort().map(hex), [...expected].sort().map(hex));
    });
  }
});

describe("DNP3 master functions equal tshark's", { skip }, () => {
  const codes = invert(DNP3_OPERATIONS);
  codes.set("read", 1);
  for (const rel of HAVE_CORPUS ? filesWith("dnp3") : []) {
    it(rel, async () => {
      const file = corpus(rel);
      const expected = new Set(tsharkFields(file, "dnp3.ctl.dir == 1 && dnp3.ctl.prm == 1 && dnp3.al.func", ["dnp3.al.func"])
        .flatMap(([f]) => f.split(",").map(Number)).filter((f) => codes.has(DNP3_OPERATIONS[f]) || f === 1));
      const devices = await inventoryOf(file);
      const got = new Set<number>([...ops(devices, "dnp3.")].map((o) => codes.get(o)!));
      if (values(devices, ["dnp3.client"]).includes("read")) got.add(1);
      assert.deepEqual([...got].sort().map(hex), [...expected].sort().map(hex));
    });
  }
});

describe("Modbus request functions equal tshark's", { skip }, () => {
  const codes = new Map([...invert(MODBUS_WRITES), ...invert(MODBUS_READS)]);
  for (const rel of HAVE_CORPUS ? filesWith("mbtcp") : []) {
    it(rel, async () => {
      const file = corpus(rel);
      const known = new Set(codes.values());
      const expected = new Set(tsharkFields(file, "modbus.func_code && tcp.dstport == 502", ["modbus.func_code"])
        .flatMap(([f]) => f.split(",").map(Number)).filter((f) => known.has(f)));
      const devices = await inventoryOf(file);
      const got = new Set<number>([...ops(devices, "modbus.")].map((o) => codes.get(o)).filter((c): c is number => c !== undefined));
      for (const v of values(devices, ["modbus.client"])) if (codes.has(v)) got.add(codes.get(v)!);
      assert.deepEqual([...got].sort().map(hex), [...expected].sort().map(hex));
    });
  }
});

describe("EtherNet/IP identities and CIP services equal tshark's", { skip }, () => {
  for (const rel of HAVE_CORPUS ? filesWith("enip") : []) {
    it(rel, async () => {
      const file = corpus(rel);
      const devices = await inventoryOf(file);
      const identities = new Set(tsharkFields(file, "enip.lir.vendor", ["eth.src", "enip.lir.vendor", "enip.lir.devtype", "enip.lir.prodcode", "enip.lir.name"])
        .map(([mac, vendor, ...rest]) => [mac, Number(vendor), ...rest].join(" ")));
      const got = new Set<string>();
      for (const d of devices) {
        const v = d.factValues("cip.vendor_id");
        if (v.length === 0) continue;
        got.add([d.mac, v[0], d.factValues("cip.device_type")[0], d.factValues("cip.product_code")[0], d.factValues("cip.product_name")[0]].join(" "));
      }
      assert.deepEqual([...got].sort(), [...identities].sort(), "ListIdentity answers");
      // Cordon reads every segment as it comes; tshark's TCP analysis skips segments it calls
      // retransmissions, so that analysis is off here. The wrappers (Unconnected Send 0x52,
      // Multiple Service Packet 0x0a) are unwrapped by Cordon rather than recorded.
      const services = new Set(tsharkFields(file, "cip.rr == 0 && tcp", ["cip.sc"], ["-o", "tcp.analyze_sequence_numbers:FALSE"])
        .flatMap(([s]) => s.split(",").map(Number)).filter((s) => s !== 0x52 && s !== 0x0a));
      const names = new Map([...invert(CIP_OPERATIONS), ...invert(CIP_TAG_OPERATIONS)]);
      const seen = new Set<number>([...ops(devices, "cip.")].map((o) => names.get(o)!));
      for (const v of values(devices, ["cip.client"])) seen.add(Number.parseInt(v.replace("service 0x", ""), 16));
      assert.deepEqual([...seen].sort().map(hex), [...services].sort().map(hex), "CIP request services over TCP");
    });
  }
});

describe("BACnet I-Am identities equal tshark's", { skip }, () => {
  for (const rel of HAVE_CORPUS ? filesWith("bacapp") : []) {
    it(rel, async () => {
      const file = corpus(rel);
      // Only I-Ams of the sending host itself: not routed from another BACnet network, not forwarded by a BBMD.
      const expected = new Set(tsharkFields(file, "bacapp.unconfirmed_service == 0 && udp && !bacnet.snet && bvlc.function != 0x04",
        ["eth.src", "bacapp.instance_number", "bacapp.vendor_identifier"]).map((r) => r.join(" ")));
      const remote = tsharkFields(file, "bacapp.unconfirmed_service == 0 && udp && (bacnet.snet || bvlc.function == 0x04)", ["bacapp.instance_number"]).length;
      const devices = await inventoryOf(file);
      let remoteGot = 0;
      const instances = new Set<string>();
      const vendors = new Set<string>();
      for (const d of devices) {
        const own = d.factValues("bacnet.device_instance");
        if (own.length > 0) assert.equal(d.router, false, `${d.mac ?? d.ipKey} announces BACnet devices but is a router`);
        for (const i of own) instances.add(i);
        for (const v of d.factValues("bacnet.vendor_id")) vendors.add(v);
        remoteGot += d.factValues("bacnet.remote_device").length;
      }
      assert.deepEqual([...instances].sort(), [...new Set([...expected].map((e) => e.split(" ")[1]))].sort(), "device instances");
      // Vendor ids come from I-Am and from vendor-identifier (property 120) answers.
      const iAmVendors = new Set([...expected].map((e) => e.split(" ")[2]));
      for (const v of iAmVendors) assert.ok(vendors.has(v), `vendor ${v} from I-Am`);
      const property120 = tsharkFields(file, "bacapp.property_identifier == 120 && bacapp.type == 3", ["frame.number"]).length;
      assert.ok(vendors.size === iAmVendors.size || property120 > 0, "every other vendor id comes from a vendor-identifier answer");
      assert.equal(remoteGot > 0, remote > 0, "devices behind routers and BBMDs are recorded as remote");
    });
  }
});

interface Expected { hostile: { capture: string; class: string; source?: string; target?: string; note?: string }[] }

describe("OT operations in the hostile corpus captures", { skip: NO_CORPUS }, () => {
  const expected = HAVE_CORPUS ? (JSON.parse(readFileSync(corpus("expected-alerts.json"), "utf8")) as Expected).hostile.filter((h) => h.class === "ot-operation") : [];
  for (const e of expected) {
    it(`${e.capture}: ${e.note}`, async () => {
      const devices = await inventoryOf(corpus(e.capture));
      const actor = devices.find((d) => d.addresses.has(e.source!))!;
      assert.ok(actor, `a device holds ${e.source}`);
      const done = actor.factValues("ot.operation").filter((v) => v.includes(` to ${e.target}`));
      assert.ok(done.length > 0, `${e.source} has an operation on ${e.target}: ${actor.factValues("ot.operation").join("; ")}`);
      const target = devices.find((d) => d.addresses.has(e.target!))!;
      assert.ok(target.factValues("ot.operation_received").some((v) => v.includes(` from ${e.source}`)));
    });
  }
});
