import { isPrivateIp } from "../net/addr.js";
import type { ResolvedPolicy } from "../policy/model.js";
import { judgeWith } from "../policy/simulate.js";
import type { Detector } from "./engine.js";
import { flowRef } from "./engine.js";

const DAY_US = 86_400_000_000;

/**
 * Flows outside the site's approved (or enforced) policy, judged as the compiled rulesets
 * judge them: one episode per acting host and day, whatever the peer, with the count. In
 * monitor mode these are what enforcement would drop; in enforce mode, what got through
 * anyway (an enforcement point missing or bypassed).
 */
export function policyViolationDetector(policy: ResolvedPolicy, label: string): Detector {
  const judge = judgeWith(policy);
  return {
    name: "policy-violation",
    flow(f, ctx) {
      const v = judge(f);
      if (v.allowed) return;
      const proto = f.proto === 6 ? "tcp" : f.proto === 17 ? "udp" : `ip-${f.proto}`;
      ctx.raise({
        class: "policy-violation", severity: policy.mode === "enforce" ? "high" : "medium", technique: isPrivateIp(f.dstIp) ? "T1021" : "T1071",
        site: f.site, source: f.srcIp, sourceMac: f.srcMac, target: f.dstIp, tsUs: f.firstUs, episode: label, gapUs: DAY_US, anyTarget: true,
        title: `${f.srcIp} went outside ${label}: ${proto}/${f.dstPort} to ${f.dstIp}${policy.mode === "enforce" ? " (enforced: this should have been dropped)" : " (monitor mode: would be dropped)"}`,
        flow: flowRef(f),
      });
    },
  };
}
