import { readFileSync } from "node:fs";
import { makeKeyFile, readKeyFile, seal } from "../../app/sealed-secrets.js";
import { UsageError } from "../output.js";
import { COMMON } from "../options.js";
import { command } from "../command.js";

export default command({
  name: "secret",
  summary: "make the key for secrets kept in configuration, and seal secrets with it",
  help: `Usage: cordon secret init --key-file PATH
       cordon secret seal --key-file PATH < SECRET

init     writes a new key (32 random bytes, base64) to PATH, readable by its owner only;
         refuses to overwrite one (what was sealed under it could no longer be opened).
seal     reads one secret from standard input (a trailing newline is dropped) and prints it
         sealed (AES-256-GCM under the key): "sealed:v1:...", the form the configuration
         takes for SNMP communities and v3 keys (snmp.key_file names the key).

${COMMON}`,
  options: {
    "key-file": { type: "string" },
  },
  async run({ values, positionals }) {
    const sub = positionals[0];
    const keyFile = values["key-file"];
    if (!keyFile) throw new UsageError(`secret ${sub ?? ""} needs --key-file PATH`.replace("  ", " "));
    if (sub === "init") {
      makeKeyFile(keyFile);
      process.stdout.write(`${keyFile}: a new key; keep it apart from the configuration and its backups\n`);
      return 0;
    }
    if (sub === "seal") {
      const key = readKeyFile(keyFile);
      const secret = readFileSync(0, "utf8").replace(/\r?\n$/, "");
      process.stdout.write(`${seal(key, secret)}\n`);
      return 0;
    }
    throw new UsageError(`secret needs init or seal${sub ? `, not "${sub}"` : ""}`);
  },
});
