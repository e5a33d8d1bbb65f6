/**
 * Where each MAC is attached: the NAS and port from its last Access-Request and accounting,
 * with the identifiers a CoA needs to name the session (Cisco's audit-session-id, the
 * Calling-Station-Id as the NAS spelled it, Acct-Session-Id). Bounded: the least recently
 * seen session goes first.
 */
export interface NacSession {
  site: string;
  mac: string;
  nas: string;
  /** The address the NAS sent from: where CoA goes. */
  nasIp: string;
  nasPort?: number;
  nasPortId?: string;
  callingStationId?: string;
  userName?: string;
  auditSessionId?: string;
  acctSessionId?: string;
  ip?: string;
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
    const merged: NacSession = old && old.nas === s.nas ? { ...old, ...definedOnly(s) } : s;
    this.map.delete(k);
    this.map.set(k, merged);
    if (this.map.size > this.max) this.map.delete(this.map.keys().next().value!);
    return merged;
  }

  all(): NacSession[] {
    return [...this.map.values()];
  }
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
