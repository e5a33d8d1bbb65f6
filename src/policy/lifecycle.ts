import type { PolicyStatus } from "../model/policy-status.js";
import { PolicyError } from "./model.js";

/**
 * A policy version's life: learned or edited versions are proposed; a person approves (or
 * rejects) them; an approved version is enforced, which supersedes the version enforced
 * before it. Nothing skips approval, and nothing leaves a final state.
 */
const NEXT: Record<PolicyStatus, readonly PolicyStatus[]> = {
  proposed: ["approved", "rejected"],
  approved: ["enforced", "rejected"],
  enforced: ["superseded"],
  superseded: [],
  rejected: [],
};

/** Throws a PolicyError saying why a version in `from` cannot become `to`. */
export function checkTransition(id: number, from: PolicyStatus, to: PolicyStatus): void {
  if (NEXT[from].includes(to)) return;
  const allowed = NEXT[from];
  throw new PolicyError(`policy ${id} is ${from}: it can ${allowed.length ? `only become ${allowed.join(" or ")}` : "no longer change"}, not ${to}`);
}
