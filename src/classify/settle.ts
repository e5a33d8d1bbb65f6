import type { Verdict } from "./classify.js";
import { categoryFromBehaviour } from "./decide.js";

/** The parts of a stored verdict that settling compares. */
export interface CurrentVerdict {
  category: string;
  vendor?: string;
  model?: string;
  firmware?: string;
  confidence: number;
  evidence?: readonly unknown[];
}

/**
 * Whether a fresh verdict replaces the current one. A change of category needs stronger
 * evidence than the current verdict had (no flapping between, say, workstation and game
 * console as evidence trickles in); within the same category, new vendor, model or firmware
 * details are taken. What a device says outranks how it behaves: a category from the rules
 * replaces one the behavioural model gave, whatever the two confidences, and the model never
 * replaces a category the rules gave. Pure.
 */
export function shouldReplace(current: CurrentVerdict | undefined, fresh: Verdict): boolean {
  if (!current) return true;
  if (fresh.category !== current.category) {
    if (fresh.category === "unknown") return false;
    if (current.category === "unknown") return true;
    const currentFromModel = categoryFromBehaviour(current.evidence);
    const freshFromModel = categoryFromBehaviour(fresh.evidence);
    if (currentFromModel !== freshFromModel) return currentFromModel;
    return fresh.confidence > current.confidence;
  }
  return (fresh.vendor ?? undefined) !== (current.vendor ?? undefined)
    || (fresh.model ?? undefined) !== (current.model ?? undefined)
    || (fresh.firmware ?? undefined) !== (current.firmware ?? undefined);
}
