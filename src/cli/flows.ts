import { isoTime } from "../inventory/view.js";
import { reportJson } from "../app/report-json.js";
import type { StoredFlow } from "../store/store.js";
import { type Format, csv, table } from "./output.js";

const PROTO_NAMES: Record<number, string> = { 1: "icmp", 6: "tcp", 17: "udp", 58: "icmpv6", 47: "gre", 50: "esp", 2: "igmp", 132: "sctp" };

/** The JSON shape of a flow in `cordon flows --format json`. */
export function flowView(f: StoredFlow): Record<string, unknown> {
  return {
    id: f.id,
    site: f.site,
    vlan: f.vlan,
    proto: PROTO_NAMES[f.proto] ?? String(f.proto),
    src_mac: f.srcMac ?? null,
    src_ip: f.srcIp,
    src_port: f.srcPort,
    dst_mac: f.dstMac ?? null,
    dst_ip: f.dstIp,
    dst_port: f.dstPort,
    initiator: f.initiatorKnown ? "src" : "unknown",
    app_protocol: f.appProtocol ?? null,
    app_confidence: f.appConfidence ?? null,
    app_service: f.appService ?? null,
    packets_src_to_dst: f.packetsSrcToDst,
    bytes_src_to_dst: f.bytesSrcToDst,
    packets_dst_to_src: f.packetsDstToSrc,
    bytes_dst_to_src: f.bytesDstToSrc,
    first_seen: isoTime(f.firstUs),
    last_seen: isoTime(f.lastUs),
    end_reason: f.endReason,
    source: f.source,
  };
}

const COLUMNS = ["proto", "src_ip", "src_port", "dst_ip", "dst_port", "app_protocol", "app_service", "packets_src_to_dst", "bytes_src_to_dst", "packets_dst_to_src", "bytes_dst_to_src", "first_seen", "last_seen"];

export function renderFlows(flows: StoredFlow[], format: Format, wide = false): string {
  if (format === "json") return reportJson(flows.map(flowView));
  const views = flows.map(flowView);
  const rows = views.map((v) => COLUMNS.map((c) => v[c]));
  if (format === "csv") return csv(COLUMNS, rows);
  // The table's headers are short; JSON and CSV keep the full names.
  const headers = ["proto", "source", "sport", "destination", "dport", "app", "service", "pkts_out", "bytes_out", "pkts_in", "bytes_in", "first", "last"];
  return table(headers, rows, { wide, wideOnly: ["pkts_out", "pkts_in", "first"], flex: ["service", "source", "destination"] });
}
