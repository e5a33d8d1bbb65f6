import type { Store } from "../store/sqlite.js";
import { classify } from "./classify.js";
import { deviceFacts } from "./device-facts.js";
import type { CompiledRule } from "./rules.js";
import { shouldReplace } from "./settle.js";

/**
 * Classifies every stored device and keeps a new verdict only where it should replace the
 * current one (see settle.ts), so the history of verdicts shows each real change once.
 * Returns how many verdicts were written.
 */
export function settleVerdicts(store: Store, rules: readonly CompiledRule[], nowUs: number): number {
  const current = store.latestVerdicts();
  const changed: Parameters<Store["saveVerdicts"]>[0] = [];
  for (const d of store.devices()) {
    const fresh = classify(deviceFacts(d), rules);
    if (!shouldReplace(current.get(d.id), fresh)) continue;
    changed.push({
      deviceId: d.id,
      verdict: {
        category: fresh.category, vendor: fresh.vendor, model: fresh.model, firmware: fresh.firmware,
        confidence: fresh.confidence, evidence: fresh.evidence, decidedUs: nowUs,
      },
    });
  }
  store.saveVerdicts(changed);
  return changed.length;
}
