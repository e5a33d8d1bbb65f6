import { speaksOt } from "../classify/classify.js";
import { type Category, type Criticality, defaultCriticality } from "../classify/taxonomy.js";
import { addressesOf, deviceView } from "../inventory/view.js";
import type { DeviceRowRecord, StoredDevice, StoredOverride, StoredVerdict, VerdictSummary } from "../store/store.js";

/** What a device is, as everything downstream acts on it: a person's override first, then the settled verdict, then the defaults. */
export interface Classification {
  category: Category;
  criticality: Criticality;
  vendor?: string;
  model?: string;
  firmware?: string;
  /** The verdict's confidence (0 without one). */
  confidence: number;
  evidence: unknown[];
  override?: StoredOverride;
  /** The device's own addresses, as shown. */
  addresses: string[];
}

/**
 * The effective classification of a stored device (a listed row's is the same: it reads the
 * facts' kinds and the addresses; a verdict without its evidence gives none).
 */
export function classificationOf(d: DeviceRowRecord, verdict: VerdictSummary & { evidence?: unknown[] } | undefined, override?: StoredOverride): Classification {
  const category = (override?.category ?? verdict?.category ?? "unknown") as Category;
  return {
    category,
    criticality: (override?.criticality as Criticality | undefined) ?? defaultCriticality(category, speaksOt(d.facts.map((f) => f.kind))),
    vendor: verdict?.vendor, model: verdict?.model, firmware: verdict?.firmware,
    confidence: verdict?.confidence ?? 0, evidence: verdict?.evidence ?? [], override, addresses: addressesOf(d),
  };
}

/**
 * A device as the commands print it: what the traffic showed, the settled verdict (the
 * classifier's newest accepted one), and a person's override where there is one.
 */
export function classifiedView(d: StoredDevice, verdict: StoredVerdict | undefined, override?: StoredOverride): Record<string, unknown> {
  return viewOf(d, classificationOf(d, verdict, override));
}

/** `classifiedView` of a device whose classification is at hand. */
export function viewOf(d: StoredDevice, c: Classification, identity?: { strength: string; why: string }): Record<string, unknown> {
  const override = c.override;
  return {
    ...deviceView(d),
    category: c.category,
    vendor: c.vendor ?? null,
    model: c.model ?? null,
    firmware: c.firmware ?? null,
    confidence: c.confidence,
    criticality: c.criticality,
    ...(identity ? { identity: identity.strength, identity_reason: identity.why } : {}),
    evidence: c.evidence,
    ...(override ? { override: { category: override.category, criticality: override.criticality, reason: override.reason, set_by: override.setBy, set_at: override.setAt } } : {}),
  };
}
