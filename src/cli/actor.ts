import { userInfo } from "node:os";
import { AuditLog } from "../store/audit.js";
import type { Store } from "../store/store.js";

/**
 * Who acts when the CLI changes something: the operating-system user running it (the one
 * the database file's permissions already trust), never a name the caller types.
 */
export function cliActor(): string {
  let name: string;
  try {
    name = userInfo().username;
  } catch {
    name = `uid-${process.getuid?.() ?? "unknown"}`;
  }
  return name.replace(/[^A-Za-z0-9_.@-]/g, "_").slice(0, 64) || "unknown";
}

/** One audit entry for a change the CLI made on the database. */
export function cliAudit(store: Store, action: string, target: string, detail: string, site?: string): void {
  const who = cliActor();
  new AuditLog(store.sql).append({ at: new Date().toISOString(), principal: `os:${who}`, actor: who, via: "cli", action, site, target, outcome: "ok", detail });
}
