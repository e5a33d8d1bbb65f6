import type Database from "better-sqlite3";
import type { ResponseRecord } from "../model/response.js";

/**
 * Storage of the NAC and response side: RADIUS decisions (per device, with their reasons),
 * the last known session of each MAC, quarantines with their release, and response records.
 * Shares the Store's database handle; like the Store, the only place this data meets SQL.
 */

/**
 * A RADIUS decision; a run of identical ones for a device (same NAS, port, state, VLAN,
 * profile and reason: re-authentications with the same answer) is one record with its count
 * and the time of the last.
 */
export interface DecisionFields {
  site: string;
  mac: string;
  nas: string;
  nasPortId?: string;
  state: string;
  accept: boolean;
  vlan?: string;
  profile?: string;
  reason: string;
}

export interface StoredDecision extends DecisionFields {
  at: string;
  lastAt?: string;
  count?: number;
}

/**
 * A decision as the RADIUS thread reports it (times in ms): one request's, or a run of
 * `count` identical ones from `atMs` to `lastAtMs`.
 */
export interface NewDecision extends DecisionFields {
  atMs: number;
  lastAtMs?: number;
  count?: number;
}

/** What names a MAC's session at its NAS (the address the NAS sent from is where CoA goes). */
export interface SessionIds {
  site: string;
  mac: string;
  nas: string;
  nasIp: string;
  nasPort?: number;
  nasPortId?: string;
  callingStationId?: string;
  userName?: string;
  auditSessionId?: string;
  acctSessionId?: string;
  ip?: string;
}

export interface StoredSession extends SessionIds {
  status: string;
  lastAt: string;
}

export interface StoredQuarantine {
  id: number;
  site: string;
  mac: string;
  since: string;
  by: string;
  reason: string;
  responseId?: string;
  releasedAt?: string;
  releasedBy?: string;
  releaseNote?: string;
}

/**
 * A group move: "applied" (made by Cordon at once), "pending" (waits for a person), "approved"
 * (a person allowed it), "superseded" (the verdict changed again before anyone decided),
 * "rejected". `enactedAt` is when the NAC table took it and a CoA was asked for.
 */
export interface StoredMove {
  id: number;
  at: string;
  site: string;
  mac: string;
  policyId: number;
  from?: string;
  to: string;
  rights: "fewer" | "more" | "undefined";
  status: "applied" | "pending" | "approved" | "superseded" | "rejected";
  reason: string;
  decidedBy?: string;
  decidedAt?: string;
  enactedAt?: string;
}

const moveOf = (r: Row): StoredMove => ({
  id: r.id as number, at: r.at as string, site: r.site as string, mac: r.mac as string, policyId: r.policy_id as number,
  from: opt(r.from_group as string | null), to: r.to_group as string, rights: r.rights as StoredMove["rights"], status: r.status as StoredMove["status"],
  reason: r.reason as string, decidedBy: opt(r.decided_by as string | null), decidedAt: opt(r.decided_at as string | null), enactedAt: opt(r.enacted_at as string | null),
});

/** Whether two decisions for a device said the same (one record holds a run of them). */
export const sameAnswer = (a: DecisionFields, b: DecisionFields): boolean =>
  a.nas === b.nas && a.nasPortId === b.nasPortId && a.state === b.state && a.accept === b.accept && a.vlan === b.vlan && a.profile === b.profile && a.reason === b.reason;

type Row = Record<string, string | number | null>;
const opt = <T>(v: T | null): T | undefined => (v === null ? undefined : v);

export class NacStore {
  /** Each device's newest decision record written by this process: its id and what it said. */
  private readonly latest = new Map<string, { id: number; d: NewDecision }>();

  constructor(private readonly db: Database.Database) {}

