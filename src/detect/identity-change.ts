import type { DetectionEngine } from "./engine.js";
import { type Inventory, ownAddresses } from "../inventory/inventory.js";

/**
 * A device that no longer looks like itself in this run: the inventory's identity score
 * (inventory/identity.ts: DHCP client, TCP/IP stack, TLS, user agent, names, OT identity)
 * passed its threshold and left an identity.change fact with a count not yet stored. Above all
 * for a device admitted by MAC alone: a spoofed MAC or a swapped device.
 */
export function raiseIdentityChanges(engine: DetectionEngine, inventory: Inventory): void {
  for (const d of inventory.devices.values()) {
    for (const f of d.facts.get("identity.change")?.values() ?? []) {
      if (f.count <= f.savedCount) continue;
      engine.book.raise({
        detector: "identity-change", class: "identity-change", severity: "medium", technique: "T1036", site: d.site,
        source: ownAddresses(d)[0] ?? d.mac, sourceMac: d.mac, title: `${d.mac ?? d.ipKey} no longer looks like itself: ${f.value} (a spoofed MAC, or a replaced device)`,
        tsUs: f.lastUs, count: f.count - f.savedCount, packet: { source: f.evidence.source, packet: f.evidence.packet, tsUs: f.evidence.tsUs },
        observation: `identity.change=${f.value}`,
      });
    }
  }
}
