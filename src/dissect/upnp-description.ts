import type { DissectContext } from "./context.js";
import { xmlLeaves } from "./xml-fields.js";

/** The namespace every UPnP device description's root element carries (UPnP Device Architecture 1.1 and 2.0, 2.3). */
export const UPNP_DEVICE_NS = "urn:schemas-upnp-org:device-1-0";

/**
 * A UPnP device description served over HTTP (what a control point fetches from an SSDP
 * LOCATION): the root device's type, maker and model as the device states them; firmware where
 * the maker adds it (`firmwareVersion` on Belkin WeMo, `softwareVersion` on Sonos). The first
 * of each element is the root device's (embedded devices follow in `deviceList`). The server
 * of the response is the device described. Pure; `doc` is the text of one segment.
 */
export function dissectUpnpDescription(doc: string, ctx: DissectContext): boolean {
  if (!doc.includes(UPNP_DEVICE_NS) || !/<(\w+:)?device>/.test(doc)) return false;
  const f = xmlLeaves(doc, ["deviceType", "manufacturer", "modelName", "modelNumber", "modelDescription", "firmwareVersion", "softwareVersion"]);
  const first = (name: string): string | undefined => f.get(name)?.[0];
  const emit = (kind: Parameters<DissectContext["emit"]>[0], value: string | undefined): void => {
    if (value !== undefined) ctx.emit(kind, "src", value);
  };
  emit("upnp.device_type", first("deviceType"));
  emit("upnp.manufacturer", first("manufacturer"));
  emit("upnp.model_name", first("modelName"));
  emit("upnp.model_number", first("modelNumber"));
  emit("upnp.model_description", first("modelDescription"));
  emit("upnp.firmware", first("firmwareVersion") ?? first("softwareVersion"));
  return true;
}
