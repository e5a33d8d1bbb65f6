import type { Sql } from "./sql.js";
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
  /**
   * What the answer rested on: "certificate" (EAP-TLS with a valid certificate of the CA),
   * "conflict" (a certificate naming another device), or, for MAB, the device's identity
   * strength (app/identity-strength.ts).
   */
  identity?: string;
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
  a.nas === b.nas && a.nasPortId === b.nasPortId && a.state === b.state && a.accept === b.accept && a.vlan === b.vlan && a.profile === b.profile && a.reason === b.reason && a.identity === b.identity;

type Row = Record<string, string | number | null>;
const opt = <T>(v: T | null): T | undefined => (v === null ? undefined : v);

export class NacStore {
  /** Each device's newest decision record written by this process: its id and what it said. */
  private readonly latest = new Map<string, { id: number; d: NewDecision }>();

  constructor(private readonly sql: Sql) {}

  /** Appends decisions; one that repeats the device's newest record adds to that record's count. */
  saveDecisions(list: readonly NewDecision[]): void {
    try {
      this.writeDecisions(list);
    } catch (e) {
      // Records this transaction made are gone with it: a repeat must not count on them.
      this.latest.clear();
      throw e;
    }
  }

  private writeDecisions(list: readonly NewDecision[]): void {
    this.sql.transaction(() => {
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
        const id = this.sql.column<number>(`INSERT INTO nac_decisions (at, last_at, count, site, mac, nas, nas_port_id, state, accept, vlan, profile, reason, identity)
          VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, new Date(d.atMs).toISOString(), new Date(lastAtMs).toISOString(), n, d.site, d.mac, d.nas,
          d.nasPortId ?? null, d.state, d.accept ? 1 : 0, d.vlan ?? null, d.profile ?? null, d.reason, d.identity ?? null)[0];
        if (this.latest.size >= 1_000_000) this.latest.clear();
        this.latest.set(key, { id, d });
      }
      for (const [id, r] of repeats) this.sql.run(`UPDATE nac_decisions SET count = count + ?, last_at = ? WHERE id = ?`, r.n, new Date(r.atMs).toISOString(), id);
    });
  }

  /** A device's decisions, newest first (all devices when `mac` is undefined). */
  /** The VLAN of each MAC's latest RADIUS decision that named one, by "SITE MAC". */
  vlans(): Map<string, string> {
    const rows = this.sql.all<Row>(`SELECT d.site, d.mac, d.vlan FROM nac_decisions d
      JOIN (SELECT site, mac, MAX(id) AS id FROM nac_decisions WHERE vlan IS NOT NULL GROUP BY site, mac) m ON d.id = m.id`);
    return new Map(rows.map((r) => [`${r.site as string} ${r.mac as string}`, r.vlan as string]));
  }

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
    const rows = this.sql.all<Row>(`SELECT * FROM nac_decisions ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY id DESC LIMIT ?`, ...args, o.limit ?? 100);
    return rows.map((r) => ({
      at: r.at as string, lastAt: r.last_at as string, count: r.count as number, site: r.site as string, mac: r.mac as string, nas: r.nas as string, nasPortId: opt(r.nas_port_id as string | null),
      state: r.state as string, accept: r.accept === 1, vlan: opt(r.vlan as string | null), profile: opt(r.profile as string | null), reason: r.reason as string,
      ...(r.identity === null || r.identity === undefined ? {} : { identity: r.identity as string }),
    }));
  }

  /** Forgets decisions older than `before` (ISO time); returns how many went. */
  pruneDecisions(before: string): number {
    this.latest.clear();
    return this.sql.run(`DELETE FROM nac_decisions WHERE last_at < ?`, before);
  }

  /** Upserts sessions; on the same NAS, a field a new record leaves out keeps its stored value. */
  saveSessions(list: readonly StoredSession[]): void {
    const keep = (col: string): string => `${col} = CASE WHEN excluded.nas = nac_sessions.nas THEN COALESCE(excluded.${col}, nac_sessions.${col}) ELSE excluded.${col} END`;
    this.sql.insertMany("nac_sessions", ["site", "mac", "nas", "nas_ip", "nas_port", "nas_port_id", "calling_station_id", "user_name", "audit_session_id", "acct_session_id", "ip", "status", "last_at"],
      list.map((s) => [s.site, s.mac, s.nas, s.nasIp, s.nasPort ?? null, s.nasPortId ?? null, s.callingStationId ?? null, s.userName ?? null, s.auditSessionId ?? null,
        s.acctSessionId ?? null, s.ip ?? null, s.status, s.lastAt]),
      `ON CONFLICT (site, mac) DO UPDATE SET
        ${["nas_port", "nas_port_id", "calling_station_id", "user_name", "audit_session_id", "acct_session_id", "ip"].map(keep).join(",\n        ")},
        nas = excluded.nas, nas_ip = excluded.nas_ip, status = excluded.status, last_at = excluded.last_at`);
  }

  sessions(): StoredSession[] {
    return this.sql.all<Row>(`SELECT * FROM nac_sessions ORDER BY site, mac`).map(sessionOf);
  }

  session(site: string, mac: string): StoredSession | undefined {
    const r = this.sql.get<Row>(`SELECT * FROM nac_sessions WHERE site = ? AND mac = ?`, site, mac);
    return r ? sessionOf(r) : undefined;
  }

  /** Puts a device in quarantine; a device already in quarantine keeps its first record (returned). */
  quarantine(q: Omit<StoredQuarantine, "id">): { record: StoredQuarantine; created: boolean } {
    const current = this.activeQuarantine(q.site, q.mac);
    if (current) return { record: current, created: false };
    const id = this.sql.column<number>(`INSERT INTO quarantines (site, mac, since, set_by, reason, response_id) VALUES (?, ?, ?, ?, ?, ?) RETURNING id`,
      q.site, q.mac, q.since, q.by, q.reason, q.responseId ?? null)[0];
    return { record: { ...q, id }, created: true };
  }

  /** Ends a device's quarantine; undefined when it was not in quarantine. */
  release(site: string, mac: string, by: string, at: string, note: string): StoredQuarantine | undefined {
    const current = this.activeQuarantine(site, mac);
    if (!current) return undefined;
    this.sql.run(`UPDATE quarantines SET released_at = ?, released_by = ?, release_note = ? WHERE id = ?`, at, by, note, current.id);
    return { ...current, releasedAt: at, releasedBy: by, releaseNote: note };
  }

  activeQuarantine(site: string, mac: string): StoredQuarantine | undefined {
    const r = this.sql.get<Row>(`SELECT * FROM quarantines WHERE site = ? AND mac = ? AND released_at IS NULL ORDER BY id LIMIT 1`, site, mac);
    return r ? quarantineOf(r) : undefined;
  }

  /** Quarantines, oldest first: the active ones, or all with their releases. */
  quarantines(all = false): StoredQuarantine[] {
    return this.sql.all<Row>(`SELECT * FROM quarantines ${all ? "" : "WHERE released_at IS NULL"} ORDER BY id`).map(quarantineOf);
  }

  saveResponse(r: ResponseRecord): void {
    this.sql.run(`INSERT INTO responses (id, site, mac, alert_id, trigger, status, created_at, updated_at, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (id) DO UPDATE SET status = excluded.status, updated_at = excluded.updated_at, body = excluded.body`,
      r.id, r.site, r.mac, r.alertId ?? null, r.trigger, r.status, r.createdAt, r.updatedAt, JSON.stringify(r));
  }

  response(id: string): ResponseRecord | undefined {
    const r = this.sql.get<{ body: string }>(`SELECT body FROM responses WHERE id = ?`, id);
    return r ? (JSON.parse(r.body) as ResponseRecord) : undefined;
  }

  /** The responses whose id starts with `prefix` (hex), at most `limit`. */
  responsesByPrefix(prefix: string, limit = 2): ResponseRecord[] {
    // A range, not LIKE: the same on both engines and it uses the key (ids are hex, all below "g").
    return this.sql.column<string>(`SELECT body FROM responses WHERE id >= ? AND id < ? ORDER BY id LIMIT ?`, prefix, `${prefix}g`, limit).map((b) => JSON.parse(b) as ResponseRecord);
  }

  /** Responses, newest first. */
  responses(limit = 200): ResponseRecord[] {
    return this.sql.column<string>(`SELECT body FROM responses ORDER BY created_at DESC, id LIMIT ?`, limit).map((b) => JSON.parse(b) as ResponseRecord);
  }

  /** Whether an alert already has a response (an alert read again starts none). */
  hasResponseFor(alertId: string): boolean {
    return this.sql.column(`SELECT 1 FROM responses WHERE alert_id = ? LIMIT 1`, alertId).length > 0;
  }
  /** Records a move; one that waits supersedes the device's earlier waiting move under the policy. */
  addMove(m: Omit<StoredMove, "id">): StoredMove {
    return this.sql.transaction(() => {
      this.sql.run(`UPDATE nac_moves SET status = 'superseded', decided_at = ? WHERE site = ? AND mac = ? AND policy_id = ? AND status = 'pending'`, m.at, m.site, m.mac, m.policyId);
      const id = this.sql.column<number>(`INSERT INTO nac_moves (at, site, mac, policy_id, from_group, to_group, rights, status, reason, decided_by, decided_at, enacted_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, m.at, m.site, m.mac, m.policyId, m.from ?? null, m.to, m.rights, m.status, m.reason,
        m.decidedBy ?? null, m.decidedAt ?? null, m.enactedAt ?? null)[0];
      return { ...m, id };
    });
  }

  /** Ends a device's waiting move without a person (its verdict went back). */
  supersedeWaiting(site: string, mac: string, policyId: number, at: string): void {
    this.sql.run(`UPDATE nac_moves SET status = 'superseded', decided_at = ? WHERE site = ? AND mac = ? AND policy_id = ? AND status = 'pending'`, at, site, mac, policyId);
  }

  /** Under a policy: each device's group from its newest applied or approved move. */
  groupsInForce(policyId: number): Map<string, string> {
    const rows = this.sql.rows<[string, string, string]>(`SELECT m.site, m.mac, m.to_group FROM nac_moves m
      JOIN (SELECT max(id) AS id FROM nac_moves WHERE policy_id = ? AND status IN ('applied', 'approved') GROUP BY site, mac) l ON l.id = m.id`, policyId);
    return new Map(rows.map(([site, mac, g]) => [`${site} ${mac}`, g]));
  }

  /**
   * Under a policy, by "site mac": each device's newest move when it waits for a person or a
   * person refused it (a refused move is not proposed again under the same policy).
   */
  waitingMoves(policyId: number): Map<string, StoredMove> {
    const rows = this.sql.all<Row>(`SELECT m.* FROM nac_moves m JOIN (SELECT max(id) AS id FROM nac_moves WHERE policy_id = ? GROUP BY site, mac) l ON l.id = m.id
      WHERE m.status IN ('pending', 'rejected') ORDER BY m.id`, policyId);
    return new Map(rows.map((r) => [`${r.site} ${r.mac}`, moveOf(r)]));
  }

  /** Approved moves the NAC table took but that no CoA has followed yet. */
  unenacted(): StoredMove[] {
    return this.sql.all<Row>(`SELECT * FROM nac_moves WHERE status IN ('applied', 'approved') AND enacted_at IS NULL ORDER BY id`).map(moveOf);
  }

  markEnacted(id: number, at: string): void {
    this.sql.run(`UPDATE nac_moves SET enacted_at = ? WHERE id = ?`, at, id);
  }

  move(id: number): StoredMove | undefined {
    const r = this.sql.get<Row>(`SELECT * FROM nac_moves WHERE id = ?`, id);
    return r ? moveOf(r) : undefined;
  }

  /** Moves, newest first: all, or those with a status. */
  moves(o: { status?: StoredMove["status"]; limit?: number } = {}): StoredMove[] {
    const rows = o.status
      ? this.sql.all<Row>(`SELECT * FROM nac_moves WHERE status = ? ORDER BY id DESC LIMIT ?`, o.status, o.limit ?? 1000)
      : this.sql.all<Row>(`SELECT * FROM nac_moves ORDER BY id DESC LIMIT ?`, o.limit ?? 1000);
    return rows.map(moveOf);
  }

  /** A person's decision on a waiting move: approved (it takes effect at the next table) or rejected. */
  decideMove(id: number, status: "approved" | "rejected", by: string, at: string): StoredMove {
    const changed = this.sql.run(`UPDATE nac_moves SET status = ?, decided_by = ?, decided_at = ? WHERE id = ? AND status = 'pending'`, status, by, at, id);
    if (changed !== 1) throw new Error(`move ${id} is not waiting for a decision`);
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
