import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { bacnet } from "../src/dissect/bacnet.js";
import type { DissectContext } from "../src/dissect/context.js";
import { dnp3Tcp } from "../src/dissect/dnp3.js";
import { enipTcp } from "../src/dissect/enip.js";
import { modbus } from "../src/dissect/modbus.js";
import { newPacket } from "../src/dissect/packet.js";
import { s7comm } from "../src/dissect/s7comm.js";

interface Recorded { facts: string[]; ops: string[]; errors: string[] }

function recorder(dstPort = 0): [DissectContext, Recorded] {
  const r: Recorded = { facts: [], ops: [], errors: [] };
  const pkt = newPacket();
  pkt.dstPort = dstPort;
  const ctx: DissectContext = {
    pkt,
    emit: (kind, subject, value) => r.facts.push(`${typeof subject === "string" ? subject : "mac"} ${kind}=${value}`),
    operation: (op, detail, actor = "src") => r.ops.push(`${actor} ${op}${detail ? ` (${detail})` : ""}`),
    error: (k) => r.errors.push(k),
  };
  return [ctx, r];
}

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ""), "hex");

describe("Modbus/TCP", () => {
  it("reads Read Device Identification answers (FC 43 / MEI 14)", () => {
    const objects = Buffer.concat([
      Buffer.from([0, 9]), Buffer.from("Schneider"),
      Buffer.from([1, 10]), Buffer.from("BMX P34 20"),
      Buffer.from([2, 5]), Buffer.from("v3.20"),
    ]);
    const pdu = Buffer.concat([Buffer.from([0x2b, 0x0e, 0x01, 0x01, 0x00, 0x00, 3]), objects]);
    const mbap = Buffer.from([0, 1, 0, 0, 0, pdu.length + 1, 0xff]);
    const [ctx, r] = recorder(40000);
    assert.equal(modbus.dissect(Buffer.concat([mbap, pdu]), 0, mbap.length + pdu.length, ctx), true);
    assert.deepEqual(r.facts, ["src modbus.unit=255", "src modbus.vendor=Schneider", "src modbus.product_code=BMX P34 20", "src modbus.revision=v3.20"]);
  });

  it("records writes as operations and reads as client functions, several ADUs per segment", () => {
    const write = hex("0001 0000 0006 01 06 0010 00ff");
    const read = hex("0002 0000 0006 01 03 0000 000a");
    const [ctx, r] = recorder(502);
    assert.equal(modbus.dissect(Buffer.concat([write, read]), 0, 24, ctx), true);
    assert.deepEqual(r.ops, ["src modbus.write-single-register (unit 1)"]);
    assert.deepEqual(r.facts, ["src modbus.client=read-holding-registers"]);
  });

  it("reports exceptions and rejects what is not Modbus", () => {
    const [ctx, r] = recorder(40000);
    assert.equal(modbus.dissect(hex("0001 0000 0003 01 86 02"), 0, 9, ctx), true);
    assert.deepEqual(r.facts, ["src modbus.unit=1", "src modbus.exception=function 6 exception 2"]);
    assert.equal(modbus.dissect(Buffer.from("GET / HTTP/1.1\r\n"), 0, 16, ctx), false);
  });
});

describe("S7comm", () => {
  const tpkt = (s7: Buffer): Buffer => {
    const cotp = hex("02 f0 80");
    const len = 4 + cotp.length + s7.length;
    return Buffer.concat([Buffer.from([3, 0, len >> 8, len & 0xff]), cotp, s7]);
  };

  it("names the module from an SZL 0x0011 answer: order number and firmware", () => {
    const rec = (index: number, order: string, v: [number, number, number]): Buffer => {
      const b = Buffer.alloc(28, 0x20);
      b.writeUInt16BE(index, 0);
      b.write(order.padEnd(20), 2, "latin1");
      b.writeUInt16BE(0, 22);
      b[24] = 0x56;
      b[25] = v[0];
      b[26] = v[1];
      b[27] = v[2];
      return b;
    };
    const records = Buffer.concat([rec(1, "6ES7 315-2EH14-0AB0", [0, 0, 0]), rec(7, "6ES7 315-2EH14-0AB0", [3, 2, 8])]);
    const szl = Buffer.concat([hex("0011 0000 001c 0002"), records]);
    const data = Buffer.concat([hex("ff 09"), Buffer.from([szl.length >> 8, szl.length & 0xff]), szl]);
    const param = hex("000112 08 12 84 01 01 0000 0000");
    const header = Buffer.concat([hex("32 07 0000 0100"), Buffer.from([0, param.length, data.length >> 8, data.length & 0xff])]);
    const [ctx, r] = recorder(50000);
    const b = tpkt(Buffer.concat([header, param, data]));
    assert.equal(s7comm.dissect(b, 0, b.length, ctx), true);
    assert.deepEqual(r.facts, ["src s7.order_number=6ES7 315-2EH14-0AB0", "src s7.firmware=V3.2.8"]);
  });

  it("records a PLC stop and a P_PROGRAM start as operations", () => {
    const job = (param: Buffer): Buffer => tpkt(Buffer.concat([hex("32 01 0000 0200"), Buffer.from([0, param.length, 0, 0]), param]));
    const [ctx, r] = recorder(102);
    const stop = job(hex("29 0000000000 09 505f50524f4752414d"));
    s7comm.dissect(stop, 0, stop.length, ctx);
    const start = job(Buffer.concat([hex("28 0000000000 00fd 0000"), Buffer.from([9]), Buffer.from("P_PROGRAM")]));
    s7comm.dissect(start, 0, start.length, ctx);
    assert.deepEqual(r.ops, ["src s7.plc-stop", "src s7.plc-start"]);
  });
});

