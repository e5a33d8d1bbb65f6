import type { AppDissector } from "./context.js";

/** Dropbox LAN sync discovery (UDP 17500): a JSON broadcast naming the client's host_int and namespaces. */
export const dropboxLanSync: AppDissector = {
  name: "dropbox-lan-sync",
  transport: "udp",
  ports: [17500],
  dissect: (b, off, len) => len > 16 && b[off] === 0x7b && b.toString("latin1", off, off + Math.min(len, 256)).includes('"host_int"'),
};
