import type { DetectionEngine } from "./engine.js";
import { type Inventory, ownAddresses } from "../inventory/inventory.js";

/**
 * A device the site never had, once the site has an inventory (`siteKnown`: the first capture
 * of a site is all new): one alert each, for devices with a MAC of their own.
 */
export function raiseNewDevices(engine: DetectionEngine, inventory: Inventory, siteKnown: (site: string) => boolean): void {
  for (const d of inventory.devices.values()) {
    if (d.storeId !== undefined || !d.mac || d.router || !siteKnown(d.site)) continue;
    const ip = ownAddresses(d)[0];
    engine.book.raise({
      detector: "new-device", class: "new-device", severity: "low", technique: "T1200", site: d.site, source: ip ?? d.mac, sourceMac: d.mac,
      title: `new device ${d.mac}${d.ouiVendor ? ` (${d.ouiVendor})` : ""}${ip ? ` at ${ip}` : ""}`, tsUs: Number.isFinite(d.firstUs) ? d.firstUs : d.lastUs,
    });
  }
}
