import type { Policy } from "../policy/learn.js";
import type { ResolvedPolicy } from "../policy/model.js";
import type { Store, StoredPolicy } from "../store/store.js";
import { InputError } from "./errors.js";

/** A learned policy file: the policy as a person reviews it, and its addresses resolved for the compilers. */
export interface PolicyFile {
  policy: Policy;
  resolved: ResolvedPolicy;
}

/** A policy file's text, parsed; `where` names it in the error. */
export function parsePolicyFile(text: string, where: string): PolicyFile {
  try {
    const f = JSON.parse(text) as PolicyFile;
    if (!f || typeof f !== "object" || !f.resolved || !f.policy) throw new Error("not a policy file (no \"policy\" and \"resolved\")");
    return f;
  } catch (e) {
    throw new InputError(`${where}: ${(e as Error).message}`);
  }
}

export const policyFileOf = (p: StoredPolicy): PolicyFile => parsePolicyFile(p.body, `policy ${p.id}`);

/** Each site's policy in force: its newest enforced version, else its newest approved one. */
export function policiesInForce(store: Store): { stored: StoredPolicy; file: PolicyFile }[] {
  const chosen = new Map<string, StoredPolicy>();
  for (const status of ["approved", "enforced"] as const) {
    // policies() is newest first; enforced ones, looked at last, win over approved ones.
    for (const p of [...store.policies()].reverse()) if (p.status === status) chosen.set(p.site, p);
  }
  return [...chosen.values()].map((stored) => ({ stored, file: policyFileOf(stored) }));
}
