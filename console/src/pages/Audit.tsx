import { useEffect, useState } from "react";
import { get } from "../api";

interface Entry { id: number; at: string; principal: string; actor: string; role?: string; via: string; peer?: string; action: string; site?: string; target?: string; outcome: string; detail: string }

export function Audit() {
  const [list, setList] = useState<Entry[]>([]);
  const [error, setError] = useState("");
  useEffect(() => {
    get<Entry[]>("/api/audit?limit=500").then(setList, (e: Error) => setError(e.message));
  }, []);
  return (
    <>
      <h1>Audit</h1>
      {error && <p role="alert" className="error">{error}</p>}
      <table><thead><tr><th>At</th><th>Who</th><th>Role</th><th>Via</th><th>Action</th><th>Target</th><th>Outcome</th><th>Detail</th></tr></thead>
        <tbody>{list.map((e) => (
          <tr key={e.id}><td>{e.at}</td><td>{e.actor}</td><td>{e.role ?? ""}</td><td>{e.via}{e.peer ? ` ${e.peer}` : ""}</td><td>{e.action}</td><td>{e.target ?? ""}</td><td>{e.outcome}</td><td className="wrap">{e.detail}</td></tr>
        ))}</tbody></table>
    </>
  );
}