describe("BACnet/IP", () => {
  it("reads the device object's name from a ReadProperty-ACK", () => {
    // BVLC unicast, NPDU, ComplexACK invoke 1 service 12: object (device 1234), property 77, value "AHU-3".
    const value = Buffer.concat([Buffer.from([0x75, 6, 0]), Buffer.from("AHU-3")]);
    const apdu = Buffer.concat([hex("30 01 0c"), hex("0c 020004d2"), hex("19 4d"), hex("3e"), value, hex("3f")]);
    const npdu = hex("01 00");
    const bvlc = Buffer.from([0x81, 0x0a, 0, 4 + npdu.length + apdu.length]);
    const b = Buffer.concat([bvlc, npdu, apdu]);
    const [ctx, r] = recorder(47808);
    assert.equal(bacnet.dissect(b, 0, b.length, ctx), true);
    assert.deepEqual(r.facts, ["src bacnet.object_name=AHU-3"]);
  });

  it("records I-Am of a routed device as remote, and writes as operations", () => {
    const iAm = hex("10 00 c4 02000065 22 01e0 91 00 21 05");
    const routed = Buffer.concat([hex("810b0018"), hex("01 08 0005 01 07"), iAm]);
    const [ctx, r] = recorder(47808);
    bacnet.dissect(routed, 0, routed.length, ctx);
    assert.deepEqual(r.facts, ["src bacnet.remote_device=network 5 address 07 instance 101 vendor 5"]);
    const write = Buffer.concat([hex("810a0013"), hex("0104"), hex("00 05 07 0f 0c 00800001 19 55 3e 44 42c80000 3f")]);
    bacnet.dissect(write, 0, write.length, ctx);
    assert.deepEqual(r.ops, ["src bacnet.write-property"]);
  });
});

describe("EtherNet/IP and DNP3", () => {
  it("reads a ListIdentity answer", () => {
    const name = Buffer.from("1769-L24ER-QB1B/A LOGIX5324ER");
    const item = Buffer.concat([hex("0100"), hex("0002af12c0a8010a0000000000000000"), hex("0100 0e00 9500 1e0b 6000 78563412"), Buffer.from([name.length]), name, hex("03")]);
    const body = Buffer.concat([hex("0100 0c00"), Buffer.from([item.length & 0xff, item.length >> 8]), item]);
    const header = Buffer.concat([hex("6300"), Buffer.from([body.length & 0xff, body.length >> 8]), Buffer.alloc(20)]);
    const b = Buffer.concat([header, body]);
    const [ctx, r] = recorder(50000);
    assert.equal(enipTcp.dissect(b, 0, b.length, ctx), true);
    assert.deepEqual(r.facts, ["src cip.vendor_id=1", "src cip.device_type=14", "src cip.product_code=149", "src cip.revision=30.11",
      "src cip.serial=12345678", "src cip.product_name=1769-L24ER-QB1B/A LOGIX5324ER"]);
  });

  it("records a DNP3 cold restart from the master", () => {
    // link header (len 8, DIR|PRM|unconfirmed user data), CRC, then transport + app control + function 0x0d, CRC.
    const b = hex("0564 08 c4 0a00 0100 0000  c0 c1 0d 0000");
    const [ctx, r] = recorder(20000);
    assert.equal(dnp3Tcp.dissect(b, 0, b.length, ctx), true);
    assert.deepEqual(r.ops, ["src dnp3.cold-restart"]);
    assert.deepEqual(r.facts, ["src dnp3.address=master 1"]);
  });

  it("counts malformed input instead of throwing", () => {
    const [ctx, r] = recorder(20000);
    assert.equal(dnp3Tcp.dissect(hex("0564 02 c4 0a00 0100 0000"), 0, 10, ctx), true);
    assert.deepEqual(r.errors, ["dnp3.bad-length"]);
    const cut = hex("810a0013 0104 00 05 07 0f 0c 0080");
    assert.doesNotThrow(() => bacnet.dissect(cut, 0, cut.length, ctx));
  });
});
