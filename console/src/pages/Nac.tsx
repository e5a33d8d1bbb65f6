import { useEffect, useState } from "react";
import { type Me, get, may, post } from "../api";

interface Session { site: string; mac: string; nas: string; nas_port_id?: string; ip?: string; status: string; last_ms: number }
interface Quarantine { site: string; mac: string; since: string; by: string; reason: string; response_id?: string }
interface Decision { at: string; last_at?: string; count?: number; site: string; mac: string; nas: string; nas_port_id?: string; state: string; accept: boolean; vlan?: string; reason: string }

/** RADIUS as serve sees it: each MAC's session at its NAS, and the decisions with their reasons. */
export function Nac({ me }: { me: Me }) {
  const [sessions, setSessions] = useState<Session[]>([]);
  const [decisions, setDecisions] = useState<Decision[]>([]);
  const [quarantines, setQuarantines] = useState<Quarantine[]>([]);
  const [error, setError] = useState("");
  const [note, setNote] = useState("");
  const [reload, setReload] = useState(0);
  useEffect(() => {
    Promise.all([get<Session[]>("/api/nac/sessions"), get<Decision[]>("/api/nac/decisions?limit=500"), get<Quarantine[]>("/api/quarantines")])
      .then(([s, d, q]) => { setSessions(s); setDecisions(d); setQuarantines(q); }, (e: Error) => setError(e.message));
  }, [reload]);
  const release = (q: Quarantine): void => {
    const reason = window.prompt(`Release ${q.mac}: why is it safe again?`);
    if (!reason) return;
    setError("");
    post<{ enforcement: string; now: boolean }>("/api/release", { mac: q.mac, site: q.site, reason })
      .then((r) => { setNote(`${q.mac} released${r.now ? "" : " from its next authentication"}: ${r.enforcement}`); setReload((x) => x + 1); }, (e: Error) => setError(e.message));
  };
  return (
    <>
      <h1>NAC</h1>
      {error && <p role="alert" className="error">{error}</p>}
      {note && <p role="status">{note}</p>}
      <section className="card" aria-label="Quarantined now">
        <h2>Quarantined now ({quarantines.length})</h2>
        {quarantines.length === 0 ? <p className="muted">none</p> : (
          <table><thead><tr><th>MAC</th><th>Site</th><th>Since</th><th>By</th><th>Reason</th><th><span className="sr-only">Actions</span></th></tr></thead>
            <tbody>{quarantines.map((q) => (
              <tr key={`${q.site} ${q.mac}`}><td><a href={`#/device/${encodeURIComponent(q.mac)}`}>{q.mac}</a></td><td>{q.site}</td><td>{q.since}</td><td>{q.by}</td><td className="wrap">{q.reason}</td>
                <td>{may(me, "quarantine") && <button type="button" onClick={() => release(q)}>Release</button>}</td></tr>
            ))}</tbody></table>
        )}
      </section>
      <section className="card" aria-label="Sessions">
        <h2>Sessions ({sessions.length})</h2>
        <table><thead><tr><th>MAC</th><th>Site</th><th>NAS</th><th>Port</th><th>Address</th><th>Status</th><th>Last</th></tr></thead>
          <tbody>{sessions.map((s) => <tr key={`${s.site} ${s.mac}`}><td><a href={`#/device/${encodeURIComponent(s.mac)}`}>{s.mac}</a></td><td>{s.site}</td><td>{s.nas}</td><td>{s.nas_port_id ?? ""}</td><td>{s.ip ?? ""}</td><td>{s.status}</td><td>{new Date(s.last_ms).toISOString()}</td></tr>)}</tbody></table>
      </section>
      <section className="card" aria-label="Decisions">
        <h2>Decisions, newest first ({decisions.length})</h2>
        <table><thead><tr><th>At</th><th>Times</th><th>MAC</th><th>NAS</th><th>Port</th><th>State</th><th>VLAN</th><th>Reason</th></tr></thead>
          <tbody>{decisions.map((d, i) => (
            <tr key={i}><td>{d.at}</td><td className="num">{d.count ?? 1}</td><td><a href={`#/device/${encodeURIComponent(d.mac)}`}>{d.mac}</a></td><td>{d.nas}</td><td>{d.nas_port_id ?? ""}</td>
              <td>{d.accept ? d.state : `${d.state} (reject)`}</td><td>{d.vlan ?? ""}</td><td className="wrap">{d.reason}</td></tr>
          ))}</tbody></table>
      </section>
    </>
  );
}
