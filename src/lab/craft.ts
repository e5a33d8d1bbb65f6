/**
 * Frame builders for synthetic traffic: the demo capture, the lab and tests. Each returns
 * the bytes of one protocol layer around a payload; checksums are computed where receivers
 * check them.
 */

export function macBytes(mac: string): Buffer {
  return Buffer.from(mac.replace(/[:.-]/g, ""), "hex");
}

export function ipv4Bytes(ip: string): Buffer {
  return Buffer.from(ip.split(".").map(Number));
}

function checksum(b: Buffer): number {
  let sum = 0;
  for (let i = 0; i + 1 < b.length; i += 2) sum += b.readUInt16BE(i);
  if (b.length % 2) sum += b[b.length - 1] << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

export function ethernet(dst: string, src: string, etherType: number, payload: Buffer, vlan?: number): Buffer {
  const tag = vlan === undefined ? Buffer.alloc(0) : Buffer.from([0x81, 0x00, (vlan >> 8) & 0x0f, vlan & 0xff]);
  const type = Buffer.alloc(2);
  type.writeUInt16BE(etherType);
  return Buffer.concat([macBytes(dst), macBytes(src), tag, type, payload]);
}

export interface Ipv4Options {
  src: string;
  dst: string;
  proto: number;
  ttl?: number;
  id?: number;
  /** Fragment offset in 8-byte units, and the more-fragments flag. */
  fragmentOffset?: number;
  moreFragments?: boolean;
}

export function ipv4(o: Ipv4Options, payload: Buffer): Buffer {
  const h = Buffer.alloc(20);
  h[0] = 0x45;
  h.writeUInt16BE(20 + payload.length, 2);
  h.writeUInt16BE(o.id ?? 0, 4);
  h.writeUInt16BE(((o.moreFragments ? 1 : 0) << 13) | (o.fragmentOffset ?? 0), 6);
  h[8] = o.ttl ?? 64;
  h[9] = o.proto;
  ipv4Bytes(o.src).copy(h, 12);
  ipv4Bytes(o.dst).copy(h, 16);
  h.writeUInt16BE(checksum(h), 10);
  return Buffer.concat([h, payload]);
}

export function udp(sport: number, dport: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt16BE(sport, 0);
  h.writeUInt16BE(dport, 2);
  h.writeUInt16BE(8 + payload.length, 4);
  return Buffer.concat([h, payload]);
}

export const SYN = 0x02;
export const ACK = 0x10;
export const FIN = 0x01;
export const PSH = 0x08;
export const RST = 0x04;

export function tcp(sport: number, dport: number, flags: number, seq: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const h = Buffer.alloc(20);
  h.writeUInt16BE(sport, 0);
  h.writeUInt16BE(dport, 2);
  h.writeUInt32BE(seq >>> 0, 4);
  h[12] = 5 << 4;
  h[13] = flags;
  h.writeUInt16BE(65535, 14);
  return Buffer.concat([h, payload]);
}

/** A DNS name in wire format (no compression). */
export function dnsName(name: string): Buffer {
  const parts = name.split(".").filter((l) => l.length > 0);
  return Buffer.concat([...parts.map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l, "latin1")])), Buffer.from([0])]);
}

export interface DnsRecordSpec {
  name: string;
  type: number;
  data: Buffer;
  ttl?: number;
}

export function dnsMessage(id: number, response: boolean, questions: { name: string; type: number }[], answers: DnsRecordSpec[] = []): Buffer {
  const h = Buffer.alloc(12);
  h.writeUInt16BE(id, 0);
  h.writeUInt16BE(response ? 0x8180 : 0x0100, 2);
  h.writeUInt16BE(questions.length, 4);
  h.writeUInt16BE(answers.length, 6);
  const qs = questions.map((q) => {
    const t = Buffer.alloc(4);
    t.writeUInt16BE(q.type, 0);
    t.writeUInt16BE(1, 2);
    return Buffer.concat([dnsName(q.name), t]);
  });
  const rs = answers.map((r) => {
    const t = Buffer.alloc(10);
    t.writeUInt16BE(r.type, 0);
    t.writeUInt16BE(1, 2);
    t.writeUInt32BE(r.ttl ?? 120, 4);
    t.writeUInt16BE(r.data.length, 8);
    return Buffer.concat([dnsName(r.name), t, r.data]);
  });
  return Buffer.concat([h, ...qs, ...rs]);
}

