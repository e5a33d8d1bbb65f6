/**
 * The evidence name of a category that the behavioural model gave (classify/decide.ts puts it
 * first in the verdict's evidence). Such a category is a guess from how a device behaved,
 * which anyone on the wire can imitate: it never changes a device's network access by itself.
 */
export const BEHAVIOUR_EVIDENCE = "behaviour-model";

/** How a stored verdict's evidence (JSON) begins when its category rests on the behavioural model alone. */
export const BEHAVIOUR_EVIDENCE_PREFIX = JSON.stringify([{ rule: BEHAVIOUR_EVIDENCE }]).slice(0, -2);
