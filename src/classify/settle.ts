import type { Verdict } from "./classify.js";

/** The parts of a stored verdict that settling compares. */
export interface CurrentVerdict {
  category: string;
  vendor?: string;
  model?: string;
  firmware?: string;
  confidence: number;
}

/**
 * Whether a fresh verdict replaces the current one. A change of category needs stronger
 * evidence than the current verdict had (no flapping between, say, workstation and game
 * console as evidence trickles in); within the same category, new vendor, model or firmware
 * details are taken. Pure.
 */
export function shouldReplace(current: CurrentVerdict | undefined, fresh: Verdict): boolean {
  if (!current) return true;
  if (fresh.category !== current.category) return fresh.category !== "unknown" && fresh.confidence > current.confidence;
  return (fresh.vendor ?? undefined) !== (current.vendor ?? undefined)
    || (fresh.model ?? undefined) !== (current.model ?? undefined)
    || (fresh.firmware ?? undefined) !== (current.firmware ?? undefined);
}
