import { type FormEvent, useEffect, useState } from "react";
import { type Me, all, get, may, post } from "../api";

interface Fact { kind: string; value: string; count: number; first_seen: string; last_seen: string; evidence: { source: string; packet: number | null; time: string } }
interface Evidence { rule?: string; weight?: number; facts?: { kind: string; value: string }[] }
interface DeviceDetail {
  site: string; mac: string | null; ips: string[]; category: string; vendor: string | null; model: string | null; firmware: string | null;
  confidence: number; criticality: string; identity?: string; identity_reason?: string; evidence: Evidence[]; hostnames: string[]; first_seen: string; last_seen: string;
  override?: { category?: string; criticality?: string; reason?: string; set_by: string; set_at: string };
  addresses: { ip: string; origin: string; first_seen: string; last_seen: string }[];
  facts: Fact[];
  verdict_history: { category: string; vendor: string | null; confidence: number; decided: string }[];
}

const CRITICALITY = ["life-safety/physical-process", "sensitive-data", "standard", "low"];

interface FlowRow { proto: string; src_ip: string; src_port: number; dst_ip: string; dst_port: number; app_protocol: string | null; bytes_src_to_dst: number; bytes_dst_to_src: number; first_seen: string; last_seen: string }
interface DecisionRow { at: string; nas: string; nas_port_id?: string; state: string; vlan?: string; reason: string; count?: number }
interface Peer { direction: string; peer: string; peer_role: string; proto: string; port: number; flows: number; bytes_out: number; bytes_in: number; last_seen: string }
interface Context {
  read: "summaries" | "flows"; flows_read: number; truncated: boolean;
  baseline: { mature: boolean; maturity: string; first_seen: string | null; last_seen: string | null; flows: number; active_hours: number; stability: number; hours: number[] } | null;
  peers: Peer[];
  policy: { id: number; name: string; version: number; status: string; mode: string; groups: string[]; managed: boolean; rules: { id: string; from: string; to: string; proto: string; ports: string; comment: string }[] } | null;
  responses: { id: string; status: string; title: string; created_at: string; requested_by?: string; steps: { at: string; action: string; outcome: string; by?: string }[] }[];
}
interface Claim { field: string; value: string; from: string }
interface VulnCve { cve: string; kev: boolean; cvss: number | null; confidence: string; reason: string; remediations?: string[] }
interface Vulns {
  vendor: string | null; product: string | null; models: string[]; firmware: string | null; serial: string | null; identity_evidence: Claim[];
  risk: { score: number; criticality: string; exploitability: number; exploitability_why: string; exposure: number; exposure_why: string } | null;
  exposures: { service: string; inside_allowed: number; inside_total: number; internet: boolean; governed: boolean; allowed_by: string[] }[];
  cves: VulnCve[]; possible: VulnCve[];
  eol: { decision: string; owner: string; review_by: string; replace_by?: string; status: string[]; rationale: string }[];
}
interface SessionRow { mac: string; site: string; nas: string; nas_port_id?: string; ip?: string; status: string; last_ms: number }
interface AlertRow { id: string; severity: string; title: string; status: string; last_seen: string; device: string | null }

