import { type FactList, hostnames } from "../inventory/view.js";
import type { DeviceFacts } from "./classify.js";

/** The classifier's view of a device, stored or in memory. */
export function deviceFacts(d: FactList & { ouiVendor?: string | null; router: boolean }): DeviceFacts {
  const facts = new Map<string, string[]>();
  for (const f of d.facts) {
    const list = facts.get(f.kind);
    if (list) list.push(f.value);
    else facts.set(f.kind, [f.value]);
  }
  return { ouiVendor: d.ouiVendor, router: d.router, hostnames: hostnames(d), facts };
}
