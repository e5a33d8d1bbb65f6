import type { AppDissector } from "./context.js";
import { xmlLeaves } from "./xml-fields.js";

/**
 * Hikvision's SADP (Search Active Devices Protocol, UDP 37020, multicast 239.255.255.250):
 * the SADP tool, iVMS and Hikvision recorders send a `<Probe>` inquiry, and every Hikvision
 * camera, recorder, intercom and access terminal on the segment answers with a `<ProbeMatch>`
 * stating its model (DeviceDescription), serial (DeviceSN), firmware (SoftwareVersion) and
 * its analogue and IP channels (hikvision-tooling's and UniversalScanner's readers use these
 * elements). Only an answer describes its sender; an inquiry says nothing about it.
 */
const MAX_TEXT = 8192;
const FIELDS = ["DeviceDescription", "DeviceSN", "SoftwareVersion", "AnalogChannelNum", "DigitalChannelNum"];

export const hikvisionSadp: AppDissector = {
  name: "sadp",
  transport: "udp",
  ports: [37020],
  dissect(b, off, len, ctx) {
    if (len < 16 || b[off] !== 0x3c) return false;
    const xml = b.toString("utf8", off, off + Math.min(len, MAX_TEXT));
    if (!xml.includes("<ProbeMatch>")) return xml.includes("<Probe>");
    const f = xmlLeaves(xml, FIELDS);
    const element = (name: string): string | undefined => f.get(name)?.[0];
    const model = element("DeviceDescription");
    if (model) ctx.emit("sadp.model", "src", model);
    const serial = element("DeviceSN");
    if (serial) ctx.emit("sadp.serial", "src", serial);
    const firmware = element("SoftwareVersion");
    if (firmware) ctx.emit("sadp.firmware", "src", firmware);
    // A camera has one channel (its own); a recorder has one per camera it records.
    const count = (name: string): number | undefined => {
      const v = element(name);
      return v !== undefined && /^\d{1,4}$/.test(v) ? Number(v) : undefined;
    };
    const analog = count("AnalogChannelNum");
    const digital = count("DigitalChannelNum");
    if (analog !== undefined || digital !== undefined) ctx.emit("sadp.channels", "src", String((analog ?? 0) + (digital ?? 0)));
    return true;
  },
};
