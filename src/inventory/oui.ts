import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { ouiOf } from "../dissect/addr.js";

let table: Map<string, string> | undefined;

function load(): Map<string, string> {
  if (!table) {
    // oui-data ships the IEEE MA-L registry as { "AABBCC": "Organisation\nAddress..." }. Only the
    // organisation is kept: each entry is read up to its first escaped newline, and decoded on
    // its own, so neither the addresses nor the parsed object stay in memory.
    const require = createRequire(import.meta.url);
    const text = readFileSync(require.resolve("oui-data"), "utf8");
    table = new Map();
    const entry = /"([0-9A-F]{6,9})":\s*"((?:[^"\\]|\\[^n])*)/g;
    for (let m = entry.exec(text); m !== null; m = entry.exec(text)) {
      table.set(m[1], JSON.parse(`"${m[2]}"`) as string);
    }
  }
  return table;
}

/**
 * The organisation the IEEE registry names for a MAC (first line of the entry). The small
 * MA-S (36-bit) and MA-M (28-bit) blocks are looked up before the MA-L (24-bit) OUI, which for
 * such blocks names only the IEEE Registration Authority.
 */
export function ouiVendor(mac: number): string | undefined {
  const t = load();
  const hex = mac.toString(16).padStart(12, "0").toUpperCase();
  return t.get(hex.slice(0, 9)) ?? t.get(hex.slice(0, 7)) ?? t.get(ouiOf(mac));
}
