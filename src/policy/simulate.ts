import type { FlowRecord } from "../model/flow-record.js";
import { type AddressSet, type ResolvedPolicy, addressRange } from "./model.js";

export interface Verdict {
  flow: FlowRecord;
  allowed: boolean;
  /** The rule that allowed the flow, or why it was dropped. */
  reason: string;
}

/** Membership test for an address set: exact addresses first, then IPv4 and IPv6 prefixes. */
function matcher(s: AddressSet): (ip: string) => boolean {
  const exact = new Set<string>();
  const prefixes: [bigint, bigint, boolean][] = [];
  for (const a of [...s.v4, ...s.v6]) {
    const [addr, len] = a.split("/");
    if (len === undefined || len === (addr.includes(":") ? "128" : "32")) exact.add(addr);
    else prefixes.push([...addressRange(a), addr.includes(":")]);
  }
  return (ip) => {
    if (exact.has(ip)) return true;
    if (prefixes.length === 0) return false;
    const [n] = addressRange(ip);
    const v6 = ip.includes(":");
    return prefixes.some(([lo, hi, six]) => six === v6 && n >= lo && n <= hi);
  };
}

const PROTO: Record<number, string> = { 6: "tcp", 17: "udp", 1: "icmp", 58: "icmp" };

/**
 * Judges flows against a resolved policy as the compiled rulesets would: a flow from or to a
 * managed address passes only when a rule allows its initiator, responder, protocol and
 * destination port; other flows are not the policy's business and pass. Pure.
 */
export function simulate(p: ResolvedPolicy, flows: Iterable<FlowRecord>): Verdict[] {
  const judge = judgeWith(p);
  const out: Verdict[] = [];
  for (const f of flows) out.push(judge(f));
  return out;
}

/** The judge of one policy, its address sets built once: for a detector that sees flows one by one. */
export function judgeWith(p: ResolvedPolicy): (f: FlowRecord) => Verdict {
  const sets = new Map(p.sets.map((s) => [s.name, matcher(s)]));
  const managed = sets.get(p.managed)!;
  const inSet = (name: string, ip: string): boolean => name === "any" || sets.get(name)!(ip);
  return (f) => {
    if (!managed(f.srcIp) && !managed(f.dstIp)) return { flow: f, allowed: true, reason: "no managed device takes part" };
    const proto = PROTO[f.proto] ?? "other";
    const rule = p.rules.find((r) => (r.proto === "any" || r.proto === proto) && inSet(r.from, f.srcIp) && inSet(r.to, f.dstIp)
      && (r.ports.length === 0 || r.ports.some(([lo, hi]) => f.dstPort >= lo && f.dstPort <= hi)));
    return rule ? { flow: f, allowed: true, reason: rule.id } : { flow: f, allowed: false, reason: `no rule allows ${f.srcIp} -> ${f.dstIp} ${proto}/${f.dstPort}` };
  };
}
