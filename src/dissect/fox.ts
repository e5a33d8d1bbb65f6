import type { AppDissector } from "./context.js";
import type { ObservationKind } from "../model/observation.js";

const KEYS: Record<string, ObservationKind> = {
  hostName: "fox.host_name", "app.name": "fox.app_name", "app.version": "fox.app_version",
  "station.name": "fox.station_name", "os.name": "fox.os", "vm.name": "fox.vm", "brandId": "fox.brand",
};

/** Niagara Fox (Tridium building controllers): the hello each side sends names station, app and OS. */
export const fox: AppDissector = {
  name: "fox",
  transport: "tcp",
  ports: [1911],
  test(b, off, len) {
    return len >= 8 && b.toString("latin1", off, off + 6) === "fox a ";
  },
  dissect(b, off, len, ctx) {
    const s = b.toString("latin1", off, off + Math.min(len, 4096));
    if (!s.startsWith("fox a ")) return false;
    if (!s.includes("fox hello")) return true;
    for (const line of s.split("\n")) {
      const m = /^([A-Za-z.]+)=s:(.*)$/.exec(line.trim());
      if (!m) continue;
      const kind = KEYS[m[1]];
      if (kind && m[2]) ctx.emit(kind, "src", m[2].replace(/[\x00-\x1f\x7f]/g, ""));
    }
    return true;
  },
};
