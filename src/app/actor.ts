import { AuditLog, type AuditEntry } from "../store/audit.js";
import type { Store } from "../store/store.js";

/**
 * Who asks for a change, as the face authenticated them: the CLI's operating-system user, an
 * API caller, or Cordon's own playbook. Every use case that changes what the network does or
 * what people are told takes one and records it in the audit log itself, so no face can
 * forget to.
 */
export interface Actor {
  /** Who was authenticated: `os:NAME` for the CLI, the API's principal, `playbook`. */
  principal: string;
  /** The person as the principal names them. */
  name: string;
  via: AuditEntry["via"];
  /** The address the request came from (the API). */
  peer?: string;
  /** The role it acts in (app/permissions.ts): a user's; the CLI on the database is the host's administrator. */
  role?: string;
}

/** One audit entry for a change `by` made. */
export function recordChange(store: Store, by: Actor, e: { action: string; target: string; detail: string; site?: string }): void {
  new AuditLog(store.sql).append({
    at: new Date().toISOString(), principal: by.principal, actor: by.name, via: by.via, ...(by.peer ? { peer: by.peer } : {}), ...(by.role ? { role: by.role } : {}),
    action: e.action, site: e.site, target: e.target, outcome: "ok", detail: e.detail,
  });
}
