import { useEffect, useState } from "react";
import { get } from "../api";

interface Session { site: string; mac: string; nas: string; nas_port_id?: string; ip?: string; status: string; last_at: string }
interface Decision { at: string; last_at?: string; count?: number; site: string; mac: string; nas: string; nas_port_id?: string; state: string; accept: boolean; vlan?: string; reason: string }

/** RADIUS as serve sees it: each MAC's session at its NAS, and the decisions with their reasons. */
export function Nac() {
  const [sessions, setSessions] = useState<Session[]>([]);
  const [decisions, setDecisions] = useState<Decision[]>([]);
  const [error, setError] = useState("");
  useEffect(() => {
    Promise.all([get<Session[]>("/api/nac/sessions"), get<Decision[]>("/api/nac/decisions?limit=500")])
      .then(([s, d]) => { setSessions(s); setDecisions(d); }, (e: Error) => setError(e.message));
  }, []);
  return (
    <>
      <h1>NAC</h1>
      {error && <p role="alert" className="error">{error}</p>}
      <section className="card" aria-label="Sessions">
        <h2>Sessions ({sessions.length})</h2>
        <table><thead><tr><th>MAC</th><th>Site</th><th>NAS</th><th>Port</th><th>Address</th><th>Status</th><th>Last</th></tr></thead>
          <tbody>{sessions.map((s) => <tr key={`${s.site} ${s.mac}`}><td><a href={`#/device/${encodeURIComponent(s.mac)}`}>{s.mac}</a></td><td>{s.site}</td><td>{s.nas}</td><td>{s.nas_port_id ?? ""}</td><td>{s.ip ?? ""}</td><td>{s.status}</td><td>{s.last_at}</td></tr>)}</tbody></table>
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
