import { type FormEvent, useEffect, useState } from "react";
import { type Me, all, get, may, post } from "../api";

interface Fact { kind: string; value: string; count: number; first_seen: string; last_seen: string; evidence: { source: string; packet: number | null; time: string } }
interface Evidence { rule?: string; weight?: number; facts?: { kind: string; value: string }[] }
interface DeviceDetail {
  site: string; mac: string | null; ips: string[]; category: string; vendor: string | null; model: string | null; firmware: string | null;
  confidence: number; criticality: string; evidence: Evidence[]; hostnames: string[]; first_seen: string; last_seen: string;
  override?: { category?: string; criticality?: string; reason?: string; set_by: string; set_at: string };
  addresses: { ip: string; origin: string; first_seen: string; last_seen: string }[];
  facts: Fact[];
  verdict_history: { category: string; vendor: string | null; confidence: number; decided: string }[];
}

const CRITICALITY = ["life-safety/physical-process", "sensitive-data", "standard", "low"];

interface FlowRow { proto: string; src_ip: string; src_port: number; dst_ip: string; dst_port: number; app_protocol: string | null; bytes_src_to_dst: number; bytes_dst_to_src: number; first_seen: string; last_seen: string }
interface DecisionRow { at: string; nas: string; nas_port_id?: string; state: string; vlan?: string; reason: string; count?: number }
interface AlertRow { id: string; severity: string; title: string; status: string; last_seen: string; device: string | null }

