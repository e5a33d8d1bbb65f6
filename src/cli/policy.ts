import { readFileSync } from "node:fs";
import { compileDownloadableAcl, compileIosAcl, compilePerUserAcl } from "../policy/compile/cisco.js";
import { compileIptables } from "../policy/compile/iptables.js";
import { compileNasFilterRules } from "../policy/compile/nas-filter-rule.js";
import { compileNftables } from "../policy/compile/nftables.js";
import { type LearnDevice, type Policy, learnPolicy } from "../policy/learn.js";
import { PolicyError, type ResolvedPolicy } from "../policy/model.js";
import { resolvePolicy } from "../policy/resolve.js";
import { type Verdict, simulate } from "../policy/simulate.js";
import { Store } from "../store/sqlite.js";
import { analyzeCaptures, classifiedView } from "./analyze.js";
import { UsageError } from "./output.js";

/** A learned policy file: the policy as a person reviews it, and its addresses resolved for the compilers. */
export interface PolicyFile {
  policy: Policy;
  resolved: ResolvedPolicy;
}

/** The inventory as learning reads it: categories and criticality as the commands show them. */
export function learnDevices(store: Store, site?: string): LearnDevice[] {
  const verdicts = store.latestVerdicts();
  const overrides = store.overrides();
  return store.devices(site).map((d) => {
    const v = classifiedView(d, verdicts.get(d.id), overrides.get(d.id));
    return {
      key: d.mac ?? d.key, mac: d.mac ?? undefined, ips: v.ips as string[], category: v.category as string,
      criticality: v.criticality as string, router: d.router,
      dnsAnswers: d.facts.filter((f) => f.kind === "dns.answer").map((f) => f.value),
    };
  });
}

/** `cordon policy learn`: a policy from everything the database holds for a site. */
export function learnFromStore(store: Store, site: string, manageAll: boolean): PolicyFile {
  const devices = learnDevices(store, site);
  const policy = learnPolicy(devices, store.flows().filter((f) => f.site === site), { name: `learned-${site}`, site, manageAll });
  return { policy, resolved: resolvePolicy(policy, devices) };
}

export function readPolicyFile(path: string): PolicyFile {
  try {
    const f = JSON.parse(readFileSync(path, "utf8")) as PolicyFile;
    if (!f || typeof f !== "object" || !f.resolved || !f.policy) throw new Error("not a policy file (no \"policy\" and \"resolved\")");
    return f;
  } catch (e) {
    throw new UsageError(`${path}: ${(e as Error).message}`);
  }
}

export const TARGETS = ["nftables", "iptables", "ip6tables", "cisco-acl", "per-user-acl", "dacl", "nas-filter-rule"] as const;

/** `cordon policy compile`: the resolved policy for one target (port targets for one device set). */
export function compileFor(f: PolicyFile, target: string, device: string | undefined, mode: string | undefined): string {
  const p: ResolvedPolicy = { ...f.resolved, mode: mode === "enforce" ? "enforce" : mode === "monitor" ? "monitor" : f.resolved.mode };
  const needDevice = (): string => {
    if (!device) throw new UsageError(`--target ${target} compiles the ACL of one device set: name it with --device (one of: ${p.sets.map((s) => s.name).join(", ")})`);
    return device;
  };
  try {
    switch (target) {
      case "nftables": return compileNftables(p);
      case "iptables": return compileIptables(p, 4);
      case "ip6tables": return compileIptables(p, 6);
      case "cisco-acl": return compileIosAcl(p, needDevice());
      case "per-user-acl": return `${compilePerUserAcl(p, needDevice()).map((v) => `Cisco-AVPair = "${v}"`).join("\n")}\n`;
      case "dacl": {
        const d = compileDownloadableAcl(p, needDevice());
        return [`# Access-Accept: Cisco-AVPair = "${d.accessAccept}"`, ...d.packets.flatMap((packet, i) => [`# download packet ${i + 1}`, ...packet.map((v) => `Cisco-AVPair = "${v}"`)])].join("\n") + "\n";
      }
      case "nas-filter-rule": return `${compileNasFilterRules(p, needDevice()).rules.map((r) => `NAS-Filter-Rule = "${r}"`).join("\n")}\n`;
      default: throw new UsageError(`unknown target "${target}" (known: ${TARGETS.join(", ")})`);
    }
  } catch (e) {
    if (e instanceof PolicyError) throw new UsageError(e.message);
    throw e;
  }
}

/** `cordon policy simulate`: every flow of the captures judged against the policy. */
export async function simulateCaptures(f: PolicyFile, captures: string[]): Promise<Verdict[]> {
  const store = new Store(":memory:");
  try {
    await analyzeCaptures(store, captures, f.policy.site);
    return simulate(f.resolved, store.flows());
  } finally {
    store.close();
  }
}

export function renderSimulation(verdicts: Verdict[], format: "table" | "json"): string {
  const dropped = verdicts.filter((v) => !v.allowed);
  if (format === "json") {
    return JSON.stringify({
      flows: verdicts.length, dropped: dropped.length,
      drops: dropped.map((v) => ({ src_ip: v.flow.srcIp, src_port: v.flow.srcPort, dst_ip: v.flow.dstIp, dst_port: v.flow.dstPort, proto: v.flow.proto, src_mac: v.flow.srcMac ?? null, reason: v.reason })),
    }, null, 2);
  }
  const lines = [`${verdicts.length} flows, ${dropped.length} would be dropped`];
  for (const v of dropped) lines.push(`  ${v.reason}${v.flow.srcMac ? ` (from ${v.flow.srcMac})` : ""}`);
  return lines.join("\n");
}
