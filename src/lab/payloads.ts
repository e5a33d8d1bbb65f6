/** Application payloads for the lab's personas, built to each protocol's specification. */
import { createCipheriv, createHash } from "node:crypto";
import { dnsMessage, ipv4Bytes } from "./craft.js";

export function modbusRequest(tid: number, unit: number, fc: number, body: Buffer): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt16BE(tid & 0xffff, 0);
  h.writeUInt16BE(body.length + 2, 4);
  h[6] = unit;
  h[7] = fc;
  return Buffer.concat([h, body]);
}

export function modbusReadHolding(tid: number, unit: number, start: number, count: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt16BE(start, 0);
  b.writeUInt16BE(count, 2);
  return modbusRequest(tid, unit, 3, b);
}

export function modbusReadHoldingAnswer(tid: number, unit: number, count: number): Buffer {
  return modbusRequest(tid, unit, 3, Buffer.concat([Buffer.from([count * 2]), Buffer.alloc(count * 2, 0x11)]));
}

export function modbusWriteSingle(tid: number, unit: number, register: number, value: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt16BE(register, 0);
  b.writeUInt16BE(value, 2);
  return modbusRequest(tid, unit, 6, b);
}

export function modbusDeviceIdAnswer(tid: number, unit: number, vendor: string, product: string, revision: string): Buffer {
  const objs = [vendor, product, revision].map((s, i) => Buffer.concat([Buffer.from([i, s.length]), Buffer.from(s)]));
  return modbusRequest(tid, unit, 43, Buffer.concat([Buffer.from([0x0e, 0x01, 0x01, 0x00, 0x00, 3]), ...objs]));
}

function tpkt(s7: Buffer): Buffer {
  const len = 7 + s7.length;
  return Buffer.concat([Buffer.from([3, 0, len >> 8, len & 0xff, 2, 0xf0, 0x80]), s7]);
}

export function cotpConnect(): Buffer {
  return Buffer.from([3, 0, 0, 22, 17, 0xe0, 0, 0, 0, 1, 0, 0xc0, 1, 0x0a, 0xc1, 2, 1, 0, 0xc2, 2, 1, 2]);
}

/** An S7 job: header (ROSCTR 1), then the parameter block. */
export function s7Job(ref: number, param: Buffer): Buffer {
  const h = Buffer.from([0x32, 1, 0, 0, ref >> 8, ref & 0xff, param.length >> 8, param.length & 0xff, 0, 0]);
  return tpkt(Buffer.concat([h, param]));
}

export function s7Setup(ref: number): Buffer {
  return s7Job(ref, Buffer.from([0xf0, 0, 0, 1, 0, 1, 0x01, 0xe0]));
}

export function s7Stop(ref: number): Buffer {
  return s7Job(ref, Buffer.concat([Buffer.from([0x29, 0, 0, 0, 0, 0, 9]), Buffer.from("P_PROGRAM")]));
}

export function s7RequestDownload(ref: number): Buffer {
  return s7Job(ref, Buffer.concat([Buffer.from([0x1a, 0, 1, 0, 0, 0, 0, 0, 9]), Buffer.from("_0800001P")]));
}

/** An S7 userdata answer to a read of SZL 0x0011 (module identification). */
export function s7SzlModuleAnswer(ref: number, order: string, firmware: [number, number, number]): Buffer {
  const rec = (index: number, v: [number, number, number]): Buffer => {
    const b = Buffer.alloc(28, 0x20);
    b.writeUInt16BE(index, 0);
    b.write(order.padEnd(20), 2, "latin1");
    b.writeUInt16BE(0xc0, 22);
    b[24] = 0x56;
    b[25] = v[0];
    b[26] = v[1];
    b[27] = v[2];
    return b;
  };
  const szl = Buffer.concat([Buffer.from([0, 0x11, 0, 0, 0, 28, 0, 2]), rec(1, [0, 0, 0]), rec(7, firmware)]);
  const data = Buffer.concat([Buffer.from([0xff, 9, szl.length >> 8, szl.length & 0xff]), szl]);
  const param = Buffer.from([0, 1, 0x12, 8, 0x12, 0x84, 1, 1, 0, 0, 0, 0]);
  const h = Buffer.from([0x32, 7, 0, 0, ref >> 8, ref & 0xff, 0, param.length, data.length >> 8, data.length & 0xff]);
  return tpkt(Buffer.concat([h, param, data]));
}

