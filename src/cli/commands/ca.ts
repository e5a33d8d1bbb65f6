import { readFileSync, writeFileSync } from "node:fs";
import { addVendorCa, authorityChainPem, authorityStatus, caPassphrase, createAuthority, importAuthority, openAuthority } from "../../app/certificates.js";
import { reportJson } from "../../app/report-json.js";
import { CATEGORIES } from "../../classify/taxonomy.js";
import { KEY_ALGORITHMS } from "../../pki/keys.js";
import { profileFor } from "../../pki/profiles.js";
import { Store } from "../../store/store.js";
import { command } from "../command.js";
import { COMMON, dbPath } from "../options.js";
import { UsageError, parseFormat, table } from "../output.js";

function readText(path: string, what: string): string {
  try {
    const s = readFileSync(path, "utf8");
    if (s.length > 1 << 20) throw new UsageError(`${what}: ${path} is larger than 1 MiB`);
    return s;
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`${what}: cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? "error"})`);
  }
}

export default command({
  name: "ca",
  summary: "Cordon's certificate authority: make or import one, its CRL, vendor CAs, issuing profiles",
  help: `Usage: cordon ca init --organisation NAME [--algorithm ALG] [--replace] [--db PATH]
       cordon ca import --cert CHAIN.pem --key KEY.pem [--key-passphrase-env VAR] [--replace] [--db PATH]
       cordon ca show [--pem] [--format table|json] [--db PATH]
       cordon ca crl --out FILE [--db PATH]
       cordon ca vendor-add NAME --cert FILE [--db PATH]
       cordon ca profiles

'init' makes a root CA and an issuing CA (ALG: ${KEY_ALGORITHMS.join(", ")}; default
ecdsa-p256). 'import' puts an issuing CA of your own PKI in use: CHAIN.pem holds its
certificate first, then its issuers; KEY.pem its key (encrypted: its passphrase in the
variable --key-passphrase-env names). Either way the CA keys are kept encrypted under the
passphrase in CORDON_CA_PASSPHRASE (or the file CORDON_CA_PASSPHRASE_FILE names; at least 12
characters); the database never holds it. 'show --pem' prints the CA chain devices and
RADIUS clients install. 'crl' writes the current CRL (DER). 'vendor-add' trusts a maker's
CA: devices with a certificate it issued (IDevID) may enroll by EST without a token.
'profiles' lists what a device certificate of each category says and how long it lasts.

${COMMON}`,
  options: {
    db: { type: "string" },
    organisation: { type: "string" },
    algorithm: { type: "string" },
    replace: { type: "boolean" },
    cert: { type: "string" },
    key: { type: "string" },
    "key-passphrase-env": { type: "string" },
    pem: { type: "boolean" },
    format: { type: "string" },
    out: { type: "string" },
  },
  async run({ values, positionals, by }) {
    const sub = positionals[0];
    if (sub === "profiles") {
      const rows = CATEGORIES.map((c) => {
        const p = profileFor(c);
        return [c, p.name, String(p.validityDays), p.serverAuth ? "clientAuth, serverAuth" : "clientAuth", String(p.renewBeforeDays)];
      });
      process.stdout.write(`${table(["category", "profile", "validity days", "EKU", "renew before days"], rows)}\n`);
      return 0;
    }
    if (!["init", "import", "show", "crl", "vendor-add"].includes(sub ?? "")) throw new UsageError(`ca takes init, import, show, crl, vendor-add or profiles${sub ? `, not "${sub}"` : ""}`);
    const store = new Store(dbPath(values.db), sub === "show" ? { readOnly: true } : {});
    try {
      if (sub === "init") {
        if (!values.organisation) throw new UsageError("ca init needs --organisation NAME");
        const cas = await createAuthority(store, by, { organisation: values.organisation, algorithm: values.algorithm ?? "ecdsa-p256", passphrase: caPassphrase(), replace: values.replace });
        process.stdout.write(`${cas.map((c) => `${c.role}: ${c.subject} (${c.algorithm}, until ${c.notAfter}, sha256 ${c.fingerprint})`).join("\n")}\n`);
        return 0;
      }
      if (sub === "import") {
        if (!values.cert || !values.key) throw new UsageError("ca import needs --cert CHAIN.pem and --key KEY.pem");
        const envName = values["key-passphrase-env"];
        if (envName !== undefined && process.env[envName] === undefined) throw new UsageError(`--key-passphrase-env: ${envName} is not set`);
        const cas = importAuthority(store, by, {
          chainPem: readText(values.cert, "--cert"), keyPem: readText(values.key, "--key"), keyPassphrase: envName === undefined ? undefined : process.env[envName],
          passphrase: caPassphrase(), replace: values.replace,
        });
        process.stdout.write(`${cas.map((c) => `${c.role}: ${c.subject} (until ${c.notAfter}, sha256 ${c.fingerprint})`).join("\n")}\n`);
        return 0;
      }
      if (sub === "vendor-add") {
        if (!positionals[1] || !values.cert) throw new UsageError("ca vendor-add needs a NAME and --cert FILE");
        const v = addVendorCa(store, by, { name: positionals[1], certPem: readText(values.cert, "--cert") });
        process.stdout.write(`vendor CA ${v.name}: ${v.subject} (sha256 ${v.fingerprint})\n`);
        return 0;
      }
      if (sub === "crl") {
        if (!values.out) throw new UsageError("ca crl needs --out FILE");
        const authority = await openAuthority(store, caPassphrase());
        writeFileSync(values.out, await authority.currentCrl(store));
        process.stderr.write(`cordon: CRL of ${authority.signer.cert.subject} written to ${values.out}\n`);
        return 0;
      }
      const s = authorityStatus(store);
      if (values.pem) {
        process.stdout.write(s.cas.length === 0 ? "" : authorityChainPem(store));
        return s.cas.length === 0 ? 1 : 0;
      }
      if (parseFormat(values.format, ["table", "json"]) === "json") process.stdout.write(`${reportJson(s)}\n`);
      else {
        process.stdout.write(s.cas.length === 0 ? "no CA: 'cordon ca init' makes one, 'cordon ca import' takes yours\n"
          : `${table(["role", "subject", "algorithm", "source", "not after", "sha256"], s.cas.map((c) => [c.role, c.subject, c.algorithm ?? "", c.source, c.notAfter, c.fingerprint]))}\n`);
        if (s.vendorCas.length) process.stdout.write(`\nvendor CAs (IDevID enrollment):\n${table(["name", "subject", "sha256"], s.vendorCas.map((v) => [v.name, v.subject, v.fingerprint]))}\n`);
      }
      return 0;
    } finally {
      store.close();
    }
  },
});
