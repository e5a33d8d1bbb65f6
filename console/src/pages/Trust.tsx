import { useEffect, useMemo, useRef, useState } from "react";
import type { Core, ElementDefinition } from "cytoscape";
import { type Me, get, may, post } from "../api";

interface Evidence { type: string; ref: string; text: string }
interface Node { id: string; kind: string; label: string; category?: string; criticality?: string; plane?: string; plane_why?: string; ips?: string[]; cves?: { cve: string; kev: boolean; cvss: number | null }[] }
interface Edge { kind: string; family: string; from: string; to: string; service?: string; detail?: string; first_seen?: string; last_seen?: string; flows?: number; stale: boolean; evidence: Evidence[] }
interface Graph { site: string; reach_from: string; nodes: Node[]; edges: Edge[] }
interface Hop { from: string; to: string; how: string; service?: string; allowed_by?: string }
interface Controlled { id: string; label: string; category?: string; criticality?: string; path: Hop[] }
interface Blast { node: string; label: string; reach_from: string; devices: number; controls: number; reaches: number; weight: number; controlled: Controlled[] }
interface Paths { from: string; to: string; entries: number; targets: number; paths: Controlled[] }
interface Assumption { id: number; subject: string; object?: string; statement: string; owner: string; review_by: string; status: string[]; contradictions: { flows: number; example?: string } }

const FAMILIES = ["control", "inheritance", "trust", "adjacency"] as const;
/** Colours by node kind; edges by family (the legend says which). */
const KIND_COLOUR: Record<string, string> = {
  device: "#3b6ea5", external: "#8a5a00", firmware: "#6a3d9a", sdk: "#6a3d9a", credential: "#b2182b", issuer: "#6a3d9a", service: "#4d7d4d", group: "#777", site: "#444", zone: "#b35806",
};
const FAMILY_STYLE: Record<string, { color: string; style: "solid" | "dashed" | "dotted" }> = {
  control: { color: "#c0392b", style: "solid" }, inheritance: { color: "#2c5aa0", style: "dashed" }, trust: { color: "#1b7837", style: "solid" },
  adjacency: { color: "#a0a7b1", style: "solid" }, structure: { color: "#d0d4da", style: "dotted" },
};

const pathText = (c: Controlled, label: (id: string) => string): string =>
  c.path.length === 0 ? c.label : [label(c.path[0].from), ...c.path.map((h) => `—${h.how}${h.service ? ` ${h.service}` : ""}${h.allowed_by ? ` [${h.allowed_by}]` : ""}→ ${label(h.to)}`)].join(" ");

/**
 * The trust graph: who operates, manages, updates and inherits trust from whom. An interactive
 * graph (cytoscape.js, loaded with this page only) with the families to show, a node's
 * evidence on selection, its blast radius highlighted; beside it the same in tables a keyboard
 * and a screen reader can use: amplifiers, paths from the internet, and the assumptions.
 */