function bvlc(fn: number, npdu: Buffer): Buffer {
  const len = 4 + npdu.length;
  return Buffer.concat([Buffer.from([0x81, fn, len >> 8, len & 0xff]), npdu]);
}

export function bacnetIAm(instance: number, vendorId: number): Buffer {
  const oid = (8 << 22) | instance;
  return bvlc(0x0b, Buffer.from([1, 0, 0x10, 0x00, 0xc4, oid >>> 24, (oid >> 16) & 0xff, (oid >> 8) & 0xff, oid & 0xff,
    0x22, 0x01, 0xe0, 0x91, 0x00, 0x21, vendorId]));
}

export function bacnetWhoIs(): Buffer {
  return bvlc(0x0b, Buffer.from([1, 0x20, 0xff, 0xff, 0, 0xff, 0x10, 0x08]));
}

export function bacnetReadObjectName(invoke: number, instance: number): Buffer {
  const oid = (8 << 22) | instance;
  return bvlc(0x0a, Buffer.from([1, 4, 0x00, 0x05, invoke, 12, 0x0c, oid >>> 24, (oid >> 16) & 0xff, (oid >> 8) & 0xff, oid & 0xff, 0x19, 77]));
}

export function bacnetObjectNameAnswer(invoke: number, instance: number, name: string): Buffer {
  const oid = (8 << 22) | instance;
  const value = Buffer.concat([Buffer.from([0x75, name.length + 1, 0]), Buffer.from(name)]);
  return bvlc(0x0a, Buffer.concat([Buffer.from([1, 0, 0x30, invoke, 12, 0x0c, oid >>> 24, (oid >> 16) & 0xff, (oid >> 8) & 0xff, oid & 0xff, 0x19, 77, 0x3e]),
    value, Buffer.from([0x3f])]));
}

export function sipRegister(user: string, domain: string, agent: string): Buffer {
  return Buffer.from(`REGISTER sip:${domain} SIP/2.0\r\nVia: SIP/2.0/UDP ${domain}\r\nFrom: <sip:${user}@${domain}>\r\nTo: <sip:${user}@${domain}>\r\nCall-ID: ${user}@${domain}\r\nCSeq: 1 REGISTER\r\nUser-Agent: ${agent}\r\nContent-Length: 0\r\n\r\n`);
}

export function sipOk(server: string): Buffer {
  return Buffer.from(`SIP/2.0 200 OK\r\nServer: ${server}\r\nContent-Length: 0\r\n\r\n`);
}

export function ssdpNotify(server: string, usn: string, location: string): Buffer {
  return Buffer.from(`NOTIFY * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nNT: upnp:rootdevice\r\nNTS: ssdp:alive\r\nSERVER: ${server}\r\nUSN: ${usn}\r\nLOCATION: ${location}\r\n\r\n`);
}

export function rtspDescribe(url: string, agent: string): Buffer {
  return Buffer.from(`DESCRIBE ${url} RTSP/1.0\r\nCSeq: 2\r\nUser-Agent: ${agent}\r\nAccept: application/sdp\r\n\r\n`);
}

export function rtspOk(server: string): Buffer {
  return Buffer.from(`RTSP/1.0 200 OK\r\nCSeq: 2\r\nServer: ${server}\r\nContent-Type: application/sdp\r\n\r\n`);
}

/** An mDNS announcement of a service instance on a host. */
export function mdnsService(instance: string, service: string, host: string, ip: string): Buffer {
  const labels = (s: string): Buffer => Buffer.concat([...s.split(".").map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)])), Buffer.from([0])]);
  return dnsMessage(0, true, [], [
    { name: service, type: 12, data: labels(`${instance}.${service}`) },
    { name: `${host}.local`, type: 1, data: ipv4Bytes(ip) },
  ]);
}

/** SNMP v2c get-response carrying sysDescr. */
export function snmpSysDescr(community: string, descr: string): Buffer {
  const tlv = (tag: number, v: Buffer): Buffer => Buffer.concat([Buffer.from([tag, v.length]), v]);
  const oid = Buffer.from([0x2b, 6, 1, 2, 1, 1, 1, 0]);
  const vb = tlv(0x30, Buffer.concat([tlv(6, oid), tlv(4, Buffer.from(descr))]));
  const pdu = tlv(0xa2, Buffer.concat([tlv(2, Buffer.from([1])), tlv(2, Buffer.from([0])), tlv(2, Buffer.from([0])), tlv(0x30, vb)]));
  return tlv(0x30, Buffer.concat([tlv(2, Buffer.from([1])), tlv(4, Buffer.from(community)), pdu]));
}