export function Device({ id, me }: { id: string; me: Me }) {
  const [d, setD] = useState<DeviceDetail | undefined>();
  const [error, setError] = useState("");
  const [note, setNote] = useState("");
  const [flows, setFlows] = useState<FlowRow[]>([]);
  const [decisions, setDecisions] = useState<DecisionRow[]>([]);
  const [alerts, setAlerts] = useState<AlertRow[]>([]);
  useEffect(() => {
    get<{ items: DeviceDetail[] }>(`/api/devices/${encodeURIComponent(id)}`).then((r) => {
      const dev = r.items[0];
      setD(dev);
      const site = encodeURIComponent(dev.site);
      void get<{ items: FlowRow[] }>(`/api/flows?device=${encodeURIComponent(id)}&site=${site}&limit=100`).then((f) => setFlows(f.items), () => setFlows([]));
      if (dev.mac) void get<DecisionRow[]>(`/api/nac/decisions?mac=${encodeURIComponent(dev.mac)}&site=${site}&limit=50`).then(setDecisions, () => setDecisions([]));
      void all<AlertRow>(`/api/alerts?status=all&site=${site}`).then((a) => setAlerts(a.filter((x) => x.device === dev.mac)), () => setAlerts([]));
    }, (e: Error) => setError(e.message));
  }, [id]);
  const setCriticality = (e: FormEvent<HTMLFormElement>): void => {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    post<{ items: DeviceDetail[] }>(`/api/devices/${encodeURIComponent(id)}/override`, { criticality: String(f.get("criticality")), reason: String(f.get("reason")), site: d?.site })
      .then((r) => { setD(r.items[0]); setNote("saved"); }, (err: Error) => setNote(err.message));
  };
  if (error) return <p role="alert" className="error">{error}</p>;
  if (!d) return <p className="loading">Loading…</p>;
  return (
    <>
      <h1>{d.mac ?? d.ips[0]} <span className="muted">{d.hostnames.join(", ")}</span></h1>
      <div className="cards">
        <section className="card" aria-labelledby="verdict">
          <h2 id="verdict">Verdict</h2>
          <dl>
            <dt>Category</dt><dd>{d.category}</dd>
            <dt>Vendor</dt><dd>{d.vendor ?? "—"}</dd>
            <dt>Model</dt><dd>{d.model ?? "—"}</dd>
            <dt>Firmware</dt><dd>{d.firmware ?? "—"}</dd>
            <dt>Confidence</dt><dd>{Math.round(d.confidence * 100)}%</dd>
            <dt>Criticality</dt><dd>{d.criticality}{d.override?.criticality && <span className="muted"> (set by {d.override.set_by}: {d.override.reason})</span>}</dd>
            <dt>Site</dt><dd>{d.site}</dd>
          </dl>
          <h3>Why</h3>
          <ul className="evidence">
            {d.evidence.map((e, i) => (
              <li key={i}><code>{e.rule ?? "rule"}</code>{e.weight !== undefined && <span className="muted"> weight {e.weight}</span>}
                {e.facts && <ul>{e.facts.map((f, j) => <li key={j}><code>{f.kind}</code> {f.value}</li>)}</ul>}
              </li>
            ))}
          </ul>
          {may(me, "override") && (
            <form className="inline" onSubmit={setCriticality}>
              <label>Criticality <select name="criticality" defaultValue={d.criticality}>{CRITICALITY.map((c) => <option key={c}>{c}</option>)}</select></label>
              <label>Reason <input name="reason" required maxLength={500} /></label>
              <button type="submit">Set</button>
              {note && <span role="status">{note}</span>}
            </form>
          )}
        </section>
        <section className="card">
          <h2>Addresses</h2>
          <table><thead><tr><th>Address</th><th>Seen by</th><th>First</th><th>Last</th></tr></thead>
            <tbody>{d.addresses.map((a) => <tr key={a.ip}><td>{a.ip}</td><td>{a.origin}</td><td>{a.first_seen}</td><td>{a.last_seen}</td></tr>)}</tbody></table>
          <h2>Verdict history</h2>
          <table><thead><tr><th>Decided</th><th>Category</th><th>Vendor</th><th>Confidence</th></tr></thead>
            <tbody>{d.verdict_history.map((v, i) => <tr key={i}><td>{v.decided}</td><td>{v.category}</td><td>{v.vendor ?? "—"}</td><td>{Math.round(v.confidence * 100)}%</td></tr>)}</tbody></table>
        </section>
      </div>
      <div className="cards">
        <section className="card" aria-label="Alerts of this device">
          <h2>Alerts ({alerts.length})</h2>
          {alerts.length === 0 ? <p className="muted">none</p> : (
            <table><thead><tr><th>Severity</th><th>Title</th><th>Status</th><th>Last seen</th></tr></thead>
              <tbody>{alerts.map((a) => <tr key={a.id}><td>{a.severity}</td><td className="wrap">{a.title}</td><td>{a.status}</td><td>{a.last_seen}</td></tr>)}</tbody></table>
          )}
        </section>
        <section className="card" aria-label="RADIUS decisions">
          <h2>RADIUS decisions ({decisions.length})</h2>
          {decisions.length === 0 ? <p className="muted">none</p> : (
            <table><thead><tr><th>At</th><th>NAS</th><th>Port</th><th>State</th><th>VLAN</th><th>Reason</th></tr></thead>
              <tbody>{decisions.map((x, i) => <tr key={i}><td>{x.at}</td><td>{x.nas}</td><td>{x.nas_port_id ?? ""}</td><td>{x.state}</td><td>{x.vlan ?? ""}</td><td className="wrap">{x.reason}</td></tr>)}</tbody></table>
          )}
        </section>
      </div>
      <section className="card" aria-label="Flows">
        <h2>Flows, newest first ({flows.length}{flows.length === 100 ? " shown" : ""})</h2>
        <table><thead><tr><th>Proto</th><th>From</th><th>To</th><th>App</th><th>Bytes out</th><th>Bytes in</th><th>First seen</th></tr></thead>
          <tbody>{flows.map((f, i) => (
            <tr key={i}><td>{f.proto}</td><td>{f.src_ip}:{f.src_port}</td><td>{f.dst_ip}:{f.dst_port}</td><td>{f.app_protocol ?? ""}</td><td className="num">{f.bytes_src_to_dst}</td><td className="num">{f.bytes_dst_to_src}</td><td>{f.first_seen}</td></tr>
          ))}</tbody></table>
      </section>
      <section className="card">
        <h2>Facts, with their evidence</h2>
        <table className="facts"><thead><tr><th>Kind</th><th>Value</th><th>Times</th><th>First seen</th><th>Evidence</th></tr></thead>
          <tbody>{d.facts.map((f, i) => (
            <tr key={i}><td><code>{f.kind}</code></td><td className="wrap">{f.value}</td><td className="num">{f.count}</td><td>{f.first_seen}</td>
              <td className="wrap">{f.evidence.source}{f.evidence.packet !== null && ` #${f.evidence.packet}`}</td></tr>
          ))}</tbody></table>
      </section>
    </>
  );
}
