import type { DissectContext } from "./context.js";
import { emitLeaves, xmlLeaves } from "./xml-fields.js";

/** HNAP's SOAP namespace (Home Network Administration Protocol, Pure Networks, then Cisco; D-Link's cameras, plugs, sensors, hubs and routers serve it). */
export const HNAP_NS = "purenetworks.com/HNAP1";

/** Elements and the fact kinds they become. */
const FIELDS = [
  ["VendorName", "hnap.vendor"], ["ModelName", "hnap.model"], ["ModelDescription", "hnap.description"],
  ["FirmwareVersion", "hnap.firmware"], ["HardwareVersion", "hnap.hardware"],
] as const;

/**
 * An HNAP `GetDeviceSettingsResponse` (what the maker's app asks a device at setup, POST
 * /HNAP1/): vendor, model, model description, firmware and hardware version, and D-Link's
 * `ModuleTypes` (Camera, Motion Sensor, Audio Renderer ...). The server of the response is the
 * device described. Pure; `doc` is the text of one segment.
 */
export function dissectHnap(doc: string, ctx: DissectContext): boolean {
  if (!doc.includes(HNAP_NS) || !doc.includes("GetDeviceSettingsResponse")) return false;
  emitLeaves(doc, FIELDS, ctx);
  // Module types are the <string> items of <ModuleTypes>, before the SOAPActions list's.
  const modules = /<ModuleTypes>([\s\S]{0,1024}?)<\/ModuleTypes>/.exec(doc)?.[1];
  if (modules) for (const m of xmlLeaves(modules, ["string"]).get("string") ?? []) ctx.emit("hnap.module_type", "src", m);
  return true;
}
