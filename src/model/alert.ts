/**
 * Alerts: what a detector concluded, as one record per episode. The class vocabulary is the
 * corpus's (`expected-alerts.json`), extended with the behavioural classes; severity and an
 * ATT&CK technique (the ICS matrix for OT operations) come with each.
 */
export const ALERT_CLASSES = [
  "scan", "brute-force", "cleartext-credentials", "dns-tunnel", "dga-domain", "risky-flow", "exploit-attempt", "mining",
  "ot-operation", "arp-spoof", "new-peer", "new-domain", "new-service", "volume", "new-device", "identity-change", "indicator", "policy-violation",
  // Cordon's own actions (a quarantine proposed, carried out or released), told through the same outputs.
  "response",
  // An end-of-life decision whose review is overdue, or a device past its replace-by date.
  "end-of-life",
  // A trust assumption past its review date, or one the traffic contradicts.
  "trust-assumption",
  // A certificate of a device that expires within 30, 7 or 1 days, or has expired unrenewed.
  "certificate",
] as const;
export type AlertClass = (typeof ALERT_CLASSES)[number];

export const SEVERITIES = ["low", "medium", "high", "critical"] as const;
export type Severity = (typeof SEVERITIES)[number];

/** Where an alert's evidence lies: packets by source and frame number, flows by their ends and start. */
export interface AlertEvidence {
  packets: { source: string; packet: number; tsUs: number }[];
  flows: string[];
  observations: string[];
  /**
   * Every raise of the episode came from flow records (NetFlow, IPFIX, Zeek conn), which
   * whoever can reach a collector can forge: no automatic response starts from it.
   */
  flowRecordsOnly?: true;
}

/**
 * `routine`: an OT operation its actor is known to do (it did the same before, or a person
 * declared it the target's engineering station or operator): kept as a record, not told and
 * not answered.
 */
export type AlertStatus = "open" | "acknowledged" | "resolved" | "suppressed" | "routine";

export interface Alert {
  id: string;
  detector: string;
  class: AlertClass;
  severity: Severity;
  technique: string;
  site: string;
  source?: string;
  sourceMac?: string;
  target?: string;
  title: string;
  firstUs: number;
  lastUs: number;
  count: number;
  evidence: AlertEvidence;
  status: AlertStatus;
}
