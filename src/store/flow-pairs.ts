import type { FlowGroup, FlowRecord } from "../model/flow-record.js";
import { type Sql, greatest, least } from "./sql.js";

/**
 * Flows summed per site, protocol, both ends (MAC and address) and service port, kept as flows
 * are stored: who talked to whom, how often, first and last seen. The trust graph (trust/)
 * reads these rows instead of the flow history, so its talks-to, manages and updates edges
 * follow the traffic as it arrives and cost nothing per flow once stored.
 *
 * A database upgraded from before this table has flows the pairs do not cover yet:
 * `flow_pairs_cover` holds the first flow id the pairs miss nothing from, and the first read
 * folds the older chunks in.
 */

const KEY = ["site", "proto", "src_ip", "dst_ip", "dst_port", "src_mac", "dst_mac"] as const;
const COLUMNS = [...KEY, "vlan", "flows", "bytes_src", "bytes_dst", "first_us", "last_us", "initiator_known"] as const;

type PairRow = [site: string, proto: number, srcIp: string, dstIp: string, dstPort: number, srcMac: string, dstMac: string,
  vlan: number, flows: number, bytesSrc: number, bytesDst: number, firstUs: number, lastUs: number, initiatorKnown: number];

/** A batch of flows summed into pair rows (weights of grouped flows kept). */
function sumPairs(batch: Iterable<FlowRecord>): PairRow[] {
  const rows = new Map<string, PairRow>();
  for (const f of batch) {
    const port = f.proto === 6 || f.proto === 17 || f.proto === 132 ? f.dstPort : 0;
    const k = `${f.site}\t${f.proto}\t${f.srcIp}\t${f.dstIp}\t${port}\t${f.srcMac ?? ""}\t${f.dstMac ?? ""}`;
    const n = (f as Partial<FlowGroup>).count ?? 1;
    const r = rows.get(k);
    if (r === undefined) {
      rows.set(k, [f.site, f.proto, f.srcIp, f.dstIp, port, f.srcMac ?? "", f.dstMac ?? "", f.vlan, n, f.bytesSrcToDst, f.bytesDstToSrc, f.firstUs, f.lastUs, f.initiatorKnown ? 1 : 0]);
      continue;
    }
    r[8] += n;
    r[9] += f.bytesSrcToDst;
    r[10] += f.bytesDstToSrc;
    if (f.firstUs < r[11]) r[11] = f.firstUs;
    if (f.lastUs > r[12]) r[12] = f.lastUs;
    if (f.initiatorKnown) r[13] = 1;
  }
  return [...rows.values()];
}

/** Adds a batch of flows to the pairs, inside the caller's transaction. */
export function foldFlowPairs(sql: Sql, batch: Iterable<FlowRecord>): void {
  const rows = sumPairs(batch);
  if (rows.length === 0) return;
  const x = (c: string): string => `excluded.${c}`;
  sql.insertMany("flow_pairs", COLUMNS, rows, `ON CONFLICT (${KEY.join(", ")}) DO UPDATE SET flows = flow_pairs.flows + ${x("flows")},
    bytes_src = flow_pairs.bytes_src + ${x("bytes_src")}, bytes_dst = flow_pairs.bytes_dst + ${x("bytes_dst")},
    first_us = ${least(sql, "flow_pairs.first_us", x("first_us"))}, last_us = ${greatest(sql, "flow_pairs.last_us", x("last_us"))},
    initiator_known = ${greatest(sql, "flow_pairs.initiator_known", x("initiator_known"))}`);
}

/** The first flow id the pairs have not summed yet from an older schema (1 when they cover every flow). */
export function pairsCoverFrom(sql: Sql): number {
  return Number(sql.column<number>("SELECT first_id FROM flow_pairs_cover")[0] ?? 1);
}

export function setPairsCoverFrom(sql: Sql, firstId: number): void {
  sql.run("UPDATE flow_pairs_cover SET first_id = ?", firstId);
}

/** A site's pairs as flow groups (source port 0, `count` the flows summed), for the readers of flows. */
export function readFlowPairs(sql: Sql, site: string): FlowGroup[] {
  const rows = sql.rows<PairRow>(`SELECT ${COLUMNS.join(", ")} FROM flow_pairs WHERE site = ?`, site);
  return rows.map((r) => {
    const g: FlowGroup = {
      site: r[0], source: "", vlan: Number(r[7]), proto: Number(r[1]), srcIp: r[2], srcPort: 0, dstIp: r[3], dstPort: Number(r[4]), count: Number(r[8]),
      initiatorKnown: Number(r[13]) === 1, packetsSrcToDst: 0, bytesSrcToDst: Number(r[9]), packetsDstToSrc: 0, bytesDstToSrc: Number(r[10]),
      firstUs: Number(r[11]), lastUs: Number(r[12]), tcpFlagsSrc: 0, tcpFlagsDst: 0, endReason: "pair",
    };
    if (r[5] !== "") g.srcMac = r[5];
    if (r[6] !== "") g.dstMac = r[6];
    return g;
  });
}
