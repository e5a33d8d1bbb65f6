import type { AppDissector } from "./context.js";
import { xmlLeaves } from "./xml-fields.js";

/**
 * WS-Discovery (SOAP over UDP 3702): ONVIF cameras and recorders, network printers and Windows
 * hosts announce themselves (Hello) and answer probes (ProbeMatches) with their types, such as
 * dn:NetworkVideoTransmitter or wprt:PrintDeviceType, and scopes, such as
 * onvif://www.onvif.org/hardware/<model>. Probes only say what their sender looks for.
 */
const MAX_TEXT = 8192;
const MAX_SCOPES = 16;

function isWsd(b: Buffer, off: number, len: number): boolean {
  if (len < 64 || b[off] !== 0x3c) return false;
  const head = b.toString("latin1", off, off + Math.min(len, 1024));
  return head.includes("Envelope") && (head.includes("ws/2005/04/discovery") || head.includes("ws-dd/ns/discovery"));
}

export const wsDiscovery: AppDissector = {
  name: "ws-discovery",
  transport: "udp",
  ports: [3702],
  dissect(b, off, len, ctx) {
    if (!isWsd(b, off, len)) return false;
    const xml = b.toString("utf8", off, off + Math.min(len, MAX_TEXT));
    const f = xmlLeaves(xml, ["Action", "Types", "Scopes"], MAX_TEXT, MAX_TEXT);
    const element = (name: string): string | undefined => f.get(name)?.[0];
    const action = element("Action") ?? "";
    if (!/(Hello|ProbeMatches|ResolveMatches)$/.test(action)) return true;
    const types = element("Types");
    if (types) {
      const names = types.split(/\s+/).map((t) => t.slice(t.indexOf(":") + 1)).filter((t) => /^[\w.-]{1,64}$/.test(t));
      if (names.length > 0) ctx.emit("wsd.types", "src", names.slice(0, 8).join(" "));
    }
    const scopes = element("Scopes");
    if (scopes) {
      for (const s of scopes.split(/\s+/).slice(0, MAX_SCOPES)) {
        if (/^[\x21-\x7e]{1,256}$/.test(s)) ctx.emit("wsd.scope", "src", s);
      }
    }
    return true;
  },
};
