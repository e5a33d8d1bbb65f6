/** Where a stored policy version is in its life (see policy/lifecycle.ts for the moves). */
export type PolicyStatus = "proposed" | "approved" | "enforced" | "superseded" | "rejected";
