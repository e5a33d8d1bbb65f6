import type { SessionIds } from "../store/nac.js";

/**
 * Where each MAC is attached: the NAS and port from its last Access-Request and accounting,
 * with the identifiers a CoA needs to name the session (Cisco's audit-session-id, the
 * Calling-Station-Id as the NAS spelled it, Acct-Session-Id). Bounded: the least recently
 * seen session goes first.
 */
export interface NacSession extends SessionIds {
  status: "authorized" | "started" | "stopped";
  lastMs: number;
}

/** A session and when it last moved to the young end of the eviction order. */
interface Entry {
  s: NacSession;
  movedMs: number;
}

export class SessionTable {
  private readonly map = new Map<string, Entry>();
  constructor(private readonly max = 200_000) {}

  get size(): number {
    return this.map.size;
  }

  get(site: string, mac: string): NacSession | undefined {
    return this.map.get(`${site} ${mac}`)?.s;
  }

  /**
   * Merges what a request says of a session into what is known (fields it does not carry are
   * kept). A session moves to the young end of the eviction order at most once a second, so
   * a port re-authenticating many times a second costs one move.
   */
  update(s: NacSession): NacSession {
    const k = `${s.site} ${s.mac}`;
    const e = this.map.get(k);
    if (e && e.s.nas === s.nas) {
      // In place: a session is updated at every request, and most fields stay as they were.
      const old = e.s;
      old.nasIp = s.nasIp;
      if (s.nasPort !== undefined) old.nasPort = s.nasPort;
      if (s.nasPortId !== undefined) old.nasPortId = s.nasPortId;
      if (s.callingStationId !== undefined) old.callingStationId = s.callingStationId;
      if (s.userName !== undefined) old.userName = s.userName;
      if (s.auditSessionId !== undefined) old.auditSessionId = s.auditSessionId;
      if (s.acctSessionId !== undefined) old.acctSessionId = s.acctSessionId;
      if (s.ip !== undefined) old.ip = s.ip;
      old.status = s.status;
      old.lastMs = s.lastMs;
      if (s.lastMs - e.movedMs >= 1000 || s.lastMs < e.movedMs) {
        e.movedMs = s.lastMs;
        this.map.delete(k);
        this.map.set(k, e);
      }
      return old;
    }
    this.map.delete(k);
    this.map.set(k, { s, movedMs: s.lastMs });
    if (this.map.size > this.max) this.map.delete(this.map.keys().next().value!);
    return s;
  }

  all(): NacSession[] {
    return [...this.map.values()].map((e) => e.s);
  }
}
