import type { DissectContext } from "./context.js";
import { emitLeaves } from "./xml-fields.js";

/** The namespace of Hikvision's ISAPI documents (ver10 on older firmware, ver20 on newer). */
export const ISAPI_NS = "www.hikvision.com/ver";

const FIELDS = [
  ["model", "isapi.model"], ["firmwareVersion", "isapi.firmware"], ["serialNumber", "isapi.serial"], ["deviceType", "isapi.device_type"],
] as const;

/**
 * Hikvision's ISAPI `DeviceInfo` (GET /ISAPI/System/deviceInfo), which Hikvision recorders,
 * iVMS and Hik-Connect ask of every camera they add: model, serial number, firmware version and
 * device type (IPCamera, IPDome, NVR, DVR ...; Hikvision's ISAPI core protocol). The server of
 * the response is the device described. Pure; `doc` is the text of one segment.
 */
export function dissectIsapiDeviceInfo(doc: string, ctx: DissectContext): boolean {
  if (!doc.includes(ISAPI_NS) || !/<DeviceInfo[\s>]/.test(doc)) return false;
  emitLeaves(doc, FIELDS, ctx);
  return true;
}
