import type { Inventory } from "../inventory/inventory.js";
import type { Store } from "../store/store.js";
import { type Verdict, classify } from "./classify.js";
import { withBehaviour } from "./decide.js";
import { inMemoryFacts } from "./device-facts.js";
import type { BehaviourModel } from "./model.js";
import type { CompiledRule } from "./rules.js";
import { shouldReplace } from "./settle.js";
import { fromSiblings, setupFingerprint } from "./setup.js";

/**
 * Classifies every device of the inventory (loaded from the store and saved back, so it holds
 * everything known) and keeps a new verdict only where it should replace the current one (see
 * settle.ts), so the history of verdicts shows each real change once. Devices the rules leave
 * without a category are judged by the behaviour of their flows in this run, when a model is
 * given; those still without one take the kind of an identified sibling (by rules, or by a
 * person) that set up alike (setup.ts).
 * Returns how many verdicts were written.
 */
export function settleVerdicts(store: Store, inventory: Inventory, rules: readonly CompiledRule[], nowUs: number, model?: BehaviourModel): number {
  const current = store.latestVerdicts();
  const overrides = store.overrides();
  const judged: { id: number; key: string; site: string; fingerprint?: string; fresh: Verdict; overridden?: Verdict }[] = [];
  for (const d of inventory.devices.values()) {
    const id = d.storeId;
    if (id === undefined) continue;
    // The model judges only devices whose flows Cordon measured from packets: flow records
    // (NetFlow, IPFIX, Zeek conn) can be forged, and a verdict moves a device out of onboarding.
    const { facts, measured } = inMemoryFacts(d);
    const byRules = classify(facts, rules);
    const behaviour = model && !d.router && byRules.category === "unknown" && measured ? d.behaviour?.vector() : undefined;
    const fresh = withBehaviour(byRules, facts, behaviour, model);
    const category = overrides.get(id)?.category as Verdict["category"] | undefined;
    judged.push({ id, key: d.mac ?? d.ipKey ?? String(id), site: d.site, fingerprint: d.router ? undefined : setupFingerprint(d), fresh, overridden: category ? { ...fresh, category } : undefined });
  }
  // A device that set up as an identified sibling did (rules, or a person) is of its kind.
  const bySibling = fromSiblings(judged.map((j) => ({ key: j.key, site: j.site, fingerprint: j.fingerprint, verdict: j.overridden ?? j.fresh })));
  const changed: Parameters<Store["saveVerdicts"]>[0] = [];
  for (const j of judged) {
    const fresh = j.overridden ? j.fresh : bySibling.get(j.key) ?? j.fresh;
    if (!shouldReplace(current.get(j.id), fresh)) continue;
    changed.push({
      deviceId: j.id,
      verdict: {
        category: fresh.category, vendor: fresh.vendor, model: fresh.model, firmware: fresh.firmware,
        confidence: fresh.confidence, evidence: fresh.evidence, decidedUs: nowUs,
      },
    });
  }
  store.saveVerdicts(changed);
  return changed.length;
}
