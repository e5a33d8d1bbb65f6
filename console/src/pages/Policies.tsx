import { useEffect, useState } from "react";
import { type Me, get, may, post } from "../api";

interface Simulation { policy: number; flows: number; dropped: number; allowed_by: { rule: string; comment: string; flows: number }[]; drops: { src_ip: string; src_mac: string | null; dst_ip: string; proto: string; dst_port: number; flows: number; first_seen: string; last_seen: string }[] }

/** Drop groups listed; a port scan alone makes hundreds (the API sends at most 1,000). */
const SHOWN_DROPS = 50;

const TARGETS = ["nftables", "iptables", "ip6tables", "cisco-acl", "dacl", "per-user-acl", "nas-filter-rule", "aruba", "mud"];
const PORT_TARGETS = new Set(["cisco-acl", "dacl", "per-user-acl", "nas-filter-rule", "aruba", "mud"]);

/** A compiled policy saved as a file: fetched first, so an error is shown, not saved. */
async function download(id: number, target: string, device: string): Promise<void> {
  const q = new URLSearchParams({ target, ...(PORT_TARGETS.has(target) && device ? { device } : {}) });
  const r = await fetch(`/api/policies/${id}/compile?${q}`, { credentials: "same-origin" });
  if (!r.ok) throw new Error(((await r.json().catch(() => ({}))) as { error?: string }).error ?? `${r.status}`);
  const name = /filename="([^"]+)"/.exec(r.headers.get("content-disposition") ?? "")?.[1] ?? `policy-${id}-${target}.txt`;
  const a = document.createElement("a");
  a.href = URL.createObjectURL(await r.blob());
  a.download = name;
  a.click();
  URL.revokeObjectURL(a.href);
}

interface PolicyRow { id: number; name: string; version: number; site: string; status: string; mode: string; rules: number; managed: number; changed_by: string | null; changed_at: string | null }

export function Policies({ me }: { me: Me }) {
  const [list, setList] = useState<PolicyRow[]>([]);
  const [error, setError] = useState("");
  const [reload, setReload] = useState(0);
  const [diff, setDiff] = useState<{ id: number; lines: string[]; from: number | null } | undefined>();
  const [sim, setSim] = useState<Simulation | undefined>();
  const [simulating, setSimulating] = useState(0);
  const [target, setTarget] = useState("nftables");
  const [deviceSet, setDeviceSet] = useState("");
  const simulate = (p: PolicyRow): void => {
    setSimulating(p.id);
    get<Simulation>(`/api/policies/${p.id}/simulate`).then((r) => { setSim(r); setSimulating(0); }, (e: Error) => { setError(e.message); setSimulating(0); });
  };
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
      <div className="filters">
        <label>Compile for <select value={target} onChange={(e) => setTarget(e.target.value)}>{TARGETS.map((t) => <option key={t}>{t}</option>)}</select></label>
        {PORT_TARGETS.has(target) && <label>Device set <input value={deviceSet} onChange={(e) => setDeviceSet(e.target.value)} placeholder="category:camera" maxLength={128} /></label>}
      </div>
      <table><thead><tr><th>Id</th><th>Name</th><th>Version</th><th>Site</th><th>Status</th><th>Mode</th><th>Rules</th><th>Devices</th><th>Last change</th><th><span className="sr-only">Actions</span></th></tr></thead>
        <tbody>{list.map((p) => (
          <tr key={p.id}><td>{p.id}</td><td>{p.name}</td><td>{p.version}</td><td>{p.site}</td><td>{p.status}</td><td>{p.mode}</td><td className="num">{p.rules}</td><td className="num">{p.managed}</td>
            <td>{p.changed_by} {p.changed_at}</td>
            <td className="actions">
              <button type="button" onClick={() => showDiff(p)}>Changes</button>{" "}
              <button type="button" onClick={() => simulate(p)} disabled={simulating === p.id}>{simulating === p.id ? "Simulating…" : "Simulate"}</button>{" "}
              <button type="button" onClick={() => { setError(""); download(p.id, target, deviceSet).catch((e: Error) => setError(e.message)); }}>Download {target}</button>{" "}
              {can && p.status === "proposed" && <><button type="button" onClick={() => move(p, "approve")}>Approve</button> <button type="button" onClick={() => move(p, "reject")}>Reject</button></>}
              {can && p.status === "approved" && <button type="button" onClick={() => move(p, "enforce")}>Enforce</button>}
            </td></tr>
        ))}</tbody></table>
      {sim && (
        <section className="card" aria-label="Simulation">
          <h2>Policy {sim.policy} against the stored flows: {sim.flows} flows, {sim.flows - sim.dropped} allowed, {sim.dropped} would be dropped</h2>
          <h3>Allowed, per rule</h3>
          <table><thead><tr><th>Rule</th><th>Flows</th></tr></thead>
            <tbody>{sim.allowed_by.map((a) => <tr key={a.rule}><td className="wrap">{a.rule === a.comment ? a.rule : `${a.rule}: ${a.comment}`}</td><td className="num">{a.flows}</td></tr>)}</tbody></table>
          <h3>Would be dropped{sim.drops.length > SHOWN_DROPS && `: the ${SHOWN_DROPS} largest of ${sim.drops.length} groups`}</h3>
          {sim.drops.length === 0 ? <p>nothing</p> : (
            <table><thead><tr><th>Flows</th><th>From</th><th>MAC</th><th>To</th><th>Service</th><th>First seen</th><th>Last seen</th></tr></thead>
              <tbody>{sim.drops.slice(0, SHOWN_DROPS).map((d, i) => <tr key={i}><td className="num">{d.flows}</td><td>{d.src_ip}</td><td>{d.src_mac ?? ""}</td><td>{d.dst_ip}</td><td>{d.proto === "tcp" || d.proto === "udp" ? `${d.proto}/${d.dst_port}` : d.proto}</td><td>{d.first_seen}</td><td>{d.last_seen}</td></tr>)}</tbody></table>
          )}
        </section>
      )}
      {diff && (
        <section className="card" aria-label="Changes">
          <h2>Policy {diff.id}: what it changes {diff.from === null ? "(the first version: everything it allows)" : `against policy ${diff.from}`}</h2>
          <pre className="diff">{diff.lines.join("\n") || "no change"}</pre>
        </section>
      )}
    </>
  );
}
