import type { Sql } from "./sql.js";

/**
 * The audit log: every action that changes what the network does or what people are told
 * (quarantine, release, approve, reject, alert moves, suppressions, policy moves, overrides),
 * with who did it. Append-only: the database refuses UPDATE and DELETE on the table.
 *
 * - `principal`: who was authenticated (the serve's API token, an operating-system user for
 *   the CLI on the database, `playbook` for Cordon's own responses). Later, a named user.
 * - `actor`: the person as the principal names them (the CLI's operating-system user).
 * - `via`: the face (api, cli, playbook); `peer`: the address the request came from.
 */
export interface AuditEntry {
  at: string;
  principal: string;
  actor: string;
  via: "api" | "cli" | "playbook";
  /** The role the principal acted in (app/permissions.ts), when it had one. */
  role?: string;
  peer?: string;
  action: string;
  site?: string;
  target?: string;
  outcome: "ok" | "failed" | "refused";
  detail?: string;
}

export interface StoredAuditEntry extends AuditEntry {
  id: number;
}

export class AuditLog {
  constructor(private readonly sql: Sql) {}

  append(e: AuditEntry): number {
    return this.sql.column<number>(`INSERT INTO audit (at, principal, actor, via, peer, action, site, target, outcome, detail, role) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
      e.at, e.principal, e.actor, e.via, e.peer ?? null, e.action, e.site ?? null, e.target ?? null, e.outcome, e.detail ?? "", e.role ?? null)[0];
  }

  /** Newest first; `beforeId` pages back. */
  list(o: { limit?: number; beforeId?: number; target?: string } = {}): StoredAuditEntry[] {
    const where: string[] = [];
    const args: (string | number)[] = [];
    if (o.beforeId !== undefined) {
      where.push("id < ?");
      args.push(o.beforeId);
    }
    if (o.target !== undefined) {
      where.push("target = ?");
      args.push(o.target);
    }
    const rows = this.sql.all<Record<string, string | number | null>>(`SELECT * FROM audit ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY id DESC LIMIT ?`, ...args, o.limit ?? 100);
    return rows.map((r) => ({
      id: r.id as number, at: r.at as string, principal: r.principal as string, actor: r.actor as string, via: r.via as AuditEntry["via"],
      ...(r.peer !== null ? { peer: r.peer as string } : {}), action: r.action as string,
      ...(r.site !== null ? { site: r.site as string } : {}), ...(r.target !== null ? { target: r.target as string } : {}),
      outcome: r.outcome as AuditEntry["outcome"], detail: r.detail as string, ...(r.role !== null && r.role !== undefined ? { role: r.role as string } : {}),
    }));
  }
}
