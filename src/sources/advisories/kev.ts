import type { KevEntry } from "../../model/advisory.js";
import { arr, cveId, obj, str, type Json } from "./json-fields.js";

/** CISA's Known Exploited Vulnerabilities catalogue (known_exploited_vulnerabilities.json). */
export function readKev(doc: Json): KevEntry[] {
  const out: KevEntry[] = [];
  for (const raw of arr(doc.vulnerabilities)) {
    const v = obj(raw);
    const cve = cveId(v?.cveID);
    const dateAdded = str(v?.dateAdded, 32);
    if (!v || !cve || !dateAdded || !/^\d{4}-\d{2}-\d{2}$/.test(dateAdded)) continue;
    const due = str(v.dueDate, 32);
    out.push({
      cve,
      vendor: str(v.vendorProject, 256) ?? "",
      product: str(v.product, 256) ?? "",
      name: str(v.vulnerabilityName, 512) ?? "",
      dateAdded,
      dueDate: due && /^\d{4}-\d{2}-\d{2}$/.test(due) ? due : undefined,
      ransomware: str(v.knownRansomwareCampaignUse, 16)?.toLowerCase() === "known",
    });
  }
  return out;
}
