import { useEffect, useState } from "react";
import { type Me, get, may, post } from "../api";

interface PolicyRow { id: number; name: string; version: number; site: string; status: string; mode: string; rules: number; managed: number; changed_by: string | null; changed_at: string | null }

export function Policies({ me }: { me: Me }) {
  const [list, setList] = useState<PolicyRow[]>([]);
  const [error, setError] = useState("");
  const [reload, setReload] = useState(0);
  const [diff, setDiff] = useState<{ id: number; lines: string[]; from: number | null } | undefined>();
  const showDiff = (p: PolicyRow): void => {
    get<{ from: number | null; to: number; lines: string[] }>(`/api/policies/${p.id}/diff`).then((d) => setDiff({ id: p.id, lines: d.lines, from: d.from }), (e: Error) => setError(e.message));
  };
  useEffect(() => {
    get<{ items: PolicyRow[] }>("/api/policies").then((r) => setList(r.items), (e: Error) => setError(e.message));
  }, [reload]);
  const move = (p: PolicyRow, verb: "approve" | "reject" | "enforce"): void => {
    setError("");
    post(`/api/policies/${p.id}/${verb}`, {}).then(() => setReload((x) => x + 1), (e: Error) => setError(e.message));
  };
  const can = may(me, "policy.approve");
  return (
    <>
      <h1>Policies</h1>
      {error && <p role="alert" className="error">{error}</p>}
      <table><thead><tr><th>Id</th><th>Name</th><th>Version</th><th>Site</th><th>Status</th><th>Mode</th><th>Rules</th><th>Devices</th><th>Last change</th><th><span className="sr-only">Actions</span></th></tr></thead>
        <tbody>{list.map((p) => (
          <tr key={p.id}><td>{p.id}</td><td>{p.name}</td><td>{p.version}</td><td>{p.site}</td><td>{p.status}</td><td>{p.mode}</td><td className="num">{p.rules}</td><td className="num">{p.managed}</td>
            <td>{p.changed_by} {p.changed_at}</td>
            <td className="actions">
              <button type="button" onClick={() => showDiff(p)}>Changes</button>{" "}
              {can && p.status === "proposed" && <><button type="button" onClick={() => move(p, "approve")}>Approve</button> <button type="button" onClick={() => move(p, "reject")}>Reject</button></>}
              {can && p.status === "approved" && <button type="button" onClick={() => move(p, "enforce")}>Enforce</button>}
            </td></tr>
        ))}</tbody></table>
      {diff && (
        <section className="card" aria-label="Changes">
          <h2>Policy {diff.id}: what it changes {diff.from === null ? "(the first version: everything it allows)" : `against policy ${diff.from}`}</h2>
          <pre className="diff">{diff.lines.join("\n") || "no change"}</pre>
        </section>
      )}
    </>
  );
}
