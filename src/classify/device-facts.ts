import { MIN_BEHAVIOUR_FLOWS } from "../flows/behaviour.js";
import type { Device } from "../inventory/device.js";
import { type FactList, hostnames } from "../inventory/view.js";
import type { DeviceFacts } from "./classify.js";

/** The classifier's view of a device, stored or in memory. */
export function deviceFacts(d: FactList & { ouiVendor?: string | null; router: boolean }): DeviceFacts {
  const facts = new Map<string, string[]>();
  for (const f of d.facts) {
    const list = facts.get(f.kind);
    if (list) list.push(f.value);
    else facts.set(f.kind, [f.value]);
  }
  return { ouiVendor: d.ouiVendor, router: d.router, hostnames: hostnames(d), facts };
}

/**
 * An in-memory device as the classifier reads it, and whether its flows were measured from
 * packets (flow records, NetFlow, IPFIX or Zeek conn, can be forged: behaviour is judged on
 * measured flows only). A measured device's wake-and-sleep pattern is the derived attribute
 * `duty_cycle` that rules read.
 */
export function inMemoryFacts(d: Device): { facts: DeviceFacts; measured: boolean } {
  const facts = deviceFacts({ facts: d.factList(), ouiVendor: d.ouiVendor, router: d.router });
  const measured = d.behaviour !== undefined && d.behaviour.flows - d.behaviour.recordFlows >= MIN_BEHAVIOUR_FLOWS;
  const duty = measured && !d.router ? d.behaviour?.dutyCycle() : undefined;
  if (duty !== undefined) facts.facts.set("duty_cycle", [duty]);
  return { facts, measured };
}
