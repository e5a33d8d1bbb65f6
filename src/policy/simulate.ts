import type { FlowRecord } from "../model/flow-record.js";
import { type AddressSet, type ResolvedPolicy, addressRange } from "./model.js";

export interface Verdict {
  flow: FlowRecord;
  allowed: boolean;
  /** The rule that allowed the flow, or why it was dropped. */
  reason: string;
}

/** Membership test for an address set: exact addresses first, then IPv4 and IPv6 prefixes. */
export function setMatcher(s: AddressSet): (ip: string) => boolean {
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

/**
 * Whether a policy lets `src` open a connection to `dst` on a protocol and port (undefined: on
 * some port), with its address sets built once: the rule that allows it, `unmanaged` when no
 * managed device takes part, or undefined when nothing allows it. The one reading of a policy
 * that the simulator and the exposure of a vulnerable service share.
 */
export function reachWith(p: ResolvedPolicy): (src: string, dst: string, proto: string, port?: number) => string | undefined {
  const sets = new Map(p.sets.map((s) => [s.name, setMatcher(s)]));
  const managed = sets.get(p.managed)!;
  const inSet = (name: string, ip: string): boolean => name === "any" || sets.get(name)!(ip);
  return (src, dst, proto, port) => {
    if (!managed(src) && !managed(dst)) return "unmanaged";
    return p.rules.find((r) => (r.proto === "any" || proto === "any" || r.proto === proto) && inSet(r.from, src) && inSet(r.to, dst)
      && (port === undefined || r.ports.length === 0 || r.ports.some(([lo, hi]) => port >= lo && port <= hi)))?.id;
  };
}

/** The judge of one policy, its address sets built once: for a detector that sees flows one by one. */
export function judgeWith(p: ResolvedPolicy): (f: FlowRecord) => Verdict {
  const reach = reachWith(p);
  return (f) => {
    const proto = PROTO[f.proto] ?? "other";
    const by = reach(f.srcIp, f.dstIp, proto, f.dstPort);
    if (by === "unmanaged") return { flow: f, allowed: true, reason: "no managed device takes part" };
    return by ? { flow: f, allowed: true, reason: by } : { flow: f, allowed: false, reason: `no rule allows ${f.srcIp} -> ${f.dstIp} ${proto}/${f.dstPort}` };
  };
}
