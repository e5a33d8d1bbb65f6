import type { Alert, Severity } from "./alert.js";
import type { Detector } from "./engine.js";
import { parseOtOperation } from "../model/ot-operation.js";

/**
 * Dangerous OT operations: PLC stop and start, program or firmware download and upload,
 * restarts and resets, mode and time changes, file operations and writes, from any host. One
 * alert per technique, actor and target per episode (a block download's request, blocks and
 * end are one download), with the count.
 * ATT&CK for ICS techniques: T0858 Change Operating Mode, T0843 Program Download, T0845
 * Program Upload, T0816 Device Restart/Shutdown, T0809 Data Destruction, T0836 Modify
 * Parameter, T0855 Unauthorized Command Message.
 */
interface Kind { technique: string; severity: Severity; what: string }

const RULES: [RegExp, Kind][] = [
  [/restart|reset|reboot|listen-only|initialize/, { technique: "T0816", severity: "high", what: "restarted" }],
  [/stop|start|run|mode|halt|cpu-services|change-state/, { technique: "T0858", severity: "high", what: "changed the operating mode of" }],
  [/download|program|firmware|activate-config|install/, { technique: "T0843", severity: "high", what: "downloaded a program to" }],
  [/upload/, { technique: "T0845", severity: "medium", what: "uploaded the program of" }],
  [/delete/, { technique: "T0809", severity: "high", what: "deleted data on" }],
  [/time/, { technique: "T0836", severity: "medium", what: "changed the time of" }],
  [/write|operate|set|file|save|create|freeze|value/, { technique: "T0836", severity: "low", what: "wrote to" }],
];

export function operationKind(op: string): Kind {
  const name = op.slice(op.indexOf(".") + 1);
  return RULES.find(([re]) => re.test(name))?.[1] ?? { technique: "T0855", severity: "medium", what: "sent a command to" };
}

interface Parsed {
  target: string;
  kind: Kind;
  /** The title after the acting host's name. */
  titleRest: string;
  /** The observation, as alert evidence. */
  observation: string;
}
/** Operation values repeat (the same command to the same PLC): each is parsed once (bounded). */
const MAX_PARSED = 20_000;

function parse(value: string): Parsed | undefined {
  const o = parseOtOperation(value);
  if (!o || o.direction !== "to") return undefined;
  const { op, peer: target, detail } = o;
  const kind = operationKind(op);
  return { target, kind, titleRest: ` ${kind.what} ${target}: ${op}${detail ? ` (${detail})` : ""}`, observation: `ot.operation=${value}` };
}

export function otOperationDetector(): Detector {
  const parsed = new Map<string, Parsed | undefined>();
  return {
    name: "ot-operation",
    kinds: ["ot.operation"],
    observation(e, ctx) {
      if (e.kind !== "ot.operation") return;
      let p = parsed.get(e.value);
      if (p === undefined && !parsed.has(e.value)) {
        if (parsed.size >= MAX_PARSED) parsed.clear();
        p = parse(e.value);
        parsed.set(e.value, p);
      }
      if (!p) return;
      const k = p.kind;
      const actor = e.proto === 0 ? (e.aboutSource ? e.srcMac : e.dstMac) : e.aboutSource ? e.srcIp : e.dstIp;
      ctx.raise({
        class: "ot-operation", severity: k.severity, technique: k.technique, site: e.site, source: actor, sourceMac: e.mac, target: p.target,
        title: `${actor ?? "a host"}${p.titleRest}`, tsUs: e.tsUs, episode: k.technique,
        packet: { source: e.source, packet: e.packet, tsUs: e.tsUs }, observation: p.observation,
      });
    },
  };
}

const LEVELS: Severity[] = ["low", "medium", "high", "critical"];

/** What an OT alert's actor is known for: its category before the run, a person's declared one, and operations seen from it. */
export interface OtActor {
  category?: string;
  /** The category a person set (an override): a declaration, which behaviour cannot make. */
  declared?: string;
  /** Whether and when the actor did this operation value ("s7.download-block to 10.0.0.5") before, and whether the store held it when the run began. */
  firstDid(value: string): { firstUs: number; known: boolean } | undefined;
}


/** An operation done at least this long before the episode began is the actor's routine. */
export const ROUTINE_AFTER_US = 3_600_000_000;
const ENGINEERING_TECHNIQUES = new Set(["T0843", "T0845", "T0858", "T0816"]);
const OBSERVED = "ot.operation=";

