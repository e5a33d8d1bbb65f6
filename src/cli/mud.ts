import { table } from "./output.js";
import { reportJson } from "../app/report-json.js";
import type { mudProfilesInUse } from "../app/queries.js";

export function renderMudList(inUse: ReturnType<typeof mudProfilesInUse>, format: "table" | "json", wide = false): string {
  const rows = inUse.profiles.map((m) => ({ url: m.url, source: m.source, imported_at: m.importedAt, devices: m.devices }));
  if (format === "json") return reportJson({ profiles: rows, announced_without_profile: inUse.unmatched });
  const out = [table(["URL", "SOURCE", "IMPORTED", "DEVICES"], rows.map((r) => [r.url, r.source, r.imported_at, r.devices.join(" ") || "(none)"]), { wide, flex: ["URL", "DEVICES"] })];
  for (const u of inUse.unmatched) out.push(`no profile imported for ${u.url} (announced by ${u.devices.join(", ")})`);
  return out.join("\n");
}
