import type { Store } from "../store/store.js";
import { InputError } from "./errors.js";

/** A person acknowledges, resolves or reopens an alert, named by its id or a unique prefix of it; `by` is recorded with the time. */
export function moveAlert(store: Store, id: string, status: "acknowledged" | "resolved" | "open", by: string, note?: string): void {
  const match = store.alerts().filter((a) => a.id.startsWith(id));
  if (match.length !== 1) throw new InputError(match.length === 0 ? `no alert ${id}` : `${id} names ${match.length} alerts: give more of the id`);
  store.setAlertStatus(match[0].id, status, by, new Date().toISOString(), note);
}
