import { useEffect, useState } from "react";
import { type Me, get, may, post } from "../api";
import { useLive } from "../live";

interface ResponseRow { id: string; status: string; mac: string; site: string; title: string; criticality: string; category: string; created_at: string; requested_by?: string; plan: { waits_because?: string }; steps: { at: string; action: string; outcome: string; by?: string; detail: string }[] }

const OT = "life-safety/physical-process";

export function Responses({ me }: { me: Me }) {
  const live = useLive(["response"]);
  const [list, setList] = useState<ResponseRow[]>([]);
  const [error, setError] = useState("");
  const [reload, setReload] = useState(0);
  useEffect(() => {
    get<ResponseRow[]>("/api/responses").then(setList, (e: Error) => setError(e.message));
  }, [live, reload]);
  const decide = (r: ResponseRow, verb: "approve" | "reject"): void => {
    const reason = verb === "reject" ? window.prompt("Why reject it?") : "";
    if (verb === "reject" && !reason) return;
    post(`/api/responses/${r.id}/${verb}`, verb === "reject" ? { reason } : {}).then(() => setReload((x) => x + 1), (e: Error) => setError(e.message));
  };
  const waiting = list.filter((r) => r.status === "proposed");
  const rest = list.filter((r) => r.status !== "proposed");
  const canDecide = (r: ResponseRow): string | undefined => {
    if (!may(me, "response.approve")) return "your role may not decide on responses";
    if (r.criticality === OT && !may(me, "response.approve.ot")) return "an OT engineer or an admin decides for this device";
    if (r.requested_by === me.user) return "you asked for it: another person approves it";
    return undefined;
  };
  return (
    <>
      <h1>Responses</h1>
      {error && <p role="alert" className="error">{error}</p>}
      <h2>Waiting for a person ({waiting.length})</h2>
      {waiting.length === 0 ? <p className="muted">none</p> : (
        <ul className="waiting">
          {waiting.map((r) => {
            const why = canDecide(r);
            return (
              <li key={r.id} className="card">
                <p><strong>{r.title}</strong></p>
                <p>Device <a href={`#/device/${encodeURIComponent(r.mac)}`}>{r.mac}</a> at {r.site}: {r.category}, <strong>{r.criticality}</strong>{r.requested_by && <> — asked for by {r.requested_by}</>}</p>
                <p className="muted">{r.plan.waits_because}</p>
                {why ? <p className="muted" role="note">{why}</p> : (
                  <p><button type="button" onClick={() => decide(r, "approve")}>Approve quarantine</button> <button type="button" onClick={() => decide(r, "reject")}>Reject</button></p>
                )}
              </li>
            );
          })}
        </ul>
      )}
      <h2>Earlier</h2>
      <table><thead><tr><th>Created</th><th>Status</th><th>Device</th><th>Criticality</th><th>Title</th></tr></thead>
        <tbody>{rest.map((r) => <tr key={r.id}><td>{r.created_at}</td><td>{r.status}</td><td>{r.mac}</td><td>{r.criticality}</td><td className="wrap">{r.title}</td></tr>)}</tbody></table>
    </>
  );
}
