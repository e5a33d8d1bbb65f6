import type { RadiusStats } from "../nac/radius-server.js";
import type { StatsSnapshot } from "./messages.js";

/** Prometheus label value escaping (backslash, quote, newline). */
function esc(v: string | number): string {
  return String(v).replace(/\\/g, "\\\\").replace(/"/g, "\\\"").replace(/\n/g, "\\n");
}

function labels(l: Record<string, string | number>): string {
  const parts = Object.entries(l).map(([k, v]) => `${k}="${esc(v)}"`);
  return parts.length ? `{${parts.join(",")}}` : "";
}

/**
 * The Prometheus text exposition of a stats snapshot: per source packets (or records), bytes,
 * drops, parse errors by kind, exporters and templates; the pipeline's devices, live flows and
 * evictions. Pure.
 */
export function renderMetrics(
  s: StatsSnapshot, up: boolean, radius?: RadiusStats, queueDrops: Record<string, Record<string, number>> = {}, streamErrors: Record<string, Record<string, number>> = {},
  foreignDrops: Record<string, Record<string, number>> = {}, pki: { eapTls?: Record<string, number>; enrollment?: Record<string, Record<string, number>> } = {},
): string {
  const out: string[] = [];
  const metric = (name: string, type: "counter" | "gauge", help: string, rows: [Record<string, string | number>, number][]): void => {
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [l, v] of rows) out.push(`${name}${labels(l)} ${v}`);
  };
  const src = Object.entries(s.sources);
  metric("cordon_up", "gauge", "1 while the ingest worker runs", [[{}, up ? 1 : 0]]);
  metric("cordon_source_packets_total", "counter", "Datagrams (netflow), frames (capture) or log lines (zeek) received",
    src.map(([n, x]) => [{ source: n, kind: x.kind, site: x.site }, x.packets]));
  metric("cordon_source_bytes_total", "counter", "Bytes received", src.map(([n, x]) => [{ source: n }, x.bytes]));
  metric("cordon_source_records_total", "counter", "Flow records decoded (netflow) or log records read (zeek)",
    src.filter(([, x]) => x.kind !== "capture").map(([n, x]) => [{ source: n }, x.records]));
  metric("cordon_source_drops_total", "counter", "Input dropped: where=queue before decoding, where=kernel before capture",
    src.flatMap(([n, x]) => [[{ source: n, where: "queue" }, x.drops], ...(x.kind === "capture" ? [[{ source: n, where: "kernel" }, x.kernelDrops] as [Record<string, string>, number]] : [])]));
  metric("cordon_source_errors_total", "counter", "Parse errors by kind",
    src.flatMap(([n, x]) => Object.entries({ ...x.errors, ...streamErrors[n] }).map(([k, v]): [Record<string, string>, number] => [{ source: n, kind: k }, v])));
  const nf = src.filter(([, x]) => x.kind === "netflow");
  metric("cordon_netflow_exporters", "gauge", "Exporters seen", nf.map(([n, x]) => [{ source: n }, x.exporters]));
  metric("cordon_netflow_queue_drops_total", "counter", "Datagrams refused at the worker queue per exporter (a flooding exporter past its share)",
    Object.entries(queueDrops).flatMap(([n, by]) => Object.entries(by).map(([e, v]): [Record<string, string>, number] => [{ source: n, exporter: e }, v])));
  metric("cordon_netflow_foreign_exporter_drops_total", "counter", "Datagrams or IPFIX connections from an address outside the source's exporters allow-list, dropped undecoded",
    Object.entries(foreignDrops).flatMap(([n, by]) => Object.entries(by).map(([e, v]): [Record<string, string>, number] => [{ source: n, exporter: e }, v])));
  const domains = nf.flatMap(([n, x]) => x.domains.map((d) => ({ n, d })));
  const dl = (n: string, d: { exporter: string; version: number; domain: number }): Record<string, string | number> =>
    ({ source: n, exporter: d.exporter, version: d.version, domain: d.domain });
  metric("cordon_netflow_templates", "gauge", "Templates cached per exporter domain", domains.map(({ n, d }) => [dl(n, d), d.templates]));
  metric("cordon_netflow_records_total", "counter", "Flow records per exporter domain", domains.map(({ n, d }) => [dl(n, d), d.records]));
  metric("cordon_netflow_lost_total", "counter", "Lost according to sequence numbers (v5 flows, v9 packets, IPFIX records)",
    domains.map(({ n, d }) => [dl(n, d), d.lost]));
  metric("cordon_netflow_no_template_total", "counter", "Data dropped for want of its template", domains.map(({ n, d }) => [dl(n, d), d.noTemplate]));
  metric("cordon_netflow_restarts_total", "counter", "Exporter restarts recognised", domains.map(({ n, d }) => [dl(n, d), d.restarts]));
  metric("cordon_pipeline_packets_total", "counter", "Frames through the packet path", [[{}, s.pipeline.packets]]);
  metric("cordon_pipeline_flows_total", "counter", "Flows finished; committed with their devices within a second (a kill -9 loses the last second's and the live ones)", [[{}, s.pipeline.flows]]);
  metric("cordon_pipeline_devices", "gauge", "Devices in the inventory", [[{}, s.pipeline.devices]]);
  metric("cordon_store_held_flows", "gauge", "Finished flows waiting in memory for the database (max_held_flows)", [[{}, s.pipeline.heldFlows]]);
  metric("cordon_store_up", "gauge", "1 when the last write reached the database, 0 while it is away (writes are retried with backoff)", [[{}, s.pipeline.storeUp ? 1 : 0]]);
  metric("cordon_pipeline_live_flows", "gauge", "Flows in the flow table", [[{}, s.pipeline.liveFlows]]);
  metric("cordon_pipeline_flow_evictions_total", "counter", "Flows evicted at the live-flow cap", [[{}, s.pipeline.evictions]]);
  metric("cordon_alerts_total", "counter", "Alerts raised (episodes) since start", [[{}, s.pipeline.alerts]]);
  metric("cordon_inventory_devices_let_go_total", "counter", "Saved devices quiet for an hour let go from memory at the max_devices budget (the store keeps them)",
    [[{}, s.pipeline.devicesLetGo]]);
  metric("cordon_detector_failures_total", "counter", "Events a detector failed on (isolated)", [[{}, s.pipeline.detectorFailures]]);
  metric("cordon_detector_state_evicted_total", "counter", "Entries a detector's bounded state let go (the oldest) to take new ones",
    Object.entries(s.pipeline.detectorEvictions).map(([d, v]): [Record<string, string>, number] => [{ detector: d }, v]));
  metric("cordon_pipeline_errors_total", "counter", "Packet-path errors by kind",
    Object.entries(s.pipeline.errors).map(([k, v]): [Record<string, string>, number] => [{ kind: k }, v]));
  if (radius) {
    const nas = Object.entries(radius.nas);
    metric("cordon_radius_datagrams_total", "counter", "RADIUS datagrams received", [[{}, radius.received]]);
    metric("cordon_radius_requests_total", "counter", "Requests answered per NAS by kind",
      nas.flatMap(([n, c]): [Record<string, string>, number][] => [[{ nas: n, kind: "access" }, c.requests], [{ nas: n, kind: "accounting" }, c.accounting], [{ nas: n, kind: "status-server" }, c.statusServer], [{ nas: n, kind: "dacl-download" }, c.daclDownloads]]));
    metric("cordon_radius_decisions_total", "counter", "Access-Accepts and Access-Rejects per NAS",
      nas.flatMap(([n, c]): [Record<string, string>, number][] => [[{ nas: n, result: "accept" }, c.accepts], [{ nas: n, result: "reject" }, c.rejects]]));
    metric("cordon_radius_duplicates_total", "counter", "Retransmissions answered from the reply cache", nas.map(([n, c]) => [{ nas: n }, c.duplicates]));
    metric("cordon_radius_drops_total", "counter", "Datagrams dropped by reason (nas=\"\" for those no NAS is charged with)", [
      ...Object.entries(radius.drops).map(([k, v]): [Record<string, string>, number] => [{ nas: "", reason: k }, v]),
      ...nas.flatMap(([n, c]) => Object.entries(c.drops).map(([k, v]): [Record<string, string>, number] => [{ nas: n, reason: k }, v])),
    ]);
    metric("cordon_radius_sessions", "gauge", "MAB sessions known", [[{}, radius.sessions]]);
  }
  if (pki.eapTls) {
    metric("cordon_eap_tls_total", "counter", "EAP-TLS sessions by outcome and defect (started, accepted, certificate refused, over budget, out of order, timed out ...)",
      Object.entries(pki.eapTls).map(([k, v]): [Record<string, string>, number] => [{ outcome: k }, v]));
  }
  if (pki.enrollment) {
    metric("cordon_enrollment_requests_total", "counter", "Enrollment listener requests by outcome (issued, cacerts, crl, scep-*, refused-*)",
      Object.entries(pki.enrollment).flatMap(([l, by]) => Object.entries(by).map(([k, v]): [Record<string, string>, number] => [{ listener: l, outcome: k }, v])));
  }
  return `${out.join("\n")}\n`;
}
