import type { Logger } from "pino";
import type { DecisionEvent } from "../nac/radius-server.js";

/** MACs whose last decision is remembered; past it the oldest are forgotten (their next decision is told again). */
const REMEMBERED = 200_000;
/** A kind of refusal (reason, NAS or address) is told at most once per this many ms, with the count since. */
const TELL_EVERY_MS = 60_000;

/**
 * What the RADIUS thread tells the log: a line when a MAC's answer changes (state, VLAN,
 * accept), not one per request; dropped and rejected requests at warn with their reason,
 * at most once a minute per reason and NAS (or source address), with how many there were.
 */
export class RadiusLog {
  private readonly last = new Map<string, string>();
  private readonly told = new Map<string, { atMs: number; unsaid: number }>();

  constructor(private readonly log: Logger, private readonly now: () => number = Date.now) {}

  decision(e: DecisionEvent): void {
    const key = `${e.site} ${e.mac}`;
    const answer = `${e.state} ${e.vlan ?? ""} ${e.accept}`;
    if (!e.accept) this.refused(`reject ${e.state} ${e.nas}`, () => ({ site: e.site, mac: e.mac, nas: e.nas, nasPortId: e.nasPortId, state: e.state, reason: e.reason }), "RADIUS request rejected");
    if (this.last.get(key) === answer) return;
    this.last.delete(key);
    this.last.set(key, answer);
    if (this.last.size > REMEMBERED) this.last.delete(this.last.keys().next().value as string);
    this.log.info({ site: e.site, mac: e.mac, nas: e.nas, nasPortId: e.nasPortId, state: e.state, vlan: e.vlan, accept: e.accept, reason: e.reason }, "RADIUS decision changed");
  }

  dropped(reason: string, address: string, nas: string | undefined): void {
    this.refused(`drop ${reason} ${nas ?? address}`, () => ({ reason, from: address, nas }), "RADIUS request dropped");
  }

  private refused(key: string, fields: () => Record<string, unknown>, msg: string): void {
    const now = this.now();
    const t = this.told.get(key);
    if (t && now - t.atMs < TELL_EVERY_MS) {
      t.unsaid++;
      return;
    }
    this.log.warn({ ...fields(), ...(t && t.unsaid > 0 ? { alsoSince: t.unsaid } : {}) }, msg);
    this.told.set(key, { atMs: now, unsaid: 0 });
    // Keys are few (reasons × NASes); an address flood of unknown sources is bounded all the same.
    if (this.told.size > 10_000) this.told.delete(this.told.keys().next().value as string);
  }
}
