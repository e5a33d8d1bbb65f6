import { writeFileSync } from "node:fs";
import { Store } from "../../store/store.js";
import { reportJson } from "../../app/report-json.js";
import {
  addAssumption, assumptionRegister, blastView, findNode, listZones, raiseTrustAlerts, reviewAssumption, setZone, trustAnalysis, trustGraph, trustPaths, trustReport,
} from "../../app/trust.js";
import { EDGE_FAMILIES, type EdgeFamily } from "../../trust/model.js";
import { GRAPH_FORMATS, graphDot, graphJson, graphMl } from "../../trust/export.js";
import { pathText, reportHtml, reportMarkdown } from "../../trust/report.js";
import { UsageError, parseFormat, table, writeAll } from "../output.js";
import { COMMON, dbPath } from "../options.js";
import { command } from "../command.js";

const FAMILIES = Object.keys(EDGE_FAMILIES) as EdgeFamily[];

function count(v: string | undefined, what: string, dflt: number, max: number): number {
  if (v === undefined) return dflt;
  if (!/^\d{1,6}$/.test(v) || Number(v) < 1 || Number(v) > max) throw new UsageError(`--${what} must be a whole number from 1 to ${max}`);
  return Number(v);
}

export default command({
  name: "trust",
  summary: "the trust graph: who operates, manages, updates and inherits trust from whom; blast radius and paths",
  help: `Usage: cordon trust graph [--site NAME] [--format json|graphml|dot] [--families LIST] [--fresh]
       cordon trust blast NODE [--site NAME] [--policy ID] [--format table|json] [--all]
       cordon trust amplifiers [--site NAME] [--policy ID] [--top N] [--format table|json]
       cordon trust paths --from ZONE --to TIER|CATEGORY|NODE [--site NAME] [--policy ID] [--limit N] [--format table|json]
       cordon trust report [--site NAME] [--format md|html] [--out FILE]
       cordon trust assume add --subject NODE [--object NODE] --statement TEXT --owner NAME --reason TEXT
                               --review YYYY-MM-DD [--evidence TEXT] [--only-hours HH-HH | --only-in-maintenance] [--site NAME]
       cordon trust assume list [--site NAME] [--format table|json]
       cordon trust assume review ID --note TEXT --next YYYY-MM-DD
       cordon trust assume check [--site NAME]
       cordon trust zone set NAME [--device MAC]... [--cidr PREFIX]... [--vlan N]... [--category C]... [--site NAME]
       cordon trust zone list [--site NAME]

The graph links the site's devices, the services they serve, endpoints outside, firmware lines,
components inside devices (web servers, UPnP stacks), credentials (by a keyed hash), certificate
issuers, policy groups, zones and the site. Edges come in families: adjacency (can-reach from
the policy in force, talks-to as seen), control (operates: OT writes, downloads, stops;
manages: SSH, telnet, RDP, VNC, SNMP set, a device's web administration; updates), inheritance
(runs a firmware line or component, holds a credential, keeps a cloud session, certified by an
issuer) and trust (what people declared). Every derived edge carries its evidence and first and
last seen; edges not seen for --stale-days (30) before the site's newest traffic are stale:
kept and shown, not used by the analyses.

graph       the graph: JSON (the API's shape), GraphML or DOT; --families keeps some of
            ${FAMILIES.join(", ")}; --fresh leaves stale edges out.
blast       what an attacker who controls NODE (a MAC, an address, a host name, or a node id
            such as credential:snmp:..., sdk:goahead|2.5.0) comes to control and reach, under the
            policy in force (the network is flat without one), or under --policy ID (a what-if).
amplifiers  the nodes whose control reaches the most critical devices, with a path to each.
paths       shortest paths from a zone (internet, or one declared with 'trust zone set') to
            devices of a criticality tier (or "strict"), a category or one node; each hop says
            the rule that allows it.
report      the site's management planes, amplifiers, paths from each zone to the strict tier,
            inherited exposure, shared credentials and assumptions, in Markdown or HTML.
assume      declared trust assumptions ("the historian trusts the PLC's values"): add, list,
            review (what was found, the next review date), check (raises an alert for each
            past its review date and each the traffic contradicts: a subject declared to talk
            only within --only-hours, or only inside a maintenance window, that did not).
zone        names a place whose traffic is not trusted (guest, vendor access) by its members.

${COMMON}`,
  options: {
    db: { type: "string" },
    site: { type: "string" },
    format: { type: "string" },
    families: { type: "string" },
    fresh: { type: "boolean" },
    "stale-days": { type: "string" },
    policy: { type: "string" },
    all: { type: "boolean" },
    top: { type: "string" },
    limit: { type: "string" },
    from: { type: "string" },
    to: { type: "string" },
    out: { type: "string" },
    subject: { type: "string" },
    object: { type: "string" },
    statement: { type: "string" },
    owner: { type: "string" },
    reason: { type: "string" },
    evidence: { type: "string" },
    review: { type: "string" },
    "only-hours": { type: "string" },
    "only-in-maintenance": { type: "boolean" },
    note: { type: "string" },
    next: { type: "string" },
    device: { type: "string", multiple: true },
    cidr: { type: "string", multiple: true },
    vlan: { type: "string", multiple: true },
    category: { type: "string", multiple: true },
  },
  async run({ values, positionals, by }) {
    const [sub, arg, extra] = positionals;
    const db = dbPath(values.db);
    const reading = sub === "graph" || sub === "blast" || sub === "amplifiers" || sub === "paths" || sub === "report" || (sub === "assume" && arg === "list") || (sub === "zone" && arg === "list");
    const staleDays = count(values["stale-days"], "stale-days", 30, 3650);
    const store = new Store(db, reading ? { readOnly: true } : { mustExist: true });
    try {
      if (sub === "graph") {
        if (arg !== undefined) throw new UsageError("trust graph takes no argument (--site names the site)");
        const format = values.format ?? "json";
        if (!(GRAPH_FORMATS as readonly string[]).includes(format)) throw new UsageError(`--format must be one of ${GRAPH_FORMATS.join(", ")}`);
        const families = values.families?.split(",").map((f) => f.trim());
        for (const f of families ?? []) if (!(FAMILIES as string[]).includes(f)) throw new UsageError(`--families: "${f.slice(0, 30)}" is not one of ${FAMILIES.join(", ")}`);
        const g = trustGraph(store, values.site, { staleDays });
        const sel = { ...(families ? { families: families as EdgeFamily[] } : {}), fresh: values.fresh === true };
        writeAll([format === "graphml" ? graphMl(g, sel) : format === "dot" ? graphDot(g, sel) : `${JSON.stringify(graphJson(g, sel), null, 2)}\n`]);
        return 0;
      }
      if (sub === "blast") {
        if (!arg || extra !== undefined) throw new UsageError("trust blast needs one NODE");
        const fmt = parseFormat(values.format, ["table", "json"]);
        const a = trustAnalysis(store, values.site, { policy: values.policy, staleDays });
        const b = a.blast(findNode(a, arg));
        if (fmt === "json") {
          writeAll([reportJson(blastView(b, values.all === true))]);
          return 0;
        }
        const label = (id: string): string => a.node(id)?.label ?? id;
        const shown = values.all ? b.controls : b.controls.slice(0, 30);
        writeAll([`${b.label}: blast radius ${b.devices} devices (controls ${b.controls.length}, weight ${b.weight}; reaches ${b.reaches} more)\nreach from: ${b.reachFrom}\n`,
          ...Object.entries(b.byCriticality).map(([c, n]) => `  ${c}: controls ${n.controls}, reaches ${n.reaches}\n`),
          shown.length ? `\n${table(["CONTROLS", "CATEGORY", "CRITICALITY", "HOPS", "PATH"], shown.map((c) => [c.label, c.category ?? "", c.criticality ?? "", c.path.length, pathText(c, label)]), { flex: ["PATH", "CONTROLS"] })}\n` : "",
          b.controls.length > shown.length ? `(${b.controls.length - shown.length} more: --all)\n` : ""]);
        return 0;
      }
      if (sub === "amplifiers") {
        if (arg !== undefined) throw new UsageError("trust amplifiers takes no argument");
        const fmt = parseFormat(values.format, ["table", "json"]);
        const a = trustAnalysis(store, values.site, { policy: values.policy, staleDays });
        const list = a.amplifiers(count(values.top, "top", 20, 10_000));
        if (fmt === "json") {
          writeAll([reportJson({ site: a.graph.site, reach_from: a.reach.label, amplifiers: list.map((b) => blastView(b, false)) })]);
          return 0;
        }
        const label = (id: string): string => a.node(id)?.label ?? id;
        writeAll([`reach from: ${a.reach.label}\n`, table(["RANK", "NODE", "KIND", "CONTROLS", "WEIGHT", "STRICT TIER", "EXAMPLE PATH"],
          list.map((b, i) => [i + 1, b.label, a.node(b.node)?.plane ?? a.node(b.node)?.kind ?? "", b.controls.length, b.weight,
            b.byCriticality["life-safety/physical-process"]?.controls ?? 0, b.controls[0] ? pathText(b.controls[0], label) : ""]), { flex: ["EXAMPLE PATH", "NODE"] }), "\n"]);
        return 0;
      }
      if (sub === "paths") {
        if (arg !== undefined) throw new UsageError("trust paths takes no argument (--from ZONE --to TARGET)");
        if (!values.from || !values.to) throw new UsageError("trust paths needs --from ZONE and --to TIER|CATEGORY|NODE");
        const fmt = parseFormat(values.format, ["table", "json"]);
        const a = trustAnalysis(store, values.site, { policy: values.policy, staleDays });
        const r = trustPaths(a, values.from, values.to, count(values.limit, "limit", 50, 100_000));
        if (fmt === "json") {
          writeAll([reportJson(r)]);
          return 0;
        }
        const label = (id: string): string => a.node(id)?.label ?? id;
        writeAll([`${r.targets} ${r.to} reached from ${r.from} (${r.entries} entry points); reach from: ${r.reachFrom}\n`,
          r.paths.length ? `${table(["TARGET", "HOPS", "PATH"], r.paths.map((p) => [p.label, p.path.length, pathText(p, label)]), { flex: ["PATH", "TARGET"] })}\n` : "no path\n"]);
        return 0;
      }
      if (sub === "report") {
        if (arg !== undefined) throw new UsageError("trust report takes no argument");
        const format = values.format ?? "md";
        if (format !== "md" && format !== "html") throw new UsageError("--format must be md or html");
        const r = trustReport(store, values.site, { staleDays });
        const text = format === "html" ? reportHtml(r) : reportMarkdown(r);
        if (values.out) writeFileSync(values.out, text);
        else writeAll([text]);
        return 0;
      }
      if (sub === "assume") {
        if (arg === "add") {
          for (const k of ["subject", "statement", "owner", "reason", "review"] as const) if (!values[k]) throw new UsageError(`trust assume add needs --${k}`);
          const a = addAssumption(store, by, {
            site: values.site, subject: values.subject!, object: values.object, statement: values.statement!, owner: values.owner!, reason: values.reason!,
            evidence: values.evidence, reviewBy: values.review!, onlyHours: values["only-hours"], onlyInMaintenance: values["only-in-maintenance"] === true,
          });
          process.stdout.write(`assumption ${a.id}: ${a.subject}${a.object ? ` -> ${a.object}` : ""}: ${a.statement} (owner ${a.owner}, review by ${a.reviewBy})\n`);
          return 0;
        }
        if (arg === "list") {
          const fmt = parseFormat(values.format, ["table", "json"]);
          const list = assumptionRegister(store, values.site);
          if (fmt === "json") writeAll([reportJson(list)]);
          else {
            writeAll([table(["ID", "SITE", "SUBJECT", "OBJECT", "STATEMENT", "OWNER", "REVIEW BY", "STATUS"],
              list.map((a) => [a.id, a.site, a.subject, a.object ?? "", a.statement, a.owner, a.reviewBy, `${a.status.join(" ")}${a.contradictions.flows ? ` (${a.contradictions.flows} flows)` : ""}`]),
              { flex: ["STATEMENT", "SUBJECT"] }), "\n"]);
          }
          return 0;
        }
        if (arg === "review") {
          if (!extra || !/^\d{1,9}$/.test(extra)) throw new UsageError("trust assume review needs an assumption ID");
          if (!values.note || !values.next) throw new UsageError("trust assume review needs --note and --next");
          const a = reviewAssumption(store, by, Number(extra), { note: values.note, nextReview: values.next });
          process.stdout.write(`assumption ${a.id} reviewed by ${a.reviewedBy}; next review by ${a.reviewBy}\n`);
          return 0;
        }
        if (arg === "check") {
          const alerts = raiseTrustAlerts(store, values.site);
          process.stdout.write(alerts.length ? `${alerts.map((x) => `${x.severity}: ${x.title}`).join("\n")}\n` : "no assumption past its review, none contradicted\n");
          return 0;
        }
        throw new UsageError(`trust assume needs add, list, review or check${arg ? `, not "${arg}"` : ""}`);
      }
      if (sub === "zone") {
        if (arg === "set") {
          if (!extra) throw new UsageError("trust zone set needs a NAME");
          const vlans = (values.vlan ?? []).map((v) => {
            if (!/^\d{1,4}$/.test(v)) throw new UsageError(`--vlan "${v.slice(0, 10)}" is not a VLAN id`);
            return Number(v);
          });
          const z = setZone(store, by, values.site ?? "default", extra, { devices: values.device, cidrs: values.cidr, vlans, categories: values.category });
          process.stdout.write(`zone ${z.name} set\n`);
          return 0;
        }
        if (arg === "list") {
          writeAll([table(["SITE", "ZONE", "MEMBERS", "SET BY", "SET AT"], listZones(store, values.site).map((z) => [z.site, z.name, z.members, z.setBy, z.setAt]), { flex: ["MEMBERS"] }), "\n"]);
          return 0;
        }
        throw new UsageError(`trust zone needs set or list${arg ? `, not "${arg}"` : ""}`);
      }
      throw new UsageError(`trust needs graph, blast, amplifiers, paths, report, assume or zone${sub ? `, not "${sub}"` : ""}`);
    } finally {
      store.close();
    }
  },
});
