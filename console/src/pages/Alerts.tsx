import { useEffect, useState } from "react";
import { type Me, all, get, may, post } from "../api";
import { useLive } from "../live";

interface AlertRow { id: string; severity: string; class: string; detector: string; source: string | null; target: string | null; device: string | null; title: string; count: number; first_seen: string; last_seen: string; status: string }
interface Evidence { flows: string[]; observations: string[]; packets: { source: string; packet: number }[] }

/** An alert's evidence, asked for when a person opens it: the queue's rows come without it. */
function AlertEvidence({ alert }: { alert: AlertRow }) {
  const [evidence, setEvidence] = useState<Evidence | undefined>();
  const [error, setError] = useState("");
  useEffect(() => {
    get<{ evidence: Evidence }>(`/api/alerts/${encodeURIComponent(alert.id)}`).then((a) => setEvidence(a.evidence), (e: Error) => setError(e.message));
  }, [alert.id]);
  return (
    <div className="evidence">
      <p><code>{alert.id}</code> {alert.class} by {alert.detector}; target {alert.target ?? "—"}</p>
      {error && <p role="alert" className="error">{error}</p>}
      {evidence ? <ul>{[...evidence.observations, ...evidence.flows].slice(0, 20).map((x, i) => <li key={i}><code>{x}</code></li>)}</ul> : !error && <p className="muted">loading the evidence…</p>}
    </div>
  );
}

export function Alerts({ me }: { me: Me }) {
  const live = useLive(["alert"]);
  const [alerts, setAlerts] = useState<AlertRow[]>([]);
  const [open, setOpen] = useState<string | undefined>();
  const [error, setError] = useState("");
  const [reload, setReload] = useState(0);
  useEffect(() => {
    // The queue: most severe first, then the most recent.
    const rank = ["critical", "high", "medium", "low"];
    all<AlertRow>("/api/alerts?view=row").then((list) => setAlerts(list.sort((a, b) => rank.indexOf(a.severity) - rank.indexOf(b.severity) || b.last_seen.localeCompare(a.last_seen))), (e: Error) => setError(e.message));
  }, [live, reload]);
  const act = (a: AlertRow, verb: "acknowledge" | "resolve"): void => {
    post(`/api/alerts/${a.id}/${verb}`, {}).then(() => setReload((x) => x + 1), (e: Error) => setError(e.message));
  };
  const suppress = (a: AlertRow): void => {
    const reason = window.prompt(`Why silence ${a.detector} for ${a.source ?? "this device"} for 7 days?`);
    if (!reason) return;
    post("/api/suppressions", { detector: a.detector, ...(a.source ? { device: a.source } : {}), reason, expires_at: "7d" })
      .then(() => setReload((x) => x + 1), (e: Error) => setError(e.message));
  };
  const canMove = may(me, "alert.move");
  const [told, setTold] = useState("");
  /** Starts a response: the alert's device quarantined now, or, for a device of an OT tier, proposed for another person to approve. */
  const quarantine = (a: AlertRow): void => {
    const reason = window.prompt(`Quarantine ${a.device}? Why (alert ${a.id.slice(0, 8)}: ${a.title})`, `alert ${a.id.slice(0, 8)}: ${a.title}`.slice(0, 500));
    if (!reason) return;
    post<{ id: string; status: string }>("/api/quarantine", { mac: a.device, reason })
      .then((r) => setTold(r.status === "proposed" ? `Response ${r.id.slice(0, 8)} waits for another person's approval (Responses)` : `Response ${r.id.slice(0, 8)}: ${r.status}`), (e: Error) => setError(e.message));
  };
  return (
    <>
      <h1>Alerts</h1>
      {error && <p role="alert" className="error">{error}</p>}
      <p className="muted">{alerts.length} open or acknowledged</p>
      {told && <p role="status">{told}</p>}
      <table className="queue">
        <thead><tr><th>Severity</th><th>Title</th><th>Source</th><th>Count</th><th>Last seen</th><th>Status</th><th><span className="sr-only">Actions</span></th></tr></thead>
        <tbody>
          {alerts.map((a) => (
            <tr key={a.id} className={`sev-${a.severity}`}>
              <td>{a.severity}</td>
              <td className="wrap"><button type="button" className="link" aria-expanded={open === a.id} onClick={() => setOpen(open === a.id ? undefined : a.id)}>{a.title}</button>
                {open === a.id && <AlertEvidence alert={a} />}
              </td>
              <td>{a.device ? <a href={`#/device/${encodeURIComponent(a.device)}`}>{a.source}</a> : a.source}</td>
              <td className="num">{a.count}</td><td>{a.last_seen}</td><td>{a.status}</td>
              <td className="actions">
                {canMove && a.status === "open" && <button type="button" onClick={() => act(a, "acknowledge")}>Acknowledge</button>}
                {canMove && <button type="button" onClick={() => act(a, "resolve")}>Resolve</button>}
                {canMove && <button type="button" onClick={() => suppress(a)}>Suppress 7 days</button>}
                {may(me, "quarantine") && a.device && <button type="button" onClick={() => quarantine(a)}>Quarantine device</button>}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
