import type { AppDissector } from "./context.js";

/** TiVo Connect discovery (port 2190): "tivoconnect=1" and key=value lines, broadcast by TiVo boxes and their apps. */
const MAGIC = "tivoconnect=1";
const isTivo = (b: Buffer, off: number, len: number): boolean => len > MAGIC.length && b.toString("latin1", off, off + MAGIC.length).toLowerCase() === MAGIC;

export const tivoConnectUdp: AppDissector = { name: "tivo-connect", transport: "udp", ports: [2190], dissect: isTivo };
export const tivoConnectTcp: AppDissector = { name: "tivo-connect", transport: "tcp", ports: [2190], dissect: isTivo };
