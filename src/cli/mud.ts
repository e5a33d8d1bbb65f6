import type { Store } from "../store/store.js";
import { table } from "./output.js";
import { mudUsers } from "../app/mud.js";

export function renderMudList(store: Store, site: string, format: "table" | "json"): string {
  const users = mudUsers(store, site);
  const rows = store.mudProfiles().map((m) => ({ url: m.url, source: m.source, imported_at: m.importedAt, devices: users.get(m.url) ?? [] }));
  const unmatched = [...users].filter(([url]) => !rows.some((r) => r.url === url)).map(([url, devices]) => ({ url, devices }));
  if (format === "json") return JSON.stringify({ profiles: rows, announced_without_profile: unmatched }, null, 2);
  const out = [table(["URL", "SOURCE", "IMPORTED", "DEVICES"], rows.map((r) => [r.url, r.source, r.imported_at, r.devices.join(" ") || "(none)"]))];
  for (const u of unmatched) out.push(`no profile imported for ${u.url} (announced by ${u.devices.join(", ")})`);
  return out.join("\n");
}
