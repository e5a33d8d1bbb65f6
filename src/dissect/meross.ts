import type { DissectContext } from "./context.js";

/** The namespace of a Meross device's answer describing itself. */
export const MEROSS_SYSTEM_ALL = "Appliance.System.All";

const HARDWARE_TYPE = /"hardware"\s*:\s*\{[^{}]{0,512}?"type"\s*:\s*"([a-z]{3}\d{2,4}[a-z]{0,4})"/;
const FIRMWARE_VERSION = /"firmware"\s*:\s*\{[^{}]{0,512}?"version"\s*:\s*"(\d{1,3}(?:\.\d{1,4}){1,3})"/;

/**
 * A Meross plug, bulb, hub or thermostat's answer to `Appliance.System.All` (its app and Home
 * Assistant's meross_lan ask it over HTTP POST /config on the LAN): a JSON document whose
 * `hardware.type` is the model (mss310, msl120, msh300, mts200 ...) and `firmware.version` the
 * firmware (MerossIot's and meross_lan's protocol notes). Read by pattern, so a document cut at
 * the segment's end still gives what it holds. The server of the response is the device.
 */
export function dissectMerossSystemAll(doc: string, ctx: DissectContext): boolean {
  if (!doc.includes(MEROSS_SYSTEM_ALL) || !doc.includes('"header"')) return false;
  const type = HARDWARE_TYPE.exec(doc)?.[1];
  if (type) ctx.emit("meross.type", "src", type);
  const firmware = FIRMWARE_VERSION.exec(doc)?.[1];
  if (firmware) ctx.emit("meross.firmware", "src", firmware);
  return true;
}
