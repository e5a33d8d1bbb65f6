/**
 * NetFlow v9 and IPFIX export packets built by hand, for tests of the collector's state
 * handling (templates late, withdrawn, expired; sequence gaps; restarts) and for the
 * benchmark's prepared datagrams. Real exporters (softflowd) cover the common path.
 */

/** A template field: information element, length, and an enterprise number for IPFIX private elements. */
export type Field = [id: number, length: number, enterprise?: number];

function set(id: number, body: Buffer): Buffer {
  const h = Buffer.alloc(4);
  h.writeUInt16BE(id, 0);
  h.writeUInt16BE(4 + body.length, 2);
  return Buffer.concat([h, body]);
}

function fieldSpecs(fields: Field[], ipfix: boolean): Buffer {
  return Buffer.concat(fields.map(([id, len, pen]) => {
    const b = Buffer.alloc(pen !== undefined && ipfix ? 8 : 4);
    b.writeUInt16BE(pen !== undefined && ipfix ? id | 0x8000 : id, 0);
    b.writeUInt16BE(len, 2);
    if (pen !== undefined && ipfix) b.writeUInt32BE(pen, 4);
    return b;
  }));
}

/** A template set (IPFIX set 2, v9 flowset 0) with one template; no fields is an IPFIX withdrawal. */
export function templateSet(ipfix: boolean, id: number, fields: Field[]): Buffer {
  const h = Buffer.alloc(4);
  h.writeUInt16BE(id, 0);
  h.writeUInt16BE(fields.length, 2);
  return set(ipfix ? 2 : 0, Buffer.concat([h, fieldSpecs(fields, ipfix)]));
}

/** An options template set (IPFIX set 3, v9 flowset 1): scope fields first. */
export function optionsTemplateSet(ipfix: boolean, id: number, scope: Field[], options: Field[]): Buffer {
  if (ipfix) {
    const h = Buffer.alloc(6);
    h.writeUInt16BE(id, 0);
    h.writeUInt16BE(scope.length + options.length, 2);
    h.writeUInt16BE(scope.length, 4);
    return set(3, Buffer.concat([h, fieldSpecs([...scope, ...options], true)]));
  }
  const h = Buffer.alloc(6);
  h.writeUInt16BE(id, 0);
  h.writeUInt16BE(scope.length * 4, 2);
  h.writeUInt16BE(options.length * 4, 4);
  const body = Buffer.concat([h, fieldSpecs([...scope, ...options], false)]);
  return set(1, Buffer.concat([body, Buffer.alloc((4 - ((body.length + 4) % 4)) % 4)]));
}

/** A data set of records already encoded by the caller. */
export function dataSet(templateId: number, records: Buffer[]): Buffer {
  return set(templateId, Buffer.concat(records));
}

/** An IPFIX message (RFC 7011): version 10, length, export time, sequence, observation domain. */
export function ipfixMessage(exportSeconds: number, sequence: number, domain: number, sets: Buffer[]): Buffer {
  const body = Buffer.concat(sets);
  const h = Buffer.alloc(16);
  h.writeUInt16BE(10, 0);
  h.writeUInt16BE(16 + body.length, 2);
  h.writeUInt32BE(exportSeconds, 4);
  h.writeUInt32BE(sequence >>> 0, 8);
  h.writeUInt32BE(domain, 12);
  return Buffer.concat([h, body]);
}

/** A NetFlow v9 packet (RFC 3954): count of records and templates, uptime, time, sequence, source ID. */
export function v9Packet(uptimeMs: number, unixSeconds: number, sequence: number, sourceId: number, sets: Buffer[], count = sets.length): Buffer {
  const h = Buffer.alloc(20);
  h.writeUInt16BE(9, 0);
  h.writeUInt16BE(count, 2);
  h.writeUInt32BE(uptimeMs >>> 0, 4);
  h.writeUInt32BE(unixSeconds, 8);
  h.writeUInt32BE(sequence >>> 0, 12);
  h.writeUInt32BE(sourceId, 16);
  return Buffer.concat([h, ...sets]);
}

/** The fields of a plain IPv4 flow record, in the order `ipv4Record` writes them. */
export const IPV4_FLOW_FIELDS: Field[] = [[8, 4], [12, 4], [7, 2], [11, 2], [4, 1], [2, 4], [1, 4], [152, 8], [153, 8]];

/** One record for IPV4_FLOW_FIELDS. */
export function ipv4Record(src: string, dst: string, sport: number, dport: number, proto: number, packets: number, bytes: number, startMs: number, endMs: number): Buffer {
  const b = Buffer.alloc(4 + 4 + 2 + 2 + 1 + 4 + 4 + 8 + 8);
  const ip = (s: string): number => s.split(".").reduce((a, o) => a * 256 + Number(o), 0);
  b.writeUInt32BE(ip(src), 0);
  b.writeUInt32BE(ip(dst), 4);
  b.writeUInt16BE(sport, 8);
  b.writeUInt16BE(dport, 10);
  b[12] = proto;
  b.writeUInt32BE(packets, 13);
  b.writeUInt32BE(bytes, 17);
  b.writeBigUInt64BE(BigInt(startMs), 21);
  b.writeBigUInt64BE(BigInt(endMs), 29);
  return b;
}