  /** Appends decisions; one that repeats the device's newest record adds to that record's count. */
  saveDecisions(list: readonly NewDecision[]): void {
    const ins = this.db.prepare(`INSERT INTO nac_decisions (at, last_at, count, site, mac, nas, nas_port_id, state, accept, vlan, profile, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    const up = this.db.prepare(`UPDATE nac_decisions SET count = count + ?, last_at = ? WHERE id = ?`);
    this.db.transaction(() => {
      const repeats = new Map<number, { n: number; atMs: number }>();
      for (const d of list) {
        const key = `${d.site} ${d.mac}`;
        const last = this.latest.get(key);
        const n = d.count ?? 1;
        const lastAtMs = d.lastAtMs ?? d.atMs;
        if (last && sameAnswer(last.d, d)) {
          const r = repeats.get(last.id);
          if (r) {
            r.n += n;
            r.atMs = lastAtMs;
          } else repeats.set(last.id, { n, atMs: lastAtMs });
          continue;
        }
        const id = Number(ins.run(new Date(d.atMs).toISOString(), new Date(lastAtMs).toISOString(), n, d.site, d.mac, d.nas, d.nasPortId ?? null, d.state, d.accept ? 1 : 0,
          d.vlan ?? null, d.profile ?? null, d.reason).lastInsertRowid);
        if (this.latest.size >= 1_000_000) this.latest.clear();
        this.latest.set(key, { id, d });
      }
      for (const [id, r] of repeats) up.run(r.n, new Date(r.atMs).toISOString(), id);
    })();
  }

  /** A device's decisions, newest first (all devices when `mac` is undefined). */
  decisions(o: { site?: string; mac?: string; limit?: number } = {}): StoredDecision[] {
    const where: string[] = [];
    const args: (string | number)[] = [];
    if (o.site) {
      where.push("site = ?");
      args.push(o.site);
    }
    if (o.mac) {
      where.push("mac = ?");
      args.push(o.mac);
    }
    const rows = this.db.prepare(`SELECT * FROM nac_decisions ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY id DESC LIMIT ?`).all(...args, o.limit ?? 100) as Row[];
    return rows.map((r) => ({
      at: r.at as string, lastAt: r.last_at as string, count: r.count as number, site: r.site as string, mac: r.mac as string, nas: r.nas as string, nasPortId: opt(r.nas_port_id as string | null),
      state: r.state as string, accept: r.accept === 1, vlan: opt(r.vlan as string | null), profile: opt(r.profile as string | null), reason: r.reason as string,
    }));
  }

  /** Forgets decisions older than `before` (ISO time); returns how many went. */
  pruneDecisions(before: string): number {
    this.latest.clear();
    return this.db.prepare(`DELETE FROM nac_decisions WHERE last_at < ?`).run(before).changes;
  }

  /** Upserts sessions; on the same NAS, a field a new record leaves out keeps its stored value. */
  saveSessions(list: readonly StoredSession[]): void {
    const up = this.db.prepare(`INSERT INTO nac_sessions (site, mac, nas, nas_ip, nas_port, nas_port_id, calling_station_id, user_name, audit_session_id, acct_session_id, ip, status, last_at)
      VALUES (@site, @mac, @nas, @nasIp, @nasPort, @nasPortId, @callingStationId, @userName, @auditSessionId, @acctSessionId, @ip, @status, @lastAt)
      ON CONFLICT (site, mac) DO UPDATE SET
        nas_port = CASE WHEN excluded.nas = nas THEN COALESCE(excluded.nas_port, nas_port) ELSE excluded.nas_port END,
        nas_port_id = CASE WHEN excluded.nas = nas THEN COALESCE(excluded.nas_port_id, nas_port_id) ELSE excluded.nas_port_id END,
        calling_station_id = CASE WHEN excluded.nas = nas THEN COALESCE(excluded.calling_station_id, calling_station_id) ELSE excluded.calling_station_id END,
        user_name = CASE WHEN excluded.nas = nas THEN COALESCE(excluded.user_name, user_name) ELSE excluded.user_name END,
        audit_session_id = CASE WHEN excluded.nas = nas THEN COALESCE(excluded.audit_session_id, audit_session_id) ELSE excluded.audit_session_id END,
        acct_session_id = CASE WHEN excluded.nas = nas THEN COALESCE(excluded.acct_session_id, acct_session_id) ELSE excluded.acct_session_id END,
        ip = CASE WHEN excluded.nas = nas THEN COALESCE(excluded.ip, ip) ELSE excluded.ip END,
        nas = excluded.nas, nas_ip = excluded.nas_ip, status = excluded.status, last_at = excluded.last_at`);
    this.db.transaction(() => {
      for (const s of list) {
        up.run({
          site: s.site, mac: s.mac, nas: s.nas, nasIp: s.nasIp, nasPort: s.nasPort ?? null, nasPortId: s.nasPortId ?? null, callingStationId: s.callingStationId ?? null,
          userName: s.userName ?? null, auditSessionId: s.auditSessionId ?? null, acctSessionId: s.acctSessionId ?? null, ip: s.ip ?? null, status: s.status, lastAt: s.lastAt,
        });
      }
    })();
  }

  sessions(): StoredSession[] {
    return (this.db.prepare(`SELECT * FROM nac_sessions ORDER BY site, mac`).all() as Row[]).map(sessionOf);
  }

  session(site: string, mac: string): StoredSession | undefined {
    const r = this.db.prepare(`SELECT * FROM nac_sessions WHERE site = ? AND mac = ?`).get(site, mac) as Row | undefined;
    return r ? sessionOf(r) : undefined;
  }

  /** Puts a device in quarantine; a device already in quarantine keeps its first record (returned). */
  quarantine(q: Omit<StoredQuarantine, "id">): { record: StoredQuarantine; created: boolean } {
    const current = this.activeQuarantine(q.site, q.mac);
    if (current) return { record: current, created: false };
    const id = Number(this.db.prepare(`INSERT INTO quarantines (site, mac, since, set_by, reason, response_id) VALUES (?, ?, ?, ?, ?, ?)`)
      .run(q.site, q.mac, q.since, q.by, q.reason, q.responseId ?? null).lastInsertRowid);
    return { record: { ...q, id }, created: true };
  }

  /** Ends a device's quarantine; undefined when it was not in quarantine. */
  release(site: string, mac: string, by: string, at: string, note: string): StoredQuarantine | undefined {
    const current = this.activeQuarantine(site, mac);
    if (!current) return undefined;
    this.db.prepare(`UPDATE quarantines SET released_at = ?, released_by = ?, release_note = ? WHERE id = ?`).run(at, by, note, current.id);
    return { ...current, releasedAt: at, releasedBy: by, releaseNote: note };
  }

  activeQuarantine(site: string, mac: string): StoredQuarantine | undefined {
    const r = this.db.prepare(`SELECT * FROM quarantines WHERE site = ? AND mac = ? AND released_at IS NULL ORDER BY id LIMIT 1`).get(site, mac) as Row | undefined;
    return r ? quarantineOf(r) : undefined;
  }

  /** Quarantines, oldest first: the active ones, or all with their releases. */
  quarantines(all = false): StoredQuarantine[] {
    return (this.db.prepare(`SELECT * FROM quarantines ${all ? "" : "WHERE released_at IS NULL"} ORDER BY id`).all() as Row[]).map(quarantineOf);
  }

  saveResponse(r: ResponseRecord): void {
    this.db.prepare(`INSERT INTO responses (id, site, mac, alert_id, trigger, status, created_at, updated_at, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (id) DO UPDATE SET status = excluded.status, updated_at = excluded.updated_at, body = excluded.body`)
      .run(r.id, r.site, r.mac, r.alertId ?? null, r.trigger, r.status, r.createdAt, r.updatedAt, JSON.stringify(r));
  }

  response(id: string): ResponseRecord | undefined {
    const r = this.db.prepare(`SELECT body FROM responses WHERE id = ?`).get(id) as { body: string } | undefined;
    return r ? (JSON.parse(r.body) as ResponseRecord) : undefined;
  }

  /** Responses, newest first. */
  responses(limit = 200): ResponseRecord[] {
    return (this.db.prepare(`SELECT body FROM responses ORDER BY created_at DESC, id LIMIT ?`).all(limit) as { body: string }[]).map((r) => JSON.parse(r.body) as ResponseRecord);
  }

  /** Whether an alert already has a response (an alert read again starts none). */
  hasResponseFor(alertId: string): boolean {
    return this.db.prepare(`SELECT 1 FROM responses WHERE alert_id = ? LIMIT 1`).get(alertId) !== undefined;
  }
  /** Records a move; one that waits supersedes the device's earlier waiting move under the policy. */
  addMove(m: Omit<StoredMove, "id">): StoredMove {
    return this.db.transaction(() => {
      this.db.prepare(`UPDATE nac_moves SET status = 'superseded', decided_at = ? WHERE site = ? AND mac = ? AND policy_id = ? AND status = 'pending'`).run(m.at, m.site, m.mac, m.policyId);
      const id = Number(this.db.prepare(`INSERT INTO nac_moves (at, site, mac, policy_id, from_group, to_group, rights, status, reason, decided_by, decided_at, enacted_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(m.at, m.site, m.mac, m.policyId, m.from ?? null, m.to, m.rights, m.status, m.reason,
        m.decidedBy ?? null, m.decidedAt ?? null, m.enactedAt ?? null).lastInsertRowid);
      return { ...m, id };
    })();
  }

