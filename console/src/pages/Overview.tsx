import { useEffect, useRef, useState } from "react";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { get } from "../api";
import { useLive } from "../live";

const SEVERITIES = ["low", "medium", "high", "critical"] as const;
type Severity = (typeof SEVERITIES)[number];
const COLOURS: Record<Severity, string> = { low: "#7a8699", medium: "#d49a00", high: "#d4570b", critical: "#a4161a" };

interface Overview {
  devices: number;
  by_category: Record<string, number>;
  by_criticality: Record<string, number>;
  open_by_severity: Record<Severity, number>;
  alerts_by_day: ({ day: string } & Record<Severity, number>)[];
  responses_waiting: number;
}
interface SourceRow { name: string; kind: string; site: string; state: "receiving" | "quiet" | "never"; last_activity: string | null; packets: number; records: number; drops: number; kernel_drops: number; errors: number; exporters: number }
interface Status { worker: { status: string }; store: { up: boolean; held_flows: number }; pipeline: { packets: number; flows: number; devices: number; errors: number }; sources: SourceRow[] }

const sorted = (m: Record<string, number>): [string, number][] => Object.entries(m).sort((a, b) => b[1] - a[1]);

/** Bars drawn with CSS widths: enough for counts by kind, and readable without a chart. */
function Bars({ title, rows }: { title: string; rows: [string, number][] }) {
  const max = Math.max(1, ...rows.map((r) => r[1]));
  return (
    <section className="card">
      <h2>{title}</h2>
      {rows.length === 0 ? <p className="muted">none</p> : (
        <table className="bars"><tbody>
          {rows.map(([k, n]) => (
            <tr key={k}><th scope="row" title={k}>{k}</th><td><meter min={0} max={max} value={n} aria-label={`${k}: ${n}`} /></td><td className="num">{n}</td></tr>
          ))}
        </tbody></table>
      )}
    </section>
  );
}

/**
 * Alerts per day, stacked by severity (uPlot): each severity's bar is drawn over the sum of
 * those above it, so what shows of it is its own count; the legend and the table give counts.
 */
function AlertTimeline({ days }: { days: Overview["alerts_by_day"] }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el || days.length === 0) return;
    const xs = days.map((d) => Date.parse(`${d.day}T00:00:00Z`) / 1000);
    const order = [...SEVERITIES].reverse();
    const cumulative = order.map((s) => days.map((d) => SEVERITIES.slice(0, SEVERITIES.indexOf(s) + 1).reduce((n, k) => n + d[k], 0)));
    const bars = uPlot.paths.bars!({ size: [0.8, 48], align: 0 });
    const plot = new uPlot({
      width: el.clientWidth, height: 220,
      scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(1, max)] } },
      axes: [{}, { size: 40 }],
      series: [{ value: (_u, v) => (v === null ? "" : new Date(v * 1000).toISOString().slice(0, 10)) },
        ...order.map((s) => ({ label: s, stroke: COLOURS[s], fill: COLOURS[s], paths: bars, points: { show: false }, value: (_u: uPlot, _v: number | null, _si: number, i: number | null) => (i === null ? "" : String(days[i][s])) }))],
    }, [xs, ...cumulative], el);
    const resize = new ResizeObserver(() => plot.setSize({ width: el.clientWidth, height: 220 }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [days]);
  const first = days[0]?.day;
  const last = days[days.length - 1]?.day;
  return (
    <section className="card wide" aria-labelledby="timeline">
      <h2 id="timeline">Alerts by severity, per day {first && <span className="muted">({first} to {last}, the newest alert's day)</span>}</h2>
      {days.length === 0 ? <p className="muted">no alerts yet</p> : (
        <>
          <div ref={box} className="chart" role="img" aria-label={`Alerts per day from ${first} to ${last}, stacked by severity; the table below has the counts`} />
          <details><summary>Counts per day</summary>
            <table><thead><tr><th>Day</th>{SEVERITIES.map((s) => <th key={s} className="num">{s}</th>)}</tr></thead>
              <tbody>{days.filter((d) => SEVERITIES.some((s) => d[s] > 0)).map((d) => <tr key={d.day}><td>{d.day}</td>{SEVERITIES.map((s) => <td key={s} className="num">{d[s]}</td>)}</tr>)}</tbody></table>
          </details>
        </>
      )}
    </section>
  );
}

function Sources({ status }: { status: Status | undefined }) {
  if (!status) return null;
  return (
    <section className="card wide" aria-labelledby="sources">
      <h2 id="sources">Sources and health</h2>
      <p>
        Worker <strong className={status.worker.status === "ok" ? "ok" : "warn"}>{status.worker.status}</strong>;{" "}
        database <strong className={status.store.up ? "ok" : "warn"}>{status.store.up ? "up" : `down, ${status.store.held_flows} flows held`}</strong>;{" "}
        {status.pipeline.packets} packets, {status.pipeline.flows} flows, {status.pipeline.errors} decoding errors since start
      </p>
      {status.sources.length === 0 ? <p className="muted">no live sources configured (devices come from analysed captures)</p> : (
        <table><thead><tr><th>Source</th><th>Kind</th><th>Site</th><th>State</th><th>Last activity</th><th className="num">Packets</th><th className="num">Records</th><th className="num">Dropped</th><th className="num">Errors</th></tr></thead>
          <tbody>{status.sources.map((s) => (
            <tr key={s.name}><td>{s.name}</td><td>{s.kind}</td><td>{s.site}</td><td className={s.state === "receiving" ? "ok" : "warn"}>{s.state}</td><td>{s.last_activity ?? "—"}</td>
              <td className="num">{s.packets}</td><td className="num">{s.records}</td><td className="num">{s.drops + s.kernel_drops}</td><td className="num">{s.errors}</td></tr>
          ))}</tbody></table>
      )}
    </section>
  );
}

export function Overview() {
  const live = useLive(["alert", "response", "devices"]);
  const [o, setO] = useState<Overview | undefined>();
  const [status, setStatus] = useState<Status | undefined>();
  const [error, setError] = useState("");
  useEffect(() => {
    get<Overview>("/api/overview").then(setO, (e: Error) => setError(e.message));
    get<Status>("/api/status").then(setStatus, () => setStatus(undefined));
  }, [live]);
  const open = o ? SEVERITIES.reduce((n, s) => n + o.open_by_severity[s], 0) : 0;
  return (
    <>
      <h1>Overview</h1>
      {error && <p role="alert" className="error">{error}</p>}
      {!o ? <p className="loading">Loading…</p> : (
        <>
          <p className="summary">
            <a href="#/devices"><strong>{o.devices}</strong> devices</a>
            <a href="#/alerts"><strong>{open}</strong> open alerts</a>
            <a href="#/responses"><strong>{o.responses_waiting}</strong> responses waiting for a person</a>
          </p>
          <div className="cards">
            <Bars title="Devices by category" rows={sorted(o.by_category)} />
            <Bars title="Devices by criticality" rows={sorted(o.by_criticality)} />
            <Bars title="Open alerts by severity" rows={[...SEVERITIES].reverse().map((s) => [s, o.open_by_severity[s]])} />
          </div>
          <div className="cards"><AlertTimeline days={o.alerts_by_day} /></div>
        </>
      )}
      <div className="cards"><Sources status={status} /></div>
    </>
  );
}
