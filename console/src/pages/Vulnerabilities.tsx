import { useEffect, useState } from "react";
import { get } from "../api";

interface Cve { cve: string; kev: boolean; cvss: number | null; confidence: string; reason: string; advisories: string[] }
interface Risk { score: number; criticality: string; criticality_weight: number; exploitability: number; exploitability_why: string; exposure: number; exposure_why: string }
interface Row {
  site: string; device: string; mac: string | null; vendor: string | null; product: string | null; firmware: string | null; criticality: string;
  risk: Risk | null; cves: Cve[]; possible: Cve[];
}
interface SiteRisk { site: string; devices_affected: number; devices_possibly_affected: number; devices_with_kev: number; max_risk: number; total_risk: number }
interface EolEntry { id: number; site: string; target: string; decision: string; owner: string; review_by: string; replace_by?: string; status: string[]; devices: { key: string }[]; rationale: string }

/** The site's vulnerable devices by risk, each risk with its parts, and the end-of-life register. */
export function Vulnerabilities() {
  const [rows, setRows] = useState<Row[] | undefined>();
  const [sites, setSites] = useState<SiteRisk[]>([]);
  const [eol, setEol] = useState<EolEntry[]>([]);
  const [error, setError] = useState("");
  useEffect(() => {
    get<{ items: Row[]; sites: SiteRisk[] }>("/api/vulnerabilities").then((r) => { setRows(r.items); setSites(r.sites); }, (e: Error) => setError(e.message));
    get<{ items: EolEntry[] }>("/api/eol").then((r) => setEol(r.items), () => setEol([]));
  }, []);
  if (error) return <p role="alert" className="error">{error}</p>;
  if (!rows) return <p className="loading">Loading…</p>;
  return (
    <>
      <h1>Vulnerabilities</h1>
      <ul aria-label="Sites">{sites.map((r) => (
        <li key={r.site}>Site {r.site}: {r.devices_affected} devices affected ({r.devices_with_kev} by a known exploited CVE), {r.devices_possibly_affected} possibly; highest risk {r.max_risk}, sum {r.total_risk}</li>
      ))}</ul>
      <p className="muted">Risk = criticality × exploitability (KEV, exploitation, CVSS) × exposure of the vulnerable service under the policy in force. Riskiest first.</p>
      <table aria-label="Vulnerable devices">
        <thead><tr><th>Risk</th><th>Device</th><th>Vendor</th><th>Product</th><th>Firmware</th><th>CVEs</th><th>KEV</th><th>Why this risk</th></tr></thead>
        <tbody>{rows.map((r) => (
          <tr key={`${r.site} ${r.device}`}>
            <td>{r.risk?.score ?? "—"}</td>
            <td><a href={`#/device/${encodeURIComponent(r.mac ?? r.device.replace(/^ip:/, ""))}`}>{r.device}</a></td>
            <td>{r.vendor ?? "—"}</td><td>{r.product ?? "—"}</td><td>{r.firmware ?? "unknown"}</td>
            <td>{r.cves.map((c) => c.cve).join(" ")}{r.possible.length ? <span className="muted"> (+{r.possible.length} possible)</span> : null}</td>
            <td>{r.cves.filter((c) => c.kev).length || ""}</td>
            <td className="wrap">{r.risk ? `${r.risk.criticality} (${r.risk.criticality_weight}) × ${r.risk.exploitability} (${r.risk.exploitability_why}) × ${r.risk.exposure} (${r.risk.exposure_why})` : "only possibly affected"}</td>
          </tr>
        ))}</tbody>
      </table>
      <h2>End-of-life register ({eol.length})</h2>
      <table aria-label="End-of-life register">
        <thead><tr><th>Target</th><th>Decision</th><th>Owner</th><th>Review by</th><th>Replace by</th><th>Status</th><th>Devices</th><th>Rationale</th></tr></thead>
        <tbody>{eol.map((e) => (
          <tr key={e.id}><td>{e.target}</td><td>{e.decision}</td><td>{e.owner}</td><td>{e.review_by}</td><td>{e.replace_by ?? ""}</td>
            <td className={e.status.some((s) => s !== "ok" && s !== "review-due-soon") ? "error" : undefined}>{e.status.join(", ")}</td><td>{e.devices.length}</td><td className="wrap">{e.rationale}</td></tr>
        ))}</tbody>
      </table>
    </>
  );
}