  /** Ends a device's waiting move without a person (its verdict went back). */
  supersedeWaiting(site: string, mac: string, policyId: number, at: string): void {
    this.db.prepare(`UPDATE nac_moves SET status = 'superseded', decided_at = ? WHERE site = ? AND mac = ? AND policy_id = ? AND status = 'pending'`).run(at, site, mac, policyId);
  }

  /** Under a policy: each device's group from its newest applied or approved move. */
  groupsInForce(policyId: number): Map<string, string> {
    const rows = this.db.prepare(`SELECT m.site, m.mac, m.to_group FROM nac_moves m
      JOIN (SELECT max(id) AS id FROM nac_moves WHERE policy_id = ? AND status IN ('applied', 'approved') GROUP BY site, mac) l ON l.id = m.id`).raw().all(policyId) as [string, string, string][];
    return new Map(rows.map(([site, mac, g]) => [`${site} ${mac}`, g]));
  }

  /**
   * Under a policy, by "site mac": each device's newest move when it waits for a person or a
   * person refused it (a refused move is not proposed again under the same policy).
   */
  waitingMoves(policyId: number): Map<string, StoredMove> {
    const rows = this.db.prepare(`SELECT m.* FROM nac_moves m JOIN (SELECT max(id) AS id FROM nac_moves WHERE policy_id = ? GROUP BY site, mac) l ON l.id = m.id
      WHERE m.status IN ('pending', 'rejected') ORDER BY m.id`).all(policyId) as Row[];
    return new Map(rows.map((r) => [`${r.site} ${r.mac}`, moveOf(r)]));
  }

