import { useEffect, useState } from "react";
import { all, get } from "../api";
import { useLive } from "../live";

interface DeviceRow { category: string; criticality: string }
interface AlertRow { severity: string; first_seen: string }
interface ResponseRow { status: string }

const count = <T,>(xs: T[], key: (x: T) => string): [string, number][] => {
  const m = new Map<string, number>();
  for (const x of xs) m.set(key(x), (m.get(key(x)) ?? 0) + 1);
  return [...m].sort((a, b) => b[1] - a[1]);
};

/** Bars drawn with CSS widths: enough for counts by kind, and readable without a chart library. */
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

export function Overview() {
  const live = useLive(["alert", "response", "devices"]);
  const [devices, setDevices] = useState<DeviceRow[]>([]);
  const [alerts, setAlerts] = useState<AlertRow[]>([]);
  const [responses, setResponses] = useState<ResponseRow[]>([]);
  const [error, setError] = useState("");
  useEffect(() => {
    Promise.all([all<DeviceRow>("/api/devices"), all<AlertRow>("/api/alerts"), get<ResponseRow[]>("/api/responses")])
      .then(([d, a, r]) => { setDevices(d); setAlerts(a); setResponses(r); }, (e: Error) => setError(e.message));
  }, [live]);
  const waiting = responses.filter((r) => r.status === "proposed").length;
  const byDay = count(alerts, (a) => a.first_seen.slice(0, 10)).sort((a, b) => a[0].localeCompare(b[0]));
  return (
    <>
      <h1>Overview</h1>
      {error && <p role="alert" className="error">{error}</p>}
      <p className="summary">
        <span><strong>{devices.length}</strong> devices</span>
        <span><strong>{alerts.length}</strong> open alerts</span>
        <a href="#/responses"><strong>{waiting}</strong> responses waiting for a person</a>
      </p>
      <div className="cards">
        <Bars title="Devices by category" rows={count(devices, (d) => d.category)} />
        <Bars title="Devices by criticality" rows={count(devices, (d) => d.criticality)} />
        <Bars title="Open alerts by severity" rows={count(alerts, (a) => a.severity)} />
        <Bars title="Open alerts by day first seen" rows={byDay} />
      </div>
    </>
  );
}