export function snmpGetSysDescr(community: string): Buffer {
  const tlv = (tag: number, v: Buffer): Buffer => Buffer.concat([Buffer.from([tag, v.length]), v]);
  const vb = tlv(0x30, Buffer.concat([tlv(6, Buffer.from([0x2b, 6, 1, 2, 1, 1, 1, 0])), Buffer.from([5, 0])]));
  const pdu = tlv(0xa0, Buffer.concat([tlv(2, Buffer.from([1])), tlv(2, Buffer.from([0])), tlv(2, Buffer.from([0])), tlv(0x30, vb)]));
  return tlv(0x30, Buffer.concat([tlv(2, Buffer.from([1])), tlv(4, Buffer.from(community)), pdu]));
}

/**
 * A Tuya LAN discovery beacon (UDP 6667, protocol 3.3+): the JSON encrypted under the shared
 * discovery key, in the 0x55AA frame.
 */
export function tuyaBeacon(ip: string, gwId: string, productKey: string): Buffer {
  const json = Buffer.from(JSON.stringify({ ip, gwId, active: 2, ablilty: 0, encrypt: true, productKey, version: "3.3" }));
  const c = createCipheriv("aes-128-ecb", createHash("md5").update("yGAdlopoPVldABfn").digest(), null);
  const body = Buffer.concat([c.update(json), c.final()]);
  const head = Buffer.alloc(20);
  head.writeUInt32BE(0x000055aa, 0);
  head.writeUInt32BE(0x13, 8);
  head.writeUInt32BE(4 + body.length + 8, 12);
  const tail = Buffer.alloc(8);
  tail.writeUInt32BE(crc32(Buffer.concat([head, body])), 0);
  tail.writeUInt32BE(0x0000aa55, 4);
  return Buffer.concat([head, body, tail]);
}

function crc32(b: Buffer): number {
  let c = 0xffffffff;
  for (const x of b) {
    c ^= x;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

/** BACnet/IP confirmed WriteProperty of present-value (85) on analog-value 1, as a BMS commands a controller. */
export function bacnetWriteProperty(invoke: number, value: number): Buffer {
  const oid = (2 << 22) | 1;
  const real = Buffer.alloc(4);
  real.writeFloatBE(value);
  return bvlc(0x0a, Buffer.concat([Buffer.from([1, 4, 0x00, 0x05, invoke, 15, 0x0c, oid >>> 24, (oid >> 16) & 0xff, (oid >> 8) & 0xff, oid & 0xff, 0x19, 85, 0x3e, 0x44]), real, Buffer.from([0x3f])]));
}

/** BACnet simple ACK of a WriteProperty. */
export function bacnetWriteAck(invoke: number): Buffer {
  return bvlc(0x0a, Buffer.from([1, 0, 0x20, invoke, 15]));
}

/** SNMP v2c set-request of sysContact (a manager writing to an agent). */
export function snmpSetContact(community: string, contact: string): Buffer {
  const tlv = (tag: number, v: Buffer): Buffer => Buffer.concat([Buffer.from([tag, v.length]), v]);
  const vb = tlv(0x30, Buffer.concat([tlv(6, Buffer.from([0x2b, 6, 1, 2, 1, 1, 4, 0])), tlv(4, Buffer.from(contact))]));
  const pdu = tlv(0xa3, Buffer.concat([tlv(2, Buffer.from([2])), tlv(2, Buffer.from([0])), tlv(2, Buffer.from([0])), tlv(0x30, vb)]));
  return tlv(0x30, Buffer.concat([tlv(2, Buffer.from([1])), tlv(4, Buffer.from(community)), pdu]));
}

export function httpGet(host: string, path: string, agent: string): Buffer {
  return Buffer.from(`GET ${path} HTTP/1.1\r\nHost: ${host}\r\nUser-Agent: ${agent}\r\nAccept: */*\r\n\r\n`);
}

export function httpOk(server: string, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\nServer: ${server}\r\nContent-Type: application/octet-stream\r\nContent-Length: ${body.length}\r\n\r\n`), body]);
}
