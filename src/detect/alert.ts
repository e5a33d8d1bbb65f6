import { hash } from "node:crypto";
import { type Alert, type AlertEvidence, SEVERITIES, type Severity } from "../model/alert.js";

export type { Alert, AlertClass, Severity } from "../model/alert.js";

/**
 * What a detector raises: the alert's own fields (source is the acting host, IP or MAC;
 * sourceMac binds it to its device), a time, and what separates and feeds episodes. Episodes
 * merge on detector, class, site, source, target and `episode`.
 */
export interface AlertInput extends Pick<Alert, "detector" | "class" | "severity" | "technique" | "site" | "source" | "sourceMac" | "target" | "title"> {
  tsUs: number;
  /** Further detail that separates episodes (an OT operation's name, say). */
  episode?: string;
  /** How many events this raise stands for (default 1). */
  count?: number;
  /** A quiet gap longer than this ends the episode (default EPISODE_GAP_US). */
  gapUs?: number;
  /** Raises with other targets join the same episode (it keeps its first target). */
  anyTarget?: boolean;
  packet?: AlertEvidence["packets"][number];
  flow?: string;
  observation?: string;
  /** What a later step rates the finding by (an admin protocol, a mature baseline), kept with the evidence. */
  context?: readonly string[];
}

/** Evidence kept per alert: enough to find the packets, bounded however long the episode runs. */
export const MAX_EVIDENCE = 20;
/** Alert episodes open at once (each holds at most MAX_EVIDENCE of each kind of evidence). */
export const MAX_OPEN_EPISODES = 100_000;
/** A quiet gap longer than this ends an episode (record time). */
export const EPISODE_GAP_US = 3_600_000_000;

/** What an alert says while it rests on flow records alone. */
export const RECORDS_ONLY = "evidence: flow records alone (NetFlow, IPFIX or Zeek conn), which can be forged; no automatic response";

const rank = (s: Severity): number => SEVERITIES.indexOf(s);

/**
 * The alerts of one run: raises within an episode (same key, no gap over EPISODE_GAP_US)
 * become one alert with a count and the highest severity seen; its id is a hash of the key and
 * the episode's start, so reading the same traffic again yields the same ids.
 */
export class AlertBook {
  /** Open episodes by key, each with the quiet gap that ends it (its newest raise's). */
  private readonly open = new Map<string, { alert: Alert; gapUs: number }>();
  private readonly done: Alert[] = [];

  /** What the raises now being made rest on: captured packets, or flow records alone (set by the engine). */
  measuredBy: "packets" | "records" = "packets";
  /** Episodes closed early because MAX_OPEN_EPISODES were open (they are stored as they stand). */
  closedEarly = 0;

  raise(a: AlertInput): Alert {
    return this.raiseAs(a.detector, a);
  }

  /** A raise by `detector` (detectors' raises carry no name of their own). */
  raiseAs(detector: string, a: Omit<AlertInput, "detector">): Alert {
    const key = `${detector}|${a.class}|${a.site}|${a.source ?? ""}|${a.anyTarget ? "*" : a.target ?? ""}|${a.episode ?? ""}`;
    const gapUs = a.gapUs ?? EPISODE_GAP_US;
    let episode = this.open.get(key);
    if (episode && a.tsUs - episode.alert.lastUs > gapUs) {
      this.done.push(episode.alert);
      episode = undefined;
    }
    if (!episode) {
      const alert: Alert = {
        id: hash("sha256", `${key}|${a.tsUs}`, "hex").slice(0, 16),
        detector, class: a.class, severity: a.severity, technique: a.technique, site: a.site,
        source: a.source, sourceMac: a.sourceMac, target: a.target, title: a.title,
        firstUs: a.tsUs, lastUs: a.tsUs, count: 0, evidence: { packets: [], flows: [], observations: [] }, status: "open",
      };
      if (this.measuredBy === "records") {
        alert.evidence.flowRecordsOnly = true;
        alert.evidence.observations.push(RECORDS_ONLY);
      }
      episode = { alert, gapUs };
      // Full: the episode opened longest ago ends now and is stored as it stands; a later raise of it opens another.
      if (this.open.size >= MAX_OPEN_EPISODES) {
        const [oldKey, old] = this.open.entries().next().value!;
        this.open.delete(oldKey);
        this.done.push(old.alert);
        this.closedEarly++;
      }
      this.open.set(key, episode);
    }
    episode.gapUs = gapUs;
    const alert = episode.alert;
    alert.count += a.count ?? 1;
    alert.firstUs = Math.min(alert.firstUs, a.tsUs);
    alert.lastUs = Math.max(alert.lastUs, a.tsUs);
    if (rank(a.severity) > rank(alert.severity)) {
      alert.severity = a.severity;
      alert.title = a.title;
    }
    const ev = alert.evidence;
    if (ev.flowRecordsOnly && this.measuredBy === "packets") {
      delete ev.flowRecordsOnly;
      ev.observations = ev.observations.filter((o) => o !== RECORDS_ONLY);
    }
    if (a.packet && ev.packets.length < MAX_EVIDENCE) ev.packets.push(a.packet);
    if (a.flow && ev.flows.length < MAX_EVIDENCE && !ev.flows.includes(a.flow)) ev.flows.push(a.flow);
    if (a.observation && ev.observations.length < MAX_EVIDENCE && !ev.observations.includes(a.observation)) ev.observations.push(a.observation);
    if (a.context) for (const c of a.context) if (ev.observations.length < MAX_EVIDENCE && !ev.observations.includes(c)) ev.observations.push(c);
    return alert;
  }

  /**
   * Lets finished episodes go (once they are stored): those a later raise closed, and open
   * ones quiet for longer than their gap at `nowUs`.
   */
  dropFinished(nowUs: number): void {
    this.done.length = 0;
    for (const [key, e] of this.open) {
      if (nowUs - e.alert.lastUs > e.gapUs) this.open.delete(key);
    }
  }

  /** Every alert so far (finished episodes and open ones), oldest first. */
  all(): Alert[] {
    return [...this.done, ...[...this.open.values()].map((e) => e.alert)].sort((x, y) => x.firstUs - y.firstUs);
  }
}
