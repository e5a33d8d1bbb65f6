import type { LearnDevice } from "../policy/learn.js";
import { type FlowRecord, flowWeight } from "../model/flow-record.js";
import type { Store } from "../store/store.js";
import { classificationOf } from "./classification.js";
import { parseDnsAnswer } from "../model/dns-answer.js";

/** The VLAN each MAC sent most of its flows on. */
function vlansByMac(flows: readonly FlowRecord[]): Map<string, number> {
  const counts = new Map<string, Map<number, number>>();
  for (const f of flows) {
    if (!f.srcMac) continue;
    const m = counts.get(f.srcMac) ?? new Map<number, number>();
    m.set(f.vlan, (m.get(f.vlan) ?? 0) + flowWeight(f));
    counts.set(f.srcMac, m);
  }
  return new Map([...counts].map(([mac, m]) => [mac, [...m].sort((a, b) => b[1] - a[1])[0][0]]));
}

/** The inventory as learning reads it: categories and criticality as the commands show them. */
export function learnDevices(store: Store, site: string, flows: readonly FlowRecord[] = store.flowGroups(site)): LearnDevice[] {
  const verdicts = store.latestVerdicts();
  const overrides = store.overrides();
  const vlans = vlansByMac(flows);
  const assigned = store.mudAssignments(site);
  return store.devices(site).map((d) => {
    const c = classificationOf(d, verdicts.get(d.id), overrides.get(d.id));
    const key = d.mac ?? d.key;
    const announced = d.facts.find((f) => f.kind === "dhcp.mud_url" || f.kind === "lldp.mud_url")?.value;
    return {
      key, mac: d.mac ?? undefined, ips: c.addresses, category: c.category,
      criticality: c.criticality, router: d.router, site: d.site,
      vlan: d.mac ? vlans.get(d.mac) : undefined, vendor: c.vendor,
      mudUrl: assigned.get(key) ?? announced,
      dnsAnswers: d.facts.filter((f) => f.kind === "dns.answer").flatMap((f) => parseDnsAnswer(f.value) ?? []),
      dnsQueries: d.facts.filter((f) => f.kind === "dns.query").map((f) => f.value),
    };
  });
}