/** A maintenance window a person declared for a site, or for one target device in it. */
export interface MaintenanceWindow {
  site: string;
  /** The device under maintenance (its address or MAC), or undefined for the whole site. */
  target?: string;
  fromUs: number;
  toUs: number;
}

/** Whether an alert falls in its site's declared windows ("none" when the site declared none). */
export function windowState(a: Alert, windows: readonly MaintenanceWindow[]): "none" | "inside" | "outside" {
  const site = windows.filter((w) => w.site === a.site);
  if (site.length === 0) return "none";
  return site.some((w) => (w.target === undefined || w.target === a.target) && w.fromUs <= a.firstUs && a.firstUs <= w.toUs) ? "inside" : "outside";
}

/** A stop, halt or mode change to stop: never routine by habit alone. */
const STOP = /\.(plc-)?(stop|halt)\b|\bstop-application\b|\bads\.change-state\b.*\bstate 6\b/;

/**
 * OT operations against who normally does them: an episode whose every operation its actor
 * already did to the same target (the store held it when the run began, or it was seen an
 * hour or more before the episode began: its baseline), or whose
 * actor a person declared an engineering workstation (for downloads, uploads, mode changes,
 * restarts) or an HMI or SCADA server (for writes and commands), is `routine`: kept as a record
 * with the reason, not told and not answered. Anything else stays an alert: the first time a
 * host does it, and a PLC stop from a host not declared. When a site declared maintenance
 * windows, engineering work (downloads, uploads, mode changes, restarts) outside them is an
 * alert whoever does it, and at least high. Returns how many became routine.
 */
export function markRoutineOt(alerts: Alert[], actorOf: (a: Alert) => OtActor | undefined, windows: readonly MaintenanceWindow[] = []): number {
  let n = 0;
  for (const a of alerts) {
    if (a.class !== "ot-operation" || a.status !== "open") continue;
    if (ENGINEERING_TECHNIQUES.has(a.technique) && windowState(a, windows) === "outside") {
      if (LEVELS.indexOf(a.severity) < LEVELS.indexOf("high")) a.severity = "high";
      a.evidence.observations.push("outside the site's declared maintenance windows");
      continue;
    }
    const actor = actorOf(a);
    if (!actor) continue;
    const ops = a.evidence.observations.filter((o) => o.startsWith(OBSERVED)).map((o) => o.slice(OBSERVED.length));
    let why: string | undefined;
    if (actor.declared === "engineering-workstation" && ENGINEERING_TECHNIQUES.has(a.technique)) why = "routine: a declared engineering workstation's work";
    else if (actor.declared !== undefined && OPERATORS.has(actor.declared) && OPERATOR_TECHNIQUES.has(a.technique)) why = `routine: a declared ${actor.declared}'s work`;
    else if (ops.length > 0 && !ops.some((v) => STOP.test(v)) && ops.every((v) => {
      const first = actor.firstDid(v);
      return first !== undefined && (first.known || first.firstUs <= a.firstUs - ROUTINE_AFTER_US);
    })) why = "routine: its actor did this to the same target before (its baseline)";
    if (!why) continue;
    a.status = "routine";
    a.evidence.observations.push(why);
    n++;
  }
  return n;
}

/** Writes and commands are an HMI's or SCADA server's daily work; the rest is engineering. */
const OPERATOR_TECHNIQUES = new Set(["T0836", "T0855"]);
const OPERATORS = new Set(["hmi", "server", "historian"]);

/**
 * Once the inventory is classified: an operation from a host that is not a known engineering
 * workstation (nor, for writes and commands, an HMI or SCADA server) is one level more
 * severe, and says so.
 */
export function escalateOtOperations(alerts: Alert[], categoryOf: (a: Alert) => string | undefined): void {
  for (const a of alerts) {
    if (a.class !== "ot-operation") continue;
    const category = categoryOf(a);
    if (category === "engineering-workstation" || (category && OPERATORS.has(category) && OPERATOR_TECHNIQUES.has(a.technique))) continue;
    a.severity = LEVELS[Math.min(LEVELS.length - 1, LEVELS.indexOf(a.severity) + 1)];
    if (!a.title.endsWith(")")) a.title += ` (from a host not known as an engineering workstation${category ? `: ${category}` : ""})`;
    else a.title += ` — from a host not known as an engineering workstation${category ? ` (${category})` : ""}`;
  }
}
