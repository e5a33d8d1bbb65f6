import type { DissectContext } from "./context.js";
import { emitLeaves } from "./xml-fields.js";

/** The namespace of ONVIF's device service (ONVIF Core Specification, Device management). */
export const ONVIF_DEVICE_NS = "onvif.org/ver10/device/wsdl";

const FIELDS = [
  ["Manufacturer", "onvif.manufacturer"], ["Model", "onvif.model"], ["FirmwareVersion", "onvif.firmware"],
  ["SerialNumber", "onvif.serial"], ["HardwareId", "onvif.hardware"],
] as const;

/**
 * ONVIF's `GetDeviceInformationResponse`: what every ONVIF camera, encoder or recorder answers
 * the video-management system or recorder that adds it (ONVIF Core Specification 8.3.1):
 * manufacturer, model, firmware version, serial number and hardware id. The server of the
 * response is the device described. Pure; `doc` is the text of one segment.
 */
export function dissectOnvifDeviceInformation(doc: string, ctx: DissectContext): boolean {
  if (!doc.includes(ONVIF_DEVICE_NS) || !doc.includes("GetDeviceInformationResponse")) return false;
  emitLeaves(doc, FIELDS, ctx);
  return true;
}
