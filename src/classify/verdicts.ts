import type { Inventory } from "../inventory/inventory.js";
import type { Store } from "../store/sqlite.js";
import { classify } from "./classify.js";
import { withBehaviour } from "./decide.js";
import { inMemoryFacts } from "./device-facts.js";
import type { BehaviourModel } from "./model.js";
import type { CompiledRule } from "./rules.js";
import { shouldReplace } from "./settle.js";

/**
 * Classifies every device of the inventory (loaded from the store and saved back, so it holds
 * everything known) and keeps a new verdict only where it should replace the current one (see
 * settle.ts), so the history of verdicts shows each real change once. Devices the rules leave
 * without a category are judged by the behaviour of their flows in this run, when a model is
 * given.
 * Returns how many verdicts were written.
 */
export function settleVerdicts(store: Store, inventory: Inventory, rules: readonly CompiledRule[], nowUs: number, model?: BehaviourModel): number {
  const current = store.latestVerdicts();
  const changed: Parameters<Store["saveVerdicts"]>[0] = [];
  for (const d of inventory.devices.values()) {
    const id = d.storeId;
    if (id === undefined) continue;
    // The model judges only devices whose flows Cordon measured from packets: flow records
    // (NetFlow, IPFIX, Zeek conn) can be forged, and a verdict moves a device out of onboarding.
    const { facts, measured } = inMemoryFacts(d);
    const byRules = classify(facts, rules);
    const behaviour = model && !d.router && byRules.category === "unknown" && measured ? d.behaviour?.vector() : undefined;
    const fresh = withBehaviour(byRules, facts, behaviour, model);
    if (!shouldReplace(current.get(id), fresh)) continue;
    changed.push({
      deviceId: id,
      verdict: {
        category: fresh.category, vendor: fresh.vendor, model: fresh.model, firmware: fresh.firmware,
        confidence: fresh.confidence, evidence: fresh.evidence, decidedUs: nowUs,
      },
    });
  }
  store.saveVerdicts(changed);
  return changed.length;
}
