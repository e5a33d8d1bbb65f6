import { type FormEvent, useEffect, useState } from "react";
import { type Me, get, may, post } from "../api";

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

export function Device({ id, me }: { id: string; me: Me }) {
  const [d, setD] = useState<DeviceDetail | undefined>();
  const [error, setError] = useState("");
  const [note, setNote] = useState("");
  useEffect(() => {
    get<{ items: DeviceDetail[] }>(`/api/devices/${encodeURIComponent(id)}`).then((r) => setD(r.items[0]), (e: Error) => setError(e.message));
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