export function Trust({ me }: { me: Me }) {
  const [families, setFamilies] = useState<string[]>(["control", "inheritance", "trust"]);
  const [graph, setGraph] = useState<Graph | undefined>();
  const [amplifiers, setAmplifiers] = useState<Blast[]>([]);
  const [paths, setPaths] = useState<Paths | undefined>();
  const [assumptions, setAssumptions] = useState<Assumption[]>([]);
  const [selected, setSelected] = useState<string | undefined>();
  const [blast, setBlast] = useState<Blast | undefined>();
  const [error, setError] = useState("");
  const holder = useRef<HTMLDivElement>(null);
  const cy = useRef<Core | undefined>(undefined);

  const load = (): void => {
    get<Graph>(`/api/trust/graph?families=${families.join(",")}`).then(setGraph, (e: Error) => setError(e.message));
  };
  useEffect(load, [families]);
  useEffect(() => {
    get<{ items: Blast[] }>("/api/trust/amplifiers?top=10").then((r) => setAmplifiers(r.items), (e: Error) => setError(e.message));
    get<Paths>("/api/trust/paths?from=internet&to=strict&limit=20").then(setPaths, () => setPaths(undefined));
    get<{ items: Assumption[] }>("/api/trust/assumptions").then((r) => setAssumptions(r.items), () => setAssumptions([]));
  }, []);

  const labels = useMemo(() => new Map((graph?.nodes ?? []).map((n) => [n.id, n.label])), [graph]);
  const label = (id: string): string => labels.get(id) ?? id.replace(/^device:/, "");

  // Draw the graph when it changes; the library is its own chunk, fetched with this page.
  useEffect(() => {
    if (!graph || !holder.current) return;
    let gone = false;
    void import("cytoscape").then(({ default: cytoscape }) => {
      if (gone || !holder.current) return;
      const elements: ElementDefinition[] = [
        ...graph.nodes.map((n) => ({ data: { id: n.id, label: n.plane ? `${n.label} [${n.plane}]` : n.label, kind: n.kind, strict: n.criticality === "life-safety/physical-process" ? 1 : 0 } })),
        ...graph.edges.map((e, i) => ({ data: { id: `e${i}`, source: e.from, target: e.to, family: e.family, label: e.kind, stale: e.stale ? 1 : 0 } })),
      ];
      cy.current?.destroy();
      const c = cytoscape({
        container: holder.current, elements, wheelSensitivity: 0.3,
        layout: graph.nodes.length <= 400 ? { name: "cose", animate: false } : { name: "concentric", concentric: (n) => (n.data("kind") === "device" ? 1 : 2), animate: false },
        style: [
          { selector: "node", style: { label: "data(label)", "font-size": 8, "background-color": (n) => KIND_COLOUR[n.data("kind") as string] ?? "#555", width: 12, height: 12, "text-wrap": "ellipsis", "text-max-width": "120px" } },
          { selector: "node[strict = 1]", style: { "border-width": 2, "border-color": "#b2182b" } },
          { selector: "edge", style: { width: 1, "curve-style": "bezier", "target-arrow-shape": "triangle", "arrow-scale": 0.6,
            "line-color": (e) => FAMILY_STYLE[e.data("family") as string]?.color ?? "#999", "target-arrow-color": (e) => FAMILY_STYLE[e.data("family") as string]?.color ?? "#999",
            "line-style": (e) => FAMILY_STYLE[e.data("family") as string]?.style ?? "solid" } },
          { selector: "edge[stale = 1]", style: { opacity: 0.35 } },
          { selector: ".blast", style: { "background-color": "#e6550d", width: 16, height: 16 } },
          { selector: ".start", style: { "background-color": "#000", width: 18, height: 18 } },
          { selector: ":selected", style: { "border-width": 3, "border-color": "#000" } },
        ],
      });
      c.on("tap", "node", (ev) => setSelected(ev.target.id() as string));
      cy.current = c;
    });
    return () => {
      gone = true;
    };
  }, [graph]);

  // A selected node: its blast radius, highlighted on the graph.
  useEffect(() => {
    setBlast(undefined);
    if (!selected) return;
    get<Blast>(`/api/trust/nodes/${encodeURIComponent(selected)}/blast`).then((b) => {
      setBlast(b);
      const c = cy.current;
      if (!c) return;
      c.elements().removeClass("blast start");
      c.getElementById(selected).addClass("start");
      for (const x of b.controlled) c.getElementById(x.id).addClass("blast");
    }, (e: Error) => setError(e.message));
  }, [selected]);

  const node = graph?.nodes.find((n) => n.id === selected);
  const edgesOf = graph?.edges.filter((e) => e.from === selected || e.to === selected) ?? [];
  if (error) return <p role="alert" className="error">{error}</p>;
  return (
    <>
      <h1>Trust graph</h1>
      <p className="muted">{graph ? `Site ${graph.site}: ${graph.nodes.length} nodes, ${graph.edges.length} edges. Reach from ${graph.reach_from}.` : "Loading…"}</p>
      <fieldset className="filters" aria-label="Link kinds">
        <legend>Show links</legend>
        {FAMILIES.map((f) => (
          <label key={f}><input type="checkbox" checked={families.includes(f)} onChange={(e) => setFamilies(e.target.checked ? [...families, f] : families.filter((x) => x !== f))} /> {f}</label>
        ))}
        <label>Node <select aria-label="Node" value={selected ?? ""} onChange={(e) => setSelected(e.target.value || undefined)}>
          <option value="">(click one on the graph, or choose)</option>
          {(graph?.nodes ?? []).filter((n) => n.kind !== "group" && n.kind !== "site").map((n) => <option key={n.id} value={n.id}>{n.plane ? `${n.label} [${n.plane}]` : n.label}</option>)}
        </select></label>
      </fieldset>
      <div className="cards">
        <section className="card wide" aria-label="Graph">
          <div ref={holder} className="trust-graph" role="img" aria-label="The trust graph: nodes coloured by kind; control links red, inheritance dashed blue, declared trust green, adjacency grey. The tables below hold the same." />
        </section>
        {node && (
          <section className="card wide" aria-label="Node">
            <h2>{node.label}</h2>
            <dl>
              <dt>Kind</dt><dd>{node.kind}{node.plane ? `, ${node.plane} (${node.plane_why})` : ""}</dd>
              {node.category && <><dt>Category</dt><dd>{node.category}, {node.criticality}</dd></>}
              {node.ips?.length ? <><dt>Addresses</dt><dd>{node.ips.join(", ")}</dd></> : null}
              {node.cves?.length ? <><dt>CVEs</dt><dd>{node.cves.map((c) => `${c.cve}${c.kev ? " (KEV)" : ""}`).join(", ")}</dd></> : null}
            </dl>
            {blast && <p><strong>Blast radius: {blast.devices} devices</strong> (controls {blast.controls}, weight {blast.weight}; reaches {blast.reaches} more)</p>}
            <table aria-label="Links and evidence">
              <thead><tr><th>Link</th><th>Other end</th><th>Evidence</th><th>Last seen</th></tr></thead>
              <tbody>{edgesOf.slice(0, 200).map((e, i) => (
                <tr key={i} className={e.stale ? "muted" : undefined}>
                  <td>{e.from === selected ? "" : "← "}{e.kind}{e.service ? ` ${e.service}` : ""}{e.detail ? ` (${e.detail})` : ""}{e.from === selected ? " →" : ""}</td>
                  <td>{label(e.from === selected ? e.to : e.from)}</td>
                  <td className="wrap">{e.evidence.map((x) => x.text).join("; ")}</td>
                  <td>{e.last_seen?.slice(0, 16).replace("T", " ") ?? ""}{e.stale ? " (stale)" : ""}</td>
                </tr>
              ))}</tbody>
            </table>
          </section>
        )}
      </div>
      {blast && (
        <section aria-label="Blast radius">
          <h2>What {blast.label} controls ({blast.controlled.length})</h2>
          <table aria-label="Controlled devices">
            <thead><tr><th>Device</th><th>Criticality</th><th>Path</th></tr></thead>
            <tbody>{blast.controlled.slice(0, 100).map((c) => <tr key={c.id}><td>{c.label}</td><td>{c.criticality}</td><td className="wrap">{pathText(c, label)}</td></tr>)}</tbody>
          </table>
        </section>
      )}
      <h2>Structural amplifiers</h2>
      <table aria-label="Amplifiers">
        <thead><tr><th>Node</th><th>Controls</th><th>Weight</th><th>Example path</th></tr></thead>
        <tbody>{amplifiers.map((a) => (
          <tr key={a.node}>
            <td><button type="button" className="link" onClick={() => setSelected(a.node)}>{a.label}</button></td>
            <td>{a.controls}</td><td>{a.weight}</td><td className="wrap">{a.controlled[0] ? pathText(a.controlled[0], label) : ""}</td>
          </tr>
        ))}</tbody>
      </table>
      {paths && (
        <>
          <h2>Paths from the internet to the strictest tier ({paths.targets} reached from {paths.entries} entry points)</h2>
          <table aria-label="Paths from the internet">
            <thead><tr><th>Target</th><th>Hops</th><th>Path (the rule that allows each hop in brackets)</th></tr></thead>
            <tbody>{paths.paths.map((p) => <tr key={p.id}><td>{p.label}</td><td>{p.path.length}</td><td className="wrap">{pathText(p, label)}</td></tr>)}</tbody>
          </table>
        </>
      )}
      <h2>Trust assumptions ({assumptions.length})</h2>
      <table aria-label="Trust assumptions">
        <thead><tr><th>Id</th><th>Subject</th><th>Statement</th><th>Owner</th><th>Review by</th><th>Status</th></tr></thead>
        <tbody>{assumptions.map((a) => (
          <tr key={a.id}><td>{a.id}</td><td>{label(a.subject)}</td><td className="wrap">{a.statement}</td><td>{a.owner}</td><td>{a.review_by}</td>
            <td className={a.status.some((x) => x === "review-overdue" || x === "contradicted") ? "error" : undefined}>{a.status.join(", ")}{a.contradictions.flows ? ` (${a.contradictions.flows} flows)` : ""}</td></tr>
        ))}</tbody>
      </table>
      {may(me, "trust.assume") && <AddAssumption subject={selected} onAdded={() => void get<{ items: Assumption[] }>("/api/trust/assumptions").then((r) => { setAssumptions(r.items); load(); })} />}
    </>
  );
}