export interface DhcpSpec {
  op: 1 | 2;
  messageType: number;
  mac: string;
  xid?: number;
  yiaddr?: string;
  /** Options as [code, bytes]; 53 (message type) is added first. */
  options: [number, Buffer][];
}

export function dhcp(s: DhcpSpec): Buffer {
  const h = Buffer.alloc(240);
  h[0] = s.op;
  h[1] = 1;
  h[2] = 6;
  h.writeUInt32BE(s.xid ?? 0x3903f326, 4);
  if (s.yiaddr) ipv4Bytes(s.yiaddr).copy(h, 16);
  macBytes(s.mac).copy(h, 28);
  h.writeUInt32BE(0x63825363, 236);
  const opts = [Buffer.from([53, 1, s.messageType])];
  for (const [code, v] of s.options) opts.push(Buffer.concat([Buffer.from([code, v.length]), v]));
  opts.push(Buffer.from([255]));
  return Buffer.concat([h, ...opts]);
}

/** An LLDP frame body: chassis id (MAC), port id, TTL, system name and description, end. */
export function lldp(chassisMac: string, portId: string, systemName: string, systemDescription: string): Buffer {
  const tlv = (type: number, v: Buffer): Buffer => {
    const h = Buffer.alloc(2);
    h.writeUInt16BE((type << 9) | v.length);
    return Buffer.concat([h, v]);
  };
  return Buffer.concat([
    tlv(1, Buffer.concat([Buffer.from([4]), macBytes(chassisMac)])),
    tlv(2, Buffer.concat([Buffer.from([5]), Buffer.from(portId)])),
    tlv(3, Buffer.from([0, 120])),
    tlv(5, Buffer.from(systemName)),
    tlv(6, Buffer.from(systemDescription)),
    tlv(7, Buffer.from([0x00, 0x14, 0x00, 0x04])),
    Buffer.from([0, 0]),
  ]);
}

export function arp(op: 1 | 2, senderMac: string, senderIp: string, targetMac: string, targetIp: string): Buffer {
  const h = Buffer.from([0, 1, 8, 0, 6, 4, 0, op]);
  return Buffer.concat([h, macBytes(senderMac), ipv4Bytes(senderIp), macBytes(targetMac), ipv4Bytes(targetIp)]);
}

/** A TLS record holding a ClientHello with SNI, ALPN and supported_versions. */
export function tlsClientHello(sni: string, alpn: string[] = ["h2", "http/1.1"]): Buffer {
  const ext = (type: number, body: Buffer): Buffer => {
    const h = Buffer.alloc(4);
    h.writeUInt16BE(type, 0);
    h.writeUInt16BE(body.length, 2);
    return Buffer.concat([h, body]);
  };
  const name = Buffer.from(sni);
  const sniBody = Buffer.alloc(5 + name.length);
  sniBody.writeUInt16BE(3 + name.length, 0);
  sniBody[2] = 0;
  sniBody.writeUInt16BE(name.length, 3);
  name.copy(sniBody, 5);
  const alpnList = Buffer.concat(alpn.map((a) => Buffer.concat([Buffer.from([a.length]), Buffer.from(a)])));
  const alpnBody = Buffer.concat([Buffer.from([alpnList.length >> 8, alpnList.length & 0xff]), alpnList]);
  const exts = Buffer.concat([
    ext(0x0a0a, Buffer.alloc(0)),
    ext(0x0000, sniBody),
    ext(0x0010, alpnBody),
    ext(0x002b, Buffer.from([4, 0x03, 0x04, 0x03, 0x03])),
    ext(0x000d, Buffer.from([0, 4, 0x04, 0x03, 0x08, 0x04])),
  ]);
  const ciphers = Buffer.from([0, 8, 0x1a, 0x1a, 0x13, 0x01, 0x13, 0x02, 0xc0, 0x2b]);
  const body = Buffer.concat([
    Buffer.from([0x03, 0x03]), Buffer.alloc(32, 7), Buffer.from([0]), ciphers, Buffer.from([1, 0]),
    Buffer.from([exts.length >> 8, exts.length & 0xff]), exts,
  ]);
  const hs = Buffer.concat([Buffer.from([1, body.length >> 16, (body.length >> 8) & 0xff, body.length & 0xff]), body]);
  return Buffer.concat([Buffer.from([0x16, 0x03, 0x01, hs.length >> 8, hs.length & 0xff]), hs]);
}
