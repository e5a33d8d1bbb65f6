import { Store } from "../../store/store.js";
import { reportJson } from "../../app/report-json.js";
import {
  advisoryIndex, deviceVulnerabilities, importAdvisories, matchDevice, matchReportJson, proposeCompensation, readDeviceList, siteRisks, vulnerabilityView, vulnerableDevices,
  type DeviceMatchReport, type ImportReport, type InventoryDeviceVulnerabilities,
} from "../../app/vulnerabilities.js";
import { UsageError, parseFormat, table, writeAll } from "../output.js";
import { COMMON, dbPath } from "../options.js";
import { command } from "../command.js";

function importSummary(r: ImportReport): string {
  const lines = [
    `${r.files} files: ${r.read.csaf} CSAF, ${r.read.cve5} CVE 5 and ${r.read.nvd} NVD advisories read, ${r.stored} stored or updated; ${r.kevEntries} KEV entries`,
    `${r.products} product entries, ${r.unparsedRanges} with versions Cordon cannot compare (devices of those products are listed as possibly affected)`,
    `${r.schemaFailures.length} CSAF documents fail the CSAF 2.0 schema (imported all the same)`,
  ];
  for (const f of r.schemaFailures) {
    lines.push(`  ${f.file}:`);
    for (const e of f.errors) lines.push(`    ${e}`);
  }
  if (r.failed.length) lines.push(`${r.failed.length} files could not be read:`, ...r.failed.map((f) => `  ${f.file}: ${f.note}`));
  if (r.skipped.length) lines.push(`${r.skipped.length} files skipped:`, ...r.skipped.map((f) => `  ${f.file}: ${f.note}`));
  return lines.join("\n");
}

function matchTable(reports: readonly DeviceMatchReport[], wide: boolean): string {
  const rows: unknown[][] = [];
  for (const r of reports) {
    for (const [list, kind] of [[r.cves, "affected"], [r.possible, "possibly"]] as const) {
      for (const c of list) rows.push([r.id, `${r.maker} ${r.product}`, r.firmware ?? "?", c.cve, kind, c.kev ? "KEV" : "", c.cvss ?? "", c.confidence, c.reason]);
    }
  }
  return table(["DEVICE", "PRODUCT", "FIRMWARE", "CVE", "STATUS", "KEV", "CVSS", "CONFIDENCE", "REASON"], rows, { wide, flex: ["REASON", "PRODUCT"] });
}

function inventoryTable(list: readonly InventoryDeviceVulnerabilities[], wide: boolean): string {
  const rows = list.map((v) => [
    v.risk?.score ?? "", v.site, v.key, v.identity.vendor ?? "", v.identity.product ?? v.identity.models[0] ?? "", v.identity.firmware ?? "?",
    v.cves.length, v.cves.filter((c) => c.kev).length, v.cves.reduce((m, c) => Math.max(m, c.cvss ?? 0), 0) || "", v.possible.length,
    v.cves.slice(0, 5).map((c) => c.cve).join(" "),
  ]);
  return table(["RISK", "SITE", "DEVICE", "VENDOR", "PRODUCT", "FIRMWARE", "CVES", "KEV", "MAX CVSS", "POSSIBLE", "TOP CVES"], rows, { wide, flex: ["TOP CVES", "PRODUCT"] });
}

function deviceText(v: InventoryDeviceVulnerabilities): string {
  const id = v.identity;
  const lines = [
    `${v.key} (site ${v.site}${v.ips.length ? `, ${v.ips.join(", ")}` : ""})`,
    `vendor: ${id.vendor ?? "unknown"}; product: ${id.product ?? "unknown"}${id.models.length ? ` (${id.models.join(", ")})` : ""}; firmware: ${id.firmware ?? "unknown"}${id.serial ? `; serial: ${id.serial}` : ""}`,
    "identity from:",
    ...id.claims.map((c) => `  ${c.field} = ${c.value}  [${c.from}${c.fact !== c.value ? `: ${c.fact}` : ""}]`),
    ...(v.risk ? [
      `risk ${v.risk.score}: criticality ${v.risk.criticality} (${v.risk.criticalityWeight}) x exploitability ${v.risk.exploitability} (${v.risk.exploitabilityWhy}) x exposure ${v.risk.exposure} (${v.risk.exposureWhy})`,
    ] : []),
    ...v.exposures.map((e) => `  ${e.service}: ${e.internet ? "reachable from outside the site; " : ""}${e.insideAllowed} of ${e.insideTotal} devices of the site may reach it${e.governed ? e.allowedBy.length ? ` (rules ${e.allowedBy.join(", ")})` : "" : " (no policy in force manages it)"}`),
    `affected by ${v.cves.length} CVEs:`,
    ...v.cves.flatMap((c) => [
      `  ${c.cve}${c.kev ? " KEV" : ""} CVSS ${c.cvss ?? "?"} (${c.confidence}): ${c.reason}`,
      `    advisories: ${c.advisories.join(", ")}${c.services.length ? `; service ${c.services.join(", ")}` : ""}`,
      ...c.remediations.slice(0, 3).map((r) => `    remedy: ${r}`),
    ]),
    `possibly affected by ${v.possible.length} more:`,
    ...v.possible.map((c) => `  ${c.cve}${c.kev ? " KEV" : ""} CVSS ${c.cvss ?? "?"}: ${c.reason}`),
  ];
  return lines.join("\n");
}

