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

export class SessionTable {
  private readonly map = new Map<string, NacSession>();
  constructor(private readonly max = 200_000) {}

  get size(): number {
    return this.map.size;
  }

  get(site: string, mac: string): NacSession | undefined {
    return this.map.get(`${site} ${mac}`);
  }

  /** Merges what a request says of a session into what is known (fields it does not carry are kept). */
  update(s: NacSession): NacSession {
    const k = `${s.site} ${s.mac}`;
    const old = this.map.get(k);
    if (old && old.nas === s.nas) {
      // In place: a session is updated at every request, and most fields stay as they were.
      for (const f of FIELDS) if (s[f] !== undefined) (old as unknown as Record<string, unknown>)[f] = s[f];
      this.map.delete(k);
      this.map.set(k, old);
      return old;
    }
    this.map.delete(k);
    this.map.set(k, s);
    if (this.map.size > this.max) this.map.delete(this.map.keys().next().value!);
    return s;
  }

  all(): NacSession[] {
    return [...this.map.values()];
  }
}

const FIELDS: (keyof NacSession)[] = ["nasIp", "nasPort", "nasPortId", "callingStationId", "userName", "auditSessionId", "acctSessionId", "ip", "status", "lastMs"];
