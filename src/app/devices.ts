import { CATEGORIES, CRITICALITY } from "../classify/taxonomy.js";
import type { Store } from "../store/store.js";
import { type Actor, recordChange } from "./actor.js";
import { InputError } from "./errors.js";

/**
 * A person's decision about one device (by MAC or address): its category, its criticality
 * class, or both. The classifier keeps learning; what is shown and enforced follows this.
 * Returns the device's MAC (or key).
 */
export function overrideDevice(store: Store, by: Actor, o: { device: string; category?: string; criticality?: string; reason?: string }): string {
  if (o.category === undefined && o.criticality === undefined) throw new InputError("an override needs a category or a criticality");
  if (o.category !== undefined && !(CATEGORIES as readonly string[]).includes(o.category)) throw new InputError(`category must be one of ${CATEGORIES.join(", ")}`);
  if (o.criticality !== undefined && !(CRITICALITY as readonly string[]).includes(o.criticality)) throw new InputError(`criticality must be one of ${CRITICALITY.join(", ")}`);
  const found = store.findDevices(o.device);
  if (found.length !== 1) throw new InputError(`${found.length === 0 ? "no device" : `${found.length} devices`} with MAC or IP ${o.device}`);
  const d = found[0];
  store.setOverride(d.id, { category: o.category, criticality: o.criticality, reason: o.reason, setBy: by.name, setAt: new Date().toISOString() });
  const key = d.mac ?? d.key;
  recordChange(store, by, { action: "override", target: key, site: d.site,
    detail: [o.category && `category ${o.category}`, o.criticality && `criticality ${o.criticality}`, o.reason].filter(Boolean).join("; ") });
  return key;
}