  /** Approved moves the NAC table took but that no CoA has followed yet. */
  unenacted(): StoredMove[] {
    return (this.db.prepare(`SELECT * FROM nac_moves WHERE status IN ('applied', 'approved') AND enacted_at IS NULL ORDER BY id`).all() as Row[]).map(moveOf);
  }

  markEnacted(id: number, at: string): void {
    this.db.prepare(`UPDATE nac_moves SET enacted_at = ? WHERE id = ?`).run(at, id);
  }

  move(id: number): StoredMove | undefined {
    const r = this.db.prepare(`SELECT * FROM nac_moves WHERE id = ?`).get(id) as Row | undefined;
    return r ? moveOf(r) : undefined;
  }

  /** Moves, newest first: all, or those with a status. */
  moves(o: { status?: StoredMove["status"]; limit?: number } = {}): StoredMove[] {
    const rows = o.status
      ? this.db.prepare(`SELECT * FROM nac_moves WHERE status = ? ORDER BY id DESC LIMIT ?`).all(o.status, o.limit ?? 1000)
      : this.db.prepare(`SELECT * FROM nac_moves ORDER BY id DESC LIMIT ?`).all(o.limit ?? 1000);
    return (rows as Row[]).map(moveOf);
  }

  /** A person's decision on a waiting move: approved (it takes effect at the next table) or rejected. */
  decideMove(id: number, status: "approved" | "rejected", by: string, at: string): StoredMove {
    const r = this.db.prepare(`UPDATE nac_moves SET status = ?, decided_by = ?, decided_at = ? WHERE id = ? AND status = 'pending'`).run(status, by, at, id);
    if (r.changes !== 1) throw new Error(`move ${id} is not waiting for a decision`);
    return this.move(id)!;
  }
}

function quarantineOf(r: Row): StoredQuarantine {
  return {
    id: r.id as number, site: r.site as string, mac: r.mac as string, since: r.since as string, by: r.set_by as string, reason: r.reason as string,
    responseId: opt(r.response_id as string | null), releasedAt: opt(r.released_at as string | null), releasedBy: opt(r.released_by as string | null),
    releaseNote: opt(r.release_note as string | null),
  };
}

function sessionOf(r: Row): StoredSession {
  return {
    site: r.site as string, mac: r.mac as string, nas: r.nas as string, nasIp: r.nas_ip as string, nasPort: opt(r.nas_port as number | null),
    nasPortId: opt(r.nas_port_id as string | null), callingStationId: opt(r.calling_station_id as string | null), userName: opt(r.user_name as string | null),
    auditSessionId: opt(r.audit_session_id as string | null), acctSessionId: opt(r.acct_session_id as string | null), ip: opt(r.ip as string | null),
    status: r.status as string, lastAt: r.last_at as string,
  };
}
