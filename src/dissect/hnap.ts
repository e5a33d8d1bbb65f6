import type { DissectContext } from "./context.js";
import { xmlLeaves } from "./xml-fields.js";

/** HNAP's SOAP namespace (Home Network Administration Protocol, Pure Networks, then Cisco; D-Link's cameras, plugs, sensors, hubs and routers serve it). */
export const HNAP_NS = "purenetworks.com/HNAP1";

/**
 * An HNAP `GetDeviceSettingsResponse` (what the maker's app asks a device at setup, POST
 * /HNAP1/): vendor, model, model description, firmware and hardware version, and D-Link's
 * `ModuleTypes` (Camera, Motion Sensor, Audio Renderer ...). The server of the response is the
 * device described. Pure; `doc` is the text of one segment.
 */
export function dissectHnap(doc: string, ctx: DissectContext): boolean {
  if (!doc.includes(HNAP_NS) || !doc.includes("GetDeviceSettingsResponse")) return false;
  const f = xmlLeaves(doc, ["VendorName", "ModelName", "ModelDescription", "FirmwareVersion", "HardwareVersion"]);
  const first = (name: string): string | undefined => f.get(name)?.[0];
  const emit = (kind: Parameters<DissectContext["emit"]>[0], value: string | undefined): void => {
    if (value !== undefined) ctx.emit(kind, "src", value);
  };
  emit("hnap.vendor", first("VendorName"));
  emit("hnap.model", first("ModelName"));
  emit("hnap.description", first("ModelDescription"));
  emit("hnap.firmware", first("FirmwareVersion"));
  emit("hnap.hardware", first("HardwareVersion"));
  // Module types are the <string> items of <ModuleTypes>, before the SOAPActions list's.
  const modules = /<ModuleTypes>([\s\S]{0,1024}?)<\/ModuleTypes>/.exec(doc)?.[1];
  if (modules) for (const m of xmlLeaves(modules, ["string"]).get("string") ?? []) ctx.emit("hnap.module_type", "src", m);
  return true;
}
