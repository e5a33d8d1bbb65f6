import type { DissectContext } from "./context.js";
import { emitLeaves } from "./xml-fields.js";

/** The namespace every UPnP device description's root element carries (UPnP Device Architecture 1.1 and 2.0, 2.3). */
export const UPNP_DEVICE_NS = "urn:schemas-upnp-org:device-1-0";

/** Elements and the fact kinds they become. */
const FIELDS = [
  ["deviceType", "upnp.device_type"], ["manufacturer", "upnp.manufacturer"], ["modelName", "upnp.model_name"], ["modelNumber", "upnp.model_number"],
  ["modelDescription", "upnp.model_description"], ["firmwareVersion", "upnp.firmware"], ["softwareVersion", "upnp.firmware"],
] as const;

/**
 * A UPnP device description served over HTTP (what a control point fetches from an SSDP
 * LOCATION): the root device's type, maker and model as the device states them; firmware where
 * the maker adds it (`firmwareVersion` on Belkin WeMo, `softwareVersion` on Sonos). The first
 * of each element is the root device's (embedded devices follow in `deviceList`). The server
 * of the response is the device described. Pure; `doc` is the text of one segment.
 */
export function dissectUpnpDescription(doc: string, ctx: DissectContext): boolean {
  if (!doc.includes(UPNP_DEVICE_NS) || !/<(\w+:)?device>/.test(doc)) return false;
  emitLeaves(doc, FIELDS, ctx);
  return true;
}
