import { caPassphrase, certificateInventory, certificateStatus, openAuthority, raiseCertificateAlerts, revokeCertificate } from "../../app/certificates.js";
import { reportJson } from "../../app/report-json.js";
import { Store } from "../../store/store.js";
import { command } from "../command.js";
import { COMMON, dbPath } from "../options.js";
import { UsageError, parseFormat, table } from "../output.js";

export default command({
  name: "certs",
  summary: "the certificate inventory: issued, presented in EAP-TLS, served by devices; revoke, status",
  help: `Usage: cordon certs list [--site NAME] [--format table|json] [--wide] [--db PATH]
       cordon certs device MAC [--format table|json] [--db PATH]
       cordon certs revoke SERIAL|SHA256 [--reason REASON] [--db PATH]
       cordon certs status SERIAL [--db PATH]
       cordon certs check [--site NAME] [--db PATH]

'list' shows every certificate Cordon issued, every client certificate presented to its
EAP-TLS, and every TLS server certificate devices presented on the wire: status (valid,
expiring within 30 days, expired, revoked), renewal (due, renewed, lapsed) and what is weak
(RSA under 2048 bits, SHA-1 or MD5 signatures, expired but still presented). 'device' shows
one device's. 'revoke' revokes a certificate Cordon issued (REASON: unspecified,
key-compromise, superseded, cessation-of-operation, privilege-withdrawn,
affiliation-changed); the CRL and EAP-TLS refuse it from then on. 'status' answers as OCSP
would: good, revoked or unknown. 'check' raises the expiry alerts (30, 7 and 1 days, and
expired unrenewed) that serve raises every hour.

${COMMON}`,
  options: {
    db: { type: "string" },
    site: { type: "string" },
    format: { type: "string" },
    wide: { type: "boolean" },
    reason: { type: "string" },
  },
  async run({ values, positionals, by }) {
    const sub = positionals[0];
    if (!["list", "device", "revoke", "status", "check"].includes(sub ?? "")) throw new UsageError(`certs takes list, device, revoke, status or check${sub ? `, not "${sub}"` : ""}`);
    const reading = sub === "list" || sub === "device" || sub === "status";
    const store = new Store(dbPath(values.db), reading ? { readOnly: true } : { mustExist: true });
    try {
      if (sub === "revoke") {
        if (!positionals[1]) throw new UsageError("certs revoke needs a serial or SHA-256 fingerprint");
        const c = revokeCertificate(store, by, { certificate: positionals[1], reason: values.reason });
        process.stdout.write(`certificate ${c.serial} of ${c.mac ?? c.subject} revoked (${c.revokeReason})\n`);
        // The CRL is rebuilt now when the CA can be opened here; serve rebuilds its own on the next fetch.
        if (process.env.CORDON_CA_PASSPHRASE !== undefined || process.env.CORDON_CA_PASSPHRASE_FILE !== undefined) await (await openAuthority(store, caPassphrase())).currentCrl(store);
        return 0;
      }
      if (sub === "status") {
        if (!positionals[1]) throw new UsageError("certs status needs a serial");
        const s = certificateStatus(store, positionals[1]);
        process.stdout.write(`${reportJson(s)}\n`);
        return s.status === "good" ? 0 : 1;
      }
      if (sub === "check") {
        const raised = raiseCertificateAlerts(store, values.site);
        process.stdout.write(raised.length === 0 ? "no new certificate alerts\n" : `${raised.map((a) => `${a.severity}: ${a.title}`).join("\n")}\n`);
        return 0;
      }
      if (sub === "device" && !positionals[1]) throw new UsageError("certs device needs a MAC");
      const list = certificateInventory(store, { site: values.site, mac: sub === "device" ? positionals[1] : undefined });
      if (parseFormat(values.format, ["table", "json"]) === "json") process.stdout.write(`${reportJson(list)}\n`);
      else process.stdout.write(`${list.length === 0 ? "no certificates" : table(["mac", "source", "status", "not after", "renewal", "weak", "key", "subject", "issuer", "serial", "site"],
        list.map((c) => [c.mac ?? "", c.source, c.status, c.notAfter ?? "", c.renewal, c.weak.join(","), c.key ?? "", c.subject, c.issuer, c.serial ?? "", c.site]),
        { wide: values.wide === true, wideOnly: ["issuer", "serial", "site"] })}\n`);
      return 0;
    } finally {
      store.close();
    }
  },
});
