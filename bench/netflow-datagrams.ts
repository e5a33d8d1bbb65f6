import { writeFileSync } from "node:fs";
import { IPV4_FLOW_FIELDS, dataSet, ipfixMessage, ipv4Record, templateSet, v9Packet } from "../src/lab/netflow-export.js";

/** The export packets the NetFlow and API benchmarks replay: a site of 5,000 hosts, every record a new flow. */

export const RECORDS_PER_PACKET = 30;
const PACKETS = 20_000;

/** Export packets of 30 IPv4 records, the template repeated every 20 packets. */
export function prepare(version: 9 | 10): Buffer[] {
  const packets: Buffer[] = [];
  let seq = 0;
  for (let i = 0; i < PACKETS; i++) {
    const recs: Buffer[] = [];
    for (let k = 0; k < RECORDS_PER_PACKET; k++) {
      const id = i * RECORDS_PER_PACKET + k;
      // A site of 5,000 hosts talking to 50,000 outside addresses: every record a new flow.
      const host = id % 5000;
      const remote = (id * 7919) % 50_000;
      recs.push(ipv4Record(`10.20.${Math.floor(host / 250)}.${(host % 250) + 1}`, `52.${remote >> 16}.${(remote >> 8) & 0xff}.${(remote & 0xfe) + 1}`,
        1024 + (id % 60000), [443, 80, 53, 123, 8883][id % 5], id % 5 >= 2 ? 17 : 6, 1 + (id % 50), 60 + (id % 1400), 1_790_000_000_000 + id, 1_790_000_000_000 + id + 500));
    }
    const sets = i % 20 === 0 ? [templateSet(version === 10, 300, IPV4_FLOW_FIELDS), dataSet(300, recs)] : [dataSet(300, recs)];
    packets.push(version === 9 ? v9Packet(1_000_000 + i, 1_790_000_000, i, 1, sets, sets.length - 1 + RECORDS_PER_PACKET) : ipfixMessage(1_790_000_000, seq, 1, sets));
    seq += RECORDS_PER_PACKET;
  }
  return packets;
}

export function writeDatagrams(file: string, packets: Buffer[]): void {
  writeFileSync(file, Buffer.concat(packets.flatMap((p) => {
    const h = Buffer.alloc(4);
    h.writeUInt32BE(p.length, 0);
    return [h, p];
  })));
}

