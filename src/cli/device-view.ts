import { speaksOt } from "../classify/classify.js";
import { type Category, defaultCriticality } from "../classify/taxonomy.js";
import { deviceView } from "../inventory/view.js";
import type { StoredDevice, StoredOverride, StoredVerdict } from "../store/sqlite.js";

/**
 * A device as the commands print it: what the traffic showed, the settled verdict (the
 * classifier's newest accepted one), and a person's override where there is one.
 */
export function classifiedView(d: StoredDevice, verdict: StoredVerdict | undefined, override?: StoredOverride): Record<string, unknown> {
  const category = (override?.category ?? verdict?.category ?? "unknown") as Category;
  return {
    ...deviceView(d),
    category,
    vendor: verdict?.vendor ?? null,
    model: verdict?.model ?? null,
    firmware: verdict?.firmware ?? null,
    confidence: verdict?.confidence ?? 0,
    criticality: override?.criticality ?? defaultCriticality(category, speaksOt(d.facts.map((f) => f.kind))),
    evidence: verdict?.evidence ?? [],
    ...(override ? { override: { category: override.category, criticality: override.criticality, reason: override.reason, set_by: override.setBy, set_at: override.setAt } } : {}),
  };
}
