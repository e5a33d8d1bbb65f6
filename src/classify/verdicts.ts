import type { Inventory } from "../inventory/inventory.js";
import type { Store } from "../store/sqlite.js";
import { classify } from "./classify.js";
import { deviceFacts } from "./device-facts.js";
import type { CompiledRule } from "./rules.js";
import { shouldReplace } from "./settle.js";

/**
 * Classifies every device of the inventory (loaded from the store and saved back, so it holds
 * everything known) and keeps a new verdict only where it should replace the current one (see
 * settle.ts), so the history of verdicts shows each real change once. Returns how many
 * verdicts were written.
 */
export function settleVerdicts(store: Store, inventory: Inventory, rules: readonly CompiledRule[], nowUs: number): number {
  const current = store.latestVerdicts();
  const changed: Parameters<Store["saveVerdicts"]>[0] = [];
  for (const d of inventory.devices.values()) {
    if (d.storeId === undefined) continue;
    const fresh = classify(deviceFacts({ facts: d.factList(), ouiVendor: d.ouiVendor, router: d.router }), rules);
    if (!shouldReplace(current.get(d.storeId), fresh)) continue;
    changed.push({
      deviceId: d.storeId,
      verdict: {
        category: fresh.category, vendor: fresh.vendor, model: fresh.model, firmware: fresh.firmware,
        confidence: fresh.confidence, evidence: fresh.evidence, decidedUs: nowUs,
      },
    });
  }
  store.saveVerdicts(changed);
  return changed.length;
}
