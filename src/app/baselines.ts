import { type BaselineOptions, buildBaselines } from "../baseline/baseline.js";
import type { Store } from "../store/store.js";
import { learnDevices } from "./site-devices.js";

/** Baselines of one site from the stored inventory and flows. */
export function storeBaselines(store: Store, site: string, o: BaselineOptions = {}): ReturnType<typeof buildBaselines> {
  const flows = store.flowGroups(site);
  return buildBaselines(learnDevices(store, site, flows), flows, o);
}
