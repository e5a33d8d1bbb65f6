import { canonicalIp } from "../model/values.js";
import type { Store, StoredAlert } from "../store/store.js";
import { type Actor, recordChange } from "./actor.js";
import { InputError } from "./errors.js";
import { checkOneOf } from "./queries.js";
import { ALERT_DETECTORS } from "../detect/registry.js";

/** No stored alert has the id asked for (the HTTP API answers it with 404). */
export class NoSuchAlert extends InputError {}

/** The alert an id, or a unique prefix of it (at least 4 characters), names. */
export function findAlert(store: Store, id: string): StoredAlert {
  if (!/^[0-9a-z-]{4,64}$/.test(id)) throw new InputError(`"${id.slice(0, 64)}" is not an alert id (cordon alerts shows them; 4 characters or more)`);
  const match = store.alertsByPrefix(id, 2);
  if (match.length === 0) throw new NoSuchAlert(`no alert ${id}`);
  if (match.length > 1) throw new InputError(`${id} names more than one alert: give more of the id`);
  return match[0];
}

/** A person acknowledges, resolves or reopens an alert, named by its id or a unique prefix of it; `by` is recorded with the time. */
export function moveAlert(store: Store, id: string, status: "acknowledged" | "resolved" | "open", by: Actor, note?: string): StoredAlert {
  const alert = findAlert(store, id);
  store.setAlertStatus(alert.id, status, by.name, new Date().toISOString(), note);
  recordChange(store, by, { action: `alert.${status === "acknowledged" ? "ack" : status === "resolved" ? "resolve" : "reopen"}`, target: `alert ${alert.id}`, detail: note ?? "" });
  return alert;
}

/** Silences the alerts it matches from now on (kept, marked suppressed): every given field must match. */
export function addSuppression(store: Store, by: Actor, given: { device?: string; detector?: string; peer?: string; reason: string; expires?: string }, now = Date.now()): number {
  const { expires, ...rest } = given;
  const s = { ...rest, expiresAt: expires === undefined ? undefined : expiryTime(expires, now) };
  if (!s.reason) throw new InputError("a suppression says why: it needs a reason");
  if (!s.device && !s.detector && !s.peer) throw new InputError("a suppression needs at least one of device, detector, peer");
  checkOneOf("detector", s.detector, ALERT_DETECTORS);
  const id = store.addSuppression({ ...s, createdBy: by.name, createdAt: new Date().toISOString() });
  recordChange(store, by, { action: "suppress.add", target: `suppression ${id}`,
    detail: [s.device && `device ${s.device}`, s.detector && `detector ${s.detector}`, s.peer && `peer ${s.peer}`, s.expiresAt && `expires ${s.expiresAt}`, s.reason].filter(Boolean).join("; ") });
  return id;
}

export function removeSuppression(store: Store, by: Actor, id: number): void {
  if (!Number.isSafeInteger(id) || !store.removeSuppression(id)) throw new InputError(`no suppression ${Number.isFinite(id) ? id : ""}`);
  recordChange(store, by, { action: "suppress.remove", target: `suppression ${id}`, detail: "" });
}

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * When something given "for 7d" or "until 2026-12-24T18:00:00+01:00" ends: a duration (days,
 * hours or minutes, at most a year) from now, or an ISO 8601 time with its zone, in the future.
 */
export function expiryTime(v: string, now = Date.now()): string {
  const m = /^(\d{1,6})([dhm])$/.exec(v);
  const t = m ? now + Number(m[1]) * { d: 86_400_000, h: 3_600_000, m: 60_000 }[m[2] as "d" | "h" | "m"] : ISO_TIME.test(v) ? Date.parse(v) : Number.NaN;
  if (Number.isNaN(t)) throw new InputError(`expires: "${v.slice(0, 40)}" is neither a duration (7d, 12h, 30m) nor an ISO 8601 time with its zone`);
  if (t <= now) throw new InputError("expires: the time has passed");
  if (t > now + 366 * 86_400_000) throw new InputError("expires: at most a year ahead");
  return new Date(t).toISOString();
}

/**
 * Declares when a site (or one OT device in it, by address) is under maintenance; times are
 * ISO 8601 with their zone. Returns the window's id.
 */
export function addMaintenanceWindow(store: Store, by: Actor, w: { site: string; device?: string; from: string; until: string; reason: string }): { id: number; target?: string; startsAt: string; endsAt: string } {
  const time = (v: string, name: string): string => {
    const t = Date.parse(v);
    if (!ISO_TIME.test(v) || Number.isNaN(t)) throw new InputError(`${name} must be an ISO 8601 time with its zone (2026-12-07T06:00:00Z)`);
    return new Date(t).toISOString();
  };
  const startsAt = time(w.from, "from");
  const endsAt = time(w.until, "until");
  if (endsAt <= startsAt) throw new InputError("until must be after from");
  if (!w.reason) throw new InputError("a maintenance window says what work it is for: it needs a reason");
  const target = w.device === undefined ? undefined : canonicalIp(w.device);
  if (w.device !== undefined && target === undefined) throw new InputError(`device: "${w.device}" is not an IP address (OT operations name their target by address)`);
  const id = store.addMaintenanceWindow({ site: w.site, target, startsAt, endsAt, reason: w.reason, createdBy: by.name, createdAt: new Date().toISOString() });
  recordChange(store, by, { action: "maintenance.add", target: `window ${id}`, site: w.site, detail: `${startsAt} - ${endsAt}${target ? ` for ${target}` : ""}: ${w.reason}` });
  return { id, target, startsAt, endsAt };
}