function AddAssumption({ subject, onAdded }: { subject?: string; onAdded: () => void }) {
  const [statement, setStatement] = useState("");
  const [owner, setOwner] = useState("");
  const [reason, setReason] = useState("");
  const [review, setReview] = useState("");
  const [hours, setHours] = useState("");
  const [escort, setEscort] = useState(false);
  const [message, setMessage] = useState("");
  const submit = (): void => {
    if (!subject) return setMessage("choose the node the assumption is about first");
    post<{ id: number }>("/api/trust/assumptions", {
      subject, statement, owner, reason, review_by: review, ...(hours ? { only_hours: hours } : {}), ...(escort ? { only_in_maintenance: true } : {}),
    }).then((r) => { setMessage(`assumption ${r.id} recorded`); onAdded(); }, (e: Error) => setMessage(e.message));
  };
  return (
    <form className="inline" aria-label="Declare an assumption" onSubmit={(e) => { e.preventDefault(); submit(); }}>
      <label>Statement <input value={statement} onChange={(e) => setStatement(e.target.value)} maxLength={500} required /></label>
      <label>Owner <input value={owner} onChange={(e) => setOwner(e.target.value)} maxLength={100} required /></label>
      <label>Reason <input value={reason} onChange={(e) => setReason(e.target.value)} maxLength={1000} required /></label>
      <label>Review by <input type="date" value={review} onChange={(e) => setReview(e.target.value)} required /></label>
      <label>Talks only between (UTC, HH-HH) <input value={hours} onChange={(e) => setHours(e.target.value)} maxLength={5} placeholder="8-18" /></label>
      <label><input type="checkbox" checked={escort} onChange={(e) => setEscort(e.target.checked)} /> only in a maintenance window</label>
      <button type="submit">Declare about {subject ? subject.replace(/^device:/, "") : "the chosen node"}</button>
      {message && <span role="status">{message}</span>}
    </form>
  );
}