export function Device({ id, me }: { id: string; me: Me }) {
  const [d, setD] = useState<DeviceDetail | undefined>();
  const [error, setError] = useState("");
  const [note, setNote] = useState("");
  const [flows, setFlows] = useState<FlowRow[]>([]);
  const [decisions, setDecisions] = useState<DecisionRow[]>([]);
  const [alerts, setAlerts] = useState<AlertRow[]>([]);
  const [context, setContext] = useState<Context | undefined>();
  const [session, setSession] = useState<SessionRow | undefined>();
  const [vulns, setVulns] = useState<Vulns | undefined>();
  useEffect(() => {
    get<{ items: DeviceDetail[] }>(`/api/devices/${encodeURIComponent(id)}`).then((r) => {
      const dev = r.items[0];
      setD(dev);
      const site = encodeURIComponent(dev.site);
      void get<{ items: FlowRow[] }>(`/api/flows?device=${encodeURIComponent(id)}&site=${site}&limit=100`).then((f) => setFlows(f.items), () => setFlows([]));
      if (dev.mac) void get<DecisionRow[]>(`/api/nac/decisions?mac=${encodeURIComponent(dev.mac)}&site=${site}&limit=50`).then(setDecisions, () => setDecisions([]));
      void all<AlertRow>(`/api/alerts?view=row&status=all&site=${site}&device=${encodeURIComponent(id)}`).then(setAlerts, () => setAlerts([]));
      void get<Context>(`/api/devices/${encodeURIComponent(id)}/context?site=${site}`).then(setContext, () => setContext(undefined));
      void get<{ items: Vulns[] }>(`/api/devices/${encodeURIComponent(id)}/vulnerabilities?site=${site}`).then((v) => setVulns(v.items[0]), () => setVulns(undefined));
      if (dev.mac) void get<SessionRow[]>("/api/nac/sessions").then((l) => setSession(l.find((x) => x.mac === dev.mac && x.site === dev.site)), () => setSession(undefined));
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
            <dt>Identity</dt><dd>{d.identity ?? "—"}{d.identity_reason && <span className="muted"> ({d.identity_reason})</span>}</dd>
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
      <div className="cards">
        <section className="card" aria-labelledby="baseline">
          <h2 id="baseline">Baseline</h2>
          {!context ? <p className="loading">Loading…</p> : !context.baseline ? <p className="muted">no flows yet</p> : (
            <>
              <p className={context.baseline.mature ? "ok" : "warn"}>{context.baseline.maturity}</p>
              <dl>
                <dt>Window</dt><dd>{context.baseline.first_seen} – {context.baseline.last_seen}</dd>
                <dt>Flows</dt><dd>{context.baseline.flows}{context.truncated && (context.read === "flows" ? " (the newest read)" : " (peers past the summary's budget not kept)")}</dd>
                <dt>Active hours</dt><dd>{context.baseline.active_hours}</dd>
              </dl>
              <HourBars hours={context.baseline.hours} />
            </>
          )}
        </section>
        <section className="card" aria-labelledby="policy">
          <h2 id="policy">Policy</h2>
          {!context ? <p className="loading">Loading…</p> : !context.policy ? <p className="muted">no approved or enforced policy for this site</p> : (
            <>
              <p><a href="#/policies">{context.policy.name} v{context.policy.version}</a> ({context.policy.status}, {context.policy.mode}):{" "}
                {context.policy.managed ? "governs this device (default deny)" : "does not govern this device"}; group {context.policy.groups.join(", ") || "none"}</p>
              {context.policy.rules.length === 0 ? <p className="muted">no rule names its group</p> : (
                <table><thead><tr><th>Rule</th><th>From</th><th>To</th><th>Proto</th><th>Ports</th></tr></thead>
                  <tbody>{context.policy.rules.map((r) => <tr key={r.id} title={r.comment}><td>{r.id}</td><td className="wrap">{r.from}</td><td className="wrap">{r.to}</td><td>{r.proto}</td><td>{r.ports}</td></tr>)}</tbody></table>
              )}
            </>
          )}
          <h2>NAC session</h2>
          {!session ? <p className="muted">none known</p> : (
            <dl><dt>NAS</dt><dd>{session.nas}{session.nas_port_id && ` port ${session.nas_port_id}`}</dd><dt>Status</dt><dd>{session.status}</dd>{session.ip && <><dt>Address</dt><dd>{session.ip}</dd></>}</dl>
          )}
        </section>
      </div>
      <div className="cards">
        <section className="card" aria-labelledby="firmware">
          <h2 id="firmware">Firmware and vulnerabilities</h2>
          {vulns ? (
            <>
              <dl>
                <dt>Maker</dt><dd>{vulns.vendor ?? "—"}</dd>
                <dt>Product</dt><dd>{vulns.product ?? "—"}{vulns.models.length ? ` (${vulns.models.join(", ")})` : ""}</dd>
                <dt>Firmware</dt><dd>{vulns.firmware ?? "unknown"}</dd>
                {vulns.serial && <><dt>Serial</dt><dd>{vulns.serial}</dd></>}
                <dt>Risk</dt><dd>{vulns.risk ? `${vulns.risk.score}: ${vulns.risk.criticality} × ${vulns.risk.exploitability} (${vulns.risk.exploitability_why}) × ${vulns.risk.exposure} (${vulns.risk.exposure_why})` : "—"}</dd>
                <dt>End of life</dt><dd>{vulns.eol.length ? vulns.eol.map((e) => `${e.decision}${e.replace_by ? ` by ${e.replace_by}` : ""}, owner ${e.owner}, review by ${e.review_by} (${e.status.join(", ")})`).join("; ") : "no decision"}</dd>
              </dl>
              <h3>Where the identity comes from</h3>
              <ul className="evidence">{vulns.identity_evidence.map((c, i) => <li key={i}>{c.field} = {c.value} <span className="muted">[{c.from}]</span></li>)}</ul>
              <h3>CVEs ({vulns.cves.length}{vulns.possible.length ? `, ${vulns.possible.length} possible` : ""})</h3>
              <ul className="evidence" aria-label="CVEs">{vulns.cves.map((c) => (
                <li key={c.cve}><strong>{c.cve}</strong>{c.kev ? " KEV" : ""} CVSS {c.cvss ?? "?"} ({c.confidence}): {c.reason}{c.remediations?.[0] ? <span className="muted"> Remedy: {c.remediations.slice(0, 2).join(" ")}</span> : null}</li>
              ))}</ul>
              {vulns.exposures.length > 0 && (
                <table aria-label="Exposure"><thead><tr><th>Service</th><th>Reachable from</th><th>Outside</th><th>Rules</th></tr></thead>
                  <tbody>{vulns.exposures.map((e) => (
                    <tr key={e.service}><td>{e.service}</td><td>{e.inside_allowed} of {e.inside_total}</td><td>{e.internet ? "yes" : "no"}</td><td>{e.governed ? e.allowed_by.join(" ") || "none" : "not managed by the policy in force"}</td></tr>
                  ))}</tbody></table>
              )}
            </>
          ) : <p className="muted">No advisory data.</p>}
        </section>
        <section className="card" aria-label="Peers">
          <h2>Peers ({context?.peers.length ?? 0})</h2>
          {context && context.peers.length > 0 && (
            <table><thead><tr><th>Direction</th><th>Peer</th><th>Role</th><th>Service</th><th>Flows</th><th>Bytes out</th><th>Bytes in</th><th>Last seen</th></tr></thead>
              <tbody>{context.peers.map((p, i) => (
                <tr key={i}><td>{p.direction}</td><td className={p.peer.startsWith("device:") ? "" : "wrap"}>{p.peer.startsWith("device:") ? <a href={`#/device/${encodeURIComponent(p.peer.slice(7))}`}>{p.peer.slice(7)}</a> : p.peer.replace(/^(dns|cidr):/, "")}</td>
                  <td>{p.peer_role}</td><td>{p.proto}/{p.port}</td><td className="num">{p.flows}</td><td className="num">{p.bytes_out}</td><td className="num">{p.bytes_in}</td><td>{p.last_seen}</td></tr>
              ))}</tbody></table>
          )}
        </section>
        <section className="card" aria-label="Responses">
          <h2>Responses ({context?.responses.length ?? 0})</h2>
          {context && context.responses.length > 0 && (
            <table><thead><tr><th>Created</th><th>Status</th><th>Title</th><th>Last step</th></tr></thead>
              <tbody>{context.responses.map((r) => {
                const last = r.steps[r.steps.length - 1];
                return <tr key={r.id}><td>{r.created_at}</td><td><a href="#/responses">{r.status}</a></td><td className="wrap">{r.title}</td><td className="wrap">{last ? `${last.action}: ${last.outcome}${last.by ? ` (${last.by})` : ""}` : ""}</td></tr>;
              })}</tbody></table>
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

/** Flows by hour of day (UTC), as 24 bars: when the device is usually busy. */
function HourBars({ hours }: { hours: number[] }) {
  const max = Math.max(1, ...hours);
  return (
    <figure className="hours" aria-label="Flows by hour of day (UTC)">
      <div className="hour-bars">{hours.map((n, h) => <span key={h} title={`${String(h).padStart(2, "0")}:00 UTC: ${n} flows`} style={{ height: `${Math.round((n / max) * 100)}%` }} />)}</div>
      <figcaption className="muted">flows by hour of day, 00–23 UTC</figcaption>
    </figure>
  );
}
