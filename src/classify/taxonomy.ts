/** Device categories (the taxonomy of ../shared/corpus/README.md). */
export const CATEGORIES = [
  "camera", "nvr", "doorbell", "smart-lock", "smart-plug", "smart-light", "sensor", "thermostat", "smart-hub",
  "voice-assistant", "media-player", "smart-tv", "printer", "voip-phone", "access-control", "building-controller",
  "plc", "rtu", "hmi", "engineering-workstation", "protection-relay", "historian", "medical-device",
  "network-infrastructure", "router", "workstation", "server", "mobile", "unknown",
] as const;
export type Category = (typeof CATEGORIES)[number];

/** Criticality classes, highest first: how strict policy and response must be. */
export const CRITICALITY = ["life-safety/physical-process", "sensitive-data", "standard", "low"] as const;
export type Criticality = (typeof CRITICALITY)[number];

/** The strictest tier: devices that move, heat, cool, open, dose or protect something physical (HVAC thermostats too). */
const PHYSICAL: ReadonlySet<Category> = new Set([
  "plc", "rtu", "hmi", "engineering-workstation", "protection-relay", "medical-device", "building-controller", "access-control", "thermostat",
]);
const SENSITIVE: ReadonlySet<Category> = new Set(["camera", "nvr", "doorbell", "smart-lock", "voip-phone", "printer", "historian", "server"]);
const LOW: ReadonlySet<Category> = new Set(["smart-plug", "smart-light", "sensor", "media-player", "smart-tv"]);

/**
 * The default criticality of a category. An unknown device that speaks an OT protocol is
 * treated as physical-process until a person says otherwise.
 */
export function defaultCriticality(category: Category, speaksOt: boolean): Criticality {
  if (PHYSICAL.has(category) || (category === "unknown" && speaksOt)) return "life-safety/physical-process";
  if (SENSITIVE.has(category)) return "sensitive-data";
  if (LOW.has(category)) return "low";
  return "standard";
}