export default command({
  name: "vulns",
  summary: "import advisories (CSAF, CVE 5, NVD, KEV) and match devices against them",
  help: `Usage: cordon vulns import [--db PATH] [--format table|json] FILE|DIR...
       cordon vulns match [--db PATH] [--format json|table] [--wide] FILE
       cordon vulns list [--db PATH] [--site NAME] [--all] [--format table|json] [--wide]
       cordon vulns device [--db PATH] [--format table|json] MAC|IP
       cordon vulns compensate [--db PATH] [--site NAME] [--device MAC|IP] [--quarantine coa|nftables|none] [--format table|json]

import   reads advisory files, folders recursively: CSAF 2.0 (checked against the official
         schema; a document that fails is imported and its failures listed), CVE JSON 5,
         NVD CVE API 2.0 pages and CISA's KEV catalogue (JSON). A newer release of an
         advisory replaces the one kept; the KEV catalogue is replaced whole.
match    matches the devices of FILE against the imported advisories: a JSON array of
         {"id", "vendor", "product", "firmware"} (optionally "model"), or a CSV with the
         columns id,vendor,product,firmware (model optional). Prints, per device, the CVEs
         that affect it (with KEV, CVSS, the advisory entries and the reason) and, apart,
         those that possibly do (unknown or incomparable firmware, a product named in part).
         JSON by default.
list     the inventory's devices that are affected or possibly affected (--all: every
         device), riskiest first: risk = criticality x exploitability (KEV, SSVC, CVSS) x
         exposure of the vulnerable service under the policy in force; with what each is: maker, product, order numbers and firmware, read from its
         own protocols (S7, CIP, Modbus, BACnet, FINS, Fox, SNMP, LLDP, CDP), imported assets
         (cordon assets import), banners (SIP, SSDP, HTTP, mDNS, its TLS certificate) and
         its classification.
device   one device: where each part of its identity came from, its risk and the exposure
         of each vulnerable service, and every CVE with its reason, advisory entries and the
         vendor's remediations.
compensate
         proposes a new version of the site's policy (the one in force, else the newest) in
         which each affected device's vulnerable services are reachable only from the peers
         seen using them (flows of attacks and of quarantined devices left out); the device
         gets a group of its own and keeps its other rules; the new rules cite the CVEs. It
         waits for 'cordon policy approve' and 'enforce' like any version (policy diff and
         policy simulate show what it changes). A life-safety/physical-process device with a
         CVE in CISA's KEV catalogue also gets a quarantine proposed (--quarantine: how serve
         carries it out, default coa), which waits for another person's 'cordon respond
         approve'.

${COMMON}`,
  options: {
    db: { type: "string" },
    format: { type: "string" },
    wide: { type: "boolean" },
    site: { type: "string" },
    all: { type: "boolean" },
    device: { type: "string" },
    quarantine: { type: "string" },
  },
  async run({ values, positionals, by }) {
    const sub = positionals[0];
    if (sub === "compensate") {
      if (positionals.length > 1) throw new UsageError("vulns compensate takes no FILE (--device names one device)");
      const format = parseFormat(values.format, ["table", "json"]);
      const store = new Store(dbPath(values.db));
      try {
        const method = values.quarantine ?? "coa";
        if (!["coa", "nftables", "none"].includes(method)) throw new UsageError("--quarantine must be one of coa, nftables, none");
        const r = proposeCompensation(store, values.site ?? "default", by, values.device, method as "coa" | "nftables" | "none");
        if (format === "json") process.stdout.write(`${reportJson({ policy: r.policy ? { id: r.policy.id, name: r.policy.name, version: r.policy.version, status: r.policy.status } : null, changes: r.changes, skipped: r.skipped, quarantines: r.quarantines })}\n`);
        else {
          const lines = r.policy
            ? [`policy ${r.policy.id}: ${r.policy.name} version ${r.policy.version}, proposed (cordon policy diff, simulate, approve ${r.policy.id})`, ...r.changes.map((c) => `  ${c}`)]
            : ["no affected device with a known vulnerable port: nothing to propose"];
          for (const s of r.skipped) lines.push(`  left as it was: ${s.device}: ${s.why}`);
          for (const q of r.quarantines) lines.push(`quarantine of ${q.device} proposed (response ${q.id}, ${q.cves.join(", ")} known exploited): another person approves it with cordon respond approve ${q.id.slice(0, 8)}`);
          process.stdout.write(`${lines.join("\n")}\n`);
        }
        return 0;
      } finally {
        store.close();
      }
    }
    if (sub === "import") {
      const paths = positionals.slice(1);
      if (paths.length === 0) throw new UsageError("vulns import needs at least one FILE or DIR");
      const format = parseFormat(values.format, ["table", "json"]);
      const store = new Store(dbPath(values.db));
      try {
        const report = await importAdvisories(store, paths, new Date().toISOString());
        process.stdout.write(`${format === "json" ? reportJson(report) : importSummary(report)}\n`);
        return report.failed.length ? 1 : 0;
      } finally {
        store.close();
      }
    }
    if (sub === "match") {
      const file = positionals[1];
      if (!file || positionals.length > 2) throw new UsageError("vulns match needs one FILE");
      const format = parseFormat(values.format ?? "json", ["json", "table"]);
      const devices = readDeviceList(file);
      const store = new Store(dbPath(values.db), { readOnly: true });
      try {
        const index = advisoryIndex(store);
        if (format === "json") {
          // Device by device: an inventory's report is written as it is made, not held whole.
          writeAll((function* () {
            yield "[";
            for (const [i, d] of devices.entries()) yield `${i ? "," : ""}\n  ${JSON.stringify(matchReportJson(matchDevice(index, d)))}`;
            yield "\n]";
          })());
        } else {
          writeAll([matchTable(devices.map((d) => matchDevice(index, d)), values.wide === true)]);
        }
        return 0;
      } finally {
        store.close();
      }
    }
    if (sub === "list") {
      if (positionals.length > 1) throw new UsageError("vulns list takes no FILE");
      const format = parseFormat(values.format, ["table", "json"]);
      const store = new Store(dbPath(values.db), { readOnly: true });
      try {
        const list = vulnerableDevices(store, values.site, values.all === true);
        const sites = siteRisks(list);
        if (format === "json") writeAll([reportJson({ sites, devices: list.map((v) => vulnerabilityView(v, false)) })]);
        else {
          const summary = sites.map((r) => `site ${r.site}: ${r.devicesAffected} devices affected (${r.devicesWithKev} by a known exploited CVE), ${r.devicesPossiblyAffected} possibly; risk: highest ${r.maxRisk}, sum ${r.totalRisk}`);
          writeAll([[inventoryTable(list, values.wide === true), ...summary].join("\n")]);
        }
        return 0;
      } finally {
        store.close();
      }
    }
    if (sub === "device") {
      if (positionals.length !== 2) throw new UsageError("vulns device needs one MAC or IP");
      const format = parseFormat(values.format, ["table", "json"]);
      const store = new Store(dbPath(values.db), { readOnly: true });
      try {
        const found = deviceVulnerabilities(store, positionals[1]!);
        if (found.length === 0) {
          process.stderr.write(`cordon: no device with MAC or IP ${positionals[1]}\n`);
          return 1;
        }
        writeAll([format === "json" ? reportJson(found.map((v) => vulnerabilityView(v, true))) : found.map(deviceText).join("\n\n")]);
        return 0;
      } finally {
        store.close();
      }
    }
    throw new UsageError(`vulns needs import, match, list, device or compensate${sub ? `, not "${sub}"` : ""}`);
  },
});
