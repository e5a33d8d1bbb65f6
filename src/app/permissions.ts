/**
 * Who may do what. Every face asks `may` before a use case that changes something; serve's API
 * enforces it on every route, and the README's table is this one.
 *
 * "OT tiers" are the criticality classes whose devices a person approves for first
 * (`respond.approval`, by default life-safety/physical-process): acting on them takes an OT
 * engineer (or an admin), and the person who asked for such an action cannot also approve it.
 */
export const ROLES = ["admin", "network", "ot-engineer", "analyst", "viewer"] as const;
export type Role = (typeof ROLES)[number];

export const ACTIONS = {
  read: "see devices, flows, alerts, policies, responses, NAC, audit",
  "alert.move": "acknowledge, resolve, reopen alerts; suppressions; maintenance windows",
  quarantine: "quarantine a device (one of an OT tier is proposed: another person approves), release one",
  "quarantine.ot": "release a device of an OT tier",
  "response.approve": "approve or reject a proposed response",
  "response.approve.ot": "approve or reject a proposed response for a device of an OT tier",
  "policy.approve": "approve, reject or enforce a policy",
  "policy.approve.ot": "approve, reject or enforce a policy governing devices of an OT tier",
  "nac.move": "approve or reject a device's move to another policy group",
  override: "set a device's category or criticality",
  "override.ot": "set the category or criticality of a device of an OT tier",
  "policy.propose": "propose a policy version (compensating controls for vulnerable devices)",
  eol: "record and review end-of-life decisions",
  "trust.assume": "declare and review trust assumptions and zones",
  "certificate.revoke": "revoke a certificate Cordon issued",
  users: "add, change and disable users; make and revoke their API tokens",
} as const;
export type Action = keyof typeof ACTIONS;

const ALL: readonly Role[] = ROLES;

/** Action → the roles that may take it. */
export const PERMISSIONS: Readonly<Record<Action, readonly Role[]>> = {
  read: ALL,
  "alert.move": ["admin", "ot-engineer", "analyst"],
  quarantine: ["admin", "network", "ot-engineer", "analyst"],
  "quarantine.ot": ["admin", "ot-engineer"],
  "response.approve": ["admin", "network", "ot-engineer", "analyst"],
  "response.approve.ot": ["admin", "ot-engineer"],
  "policy.approve": ["admin", "network", "ot-engineer"],
  "policy.approve.ot": ["admin", "ot-engineer"],
  "nac.move": ["admin", "network"],
  override: ["admin", "network", "ot-engineer"],
  "override.ot": ["admin", "ot-engineer"],
  "policy.propose": ["admin", "network", "ot-engineer"],
  eol: ["admin", "network", "ot-engineer"],
  "trust.assume": ["admin", "network", "ot-engineer"],
  "certificate.revoke": ["admin", "network"],
  users: ["admin"],
};

export const isRole = (v: unknown): v is Role => typeof v === "string" && (ROLES as readonly string[]).includes(v);

export const may = (role: Role, action: Action): boolean => PERMISSIONS[action].includes(role);

/** The table of who may do what, as the README shows it (a test keeps the two the same). */
export function permissionsMarkdown(): string {
  const rows = (Object.keys(ACTIONS) as Action[]).map((a) => `| ${ACTIONS[a]} | ${ROLES.map((r) => (PERMISSIONS[a].includes(r) ? "yes" : "")).join(" | ")} |`);
  return [`| may | ${ROLES.join(" | ")} |`, `|---|${ROLES.map(() => "---").join("|")}|`, ...rows].join("\n");
}
