import { reportJson } from "../app/report-json.js";
import type { StoredFlow } from "../store/store.js";
import { flowView } from "../app/queries.js";
import { type Format, csv, table } from "./output.js";


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
