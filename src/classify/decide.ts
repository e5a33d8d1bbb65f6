import { type DeviceFacts, type Verdict, classify, speaksOt } from "./classify.js";
import { type BehaviourModel, predict } from "./model.js";
import type { CompiledRule } from "./rules.js";
import { defaultCriticality, type Category } from "./taxonomy.js";
import { BEHAVIOUR_EVIDENCE } from "../model/verdict-evidence.js";

/**
 * The model names a category only above this probability; below it the device stays
 * "unknown" (a guess is worse than an honest unknown: policy and alerts build on it).
 */
export const MODEL_MIN_PROBABILITY = 0.7;

/**
 * A device's verdict: the fingerprint rules first; only when they find no category does the
 * behavioural model speak, and then only for the category (vendor, model and firmware come
 * from what the device said, never from how it behaved). Pure.
 */
export function decide(d: DeviceFacts, rules: readonly CompiledRule[], behaviour?: readonly number[], model?: BehaviourModel): Verdict {
  return withBehaviour(classify(d, rules), d, behaviour, model);
}

/**
 * The rules' verdict, given a category by the behavioural model when the rules found none, the
 * model is sure, and the device's behaviour lies within what the model learned from. Pure.
 */
export function withBehaviour(byRules: Verdict, d: DeviceFacts, behaviour?: readonly number[], model?: BehaviourModel): Verdict {
  if (byRules.category !== "unknown" || !model || !behaviour) return byRules;
  const p = predict(model, behaviour);
  if (p.probability < MODEL_MIN_PROBABILITY || p.unfamiliar) return byRules;
  const category = p.category as Category;
  const confidence = Math.round(p.probability * 100) / 100;
  return {
    ...byRules,
    category,
    confidence,
    criticality: defaultCriticality(category, speaksOt(d.facts.keys())),
    evidence: [
      {
        rule: BEHAVIOUR_EVIDENCE,
        weight: confidence,
        supports: category,
        facts: p.because.map((b) => ({ kind: `behaviour.${b.feature}`, value: String(b.value) })),
      },
      ...byRules.evidence,
    ],
  };
}

/** True when a verdict's category rests on the behavioural model alone, not on what the device said. */
export function categoryFromBehaviour(evidence: readonly unknown[] | undefined): boolean {
  const first = evidence?.[0] as { rule?: unknown } | undefined;
  return first?.rule === BEHAVIOUR_EVIDENCE;
}
