import { sweepDetector } from "./sweep.js";
import { arpSpoofDetector } from "./arp-spoof.js";
import { bruteForceDetector } from "./brute-force.js";
import { dnsDetector } from "./dns.js";
import type { Detector } from "./engine.js";
import { oddPortDetector } from "./odd-port.js";
import { otOperationDetector } from "./ot-operation.js";
import { scanDetector } from "./scan.js";
import { cleartextCredentialsDetector, exploitDetector, miningDetector, riskyFlowDetector } from "./signals.js";

/**
 * Every detector that needs no baseline, fresh (they keep per-run state); the behavioural one
 * is built with the site's baselines (`cli/detection.ts`). A new detector is one file and one
 * line here.
 */
export function allDetectors(): Detector[] {
  return [
    scanDetector(), bruteForceDetector(), dnsDetector(), arpSpoofDetector(), otOperationDetector(),
    cleartextCredentialsDetector(), exploitDetector(), riskyFlowDetector(), miningDetector(), oddPortDetector(), sweepDetector(),
  ];
}

/**
 * Every name an alert's detector can have: these detectors, the behavioural, indicator and
 * policy-violation ones, the inventory's (new-device, identity-change), the NAC's
 * (nac-location), the playbook's (respond) and the end-of-life register's. Suppressions name one of them.
 */
export const ALERT_DETECTORS: readonly string[] = [
  ...allDetectors().map((d) => d.name), "behaviour", "indicator", "policy-violation", "new-device", "identity-change", "nac-location", "respond", "end-of-life", "trust-assumption",
].sort();
