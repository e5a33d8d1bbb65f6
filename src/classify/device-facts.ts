import { hostnames } from "../inventory/view.js";
import type { StoredDevice } from "../store/sqlite.js";
import type { DeviceFacts } from "./classify.js";

/** The classifier's view of a stored device. */
export function deviceFacts(d: StoredDevice): DeviceFacts {
  const facts = new Map<string, string[]>();
  for (const f of d.facts) {
    const list = facts.get(f.kind);
    if (list) list.push(f.value);
    else facts.set(f.kind, [f.value]);
  }
  return { ouiVendor: d.ouiVendor, router: d.router, hostnames: hostnames(d), facts };
}
