import { createRequire } from "node:module";
import { ouiOf } from "../dissect/addr.js";

let table: Record<string, string> | undefined;

function load(): Record<string, string> {
  if (!table) {
    // oui-data ships the IEEE MA-L registry as { "AABBCC": "Organisation\nAddress..." }.
    const require = createRequire(import.meta.url);
    table = require("oui-data") as Record<string, string>;
  }
  return table;
}

/** The organisation the IEEE registry names for a MAC's OUI (first line of the entry). */
export function ouiVendor(mac: number): string | undefined {
  const entry = load()[ouiOf(mac)];
  if (entry === undefined) return undefined;
  const nl = entry.indexOf("\n");
  return nl < 0 ? entry : entry.slice(0, nl);
}
