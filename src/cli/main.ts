#!/usr/bin/env node
import "./jit.js";
import { cordonVersion } from "../model/shipped-data.js";
import { parseArgs } from "node:util";
import { cliActor } from "./actor.js";
import type { Command } from "./command.js";
import { COMMANDS, allCommands } from "./commands/index.js";
import { UsageError } from "./output.js";

/** `cordon --help`: every command's summary, so every command is loaded for it. */
async function help(): Promise<string> {
  const commands = await allCommands();
  return `cordon: a zero-trust control plane for devices that cannot verify themselves

Usage: cordon COMMAND [options]

Commands:
${commands.map((c) => `  ${c.name.padEnd(10)} ${c.summary}`).join("\n")}

Run 'cordon COMMAND --help' for a command's options; 'cordon --version' for the version.`;
}

/** Options main itself reads for every command: --help, and --by (refused: who acts is the operating-system user). */
const MAIN_OPTIONS = { help: { type: "boolean", short: "h" }, by: { type: "string" } } as const;


/** Runs one command: its own options only (an option it does not take is an error that names it). */
async function main(argv: string[]): Promise<number> {
  const name = argv[0];
  if (name === "--version" || name === "version") {
    process.stdout.write(`cordon ${cordonVersion()}\n`);
    return 0;
  }
  if (name === undefined || name === "-h" || name === "--help" || name === "help") {
    process.stdout.write(`${await help()}\n`);
    return name === undefined ? 2 : 0;
  }
  const load = COMMANDS.get(name);
  if (!load) throw new UsageError(`unknown command '${name.slice(0, 64)}'`);
  const cmd: Command = (await load()).default;
  running = name;
  const options = { ...cmd.options, ...MAIN_OPTIONS };
  // Every option this command does not take is named at once, before anything is done.
  const loose = parseArgs({ args: argv.slice(1), allowPositionals: true, strict: false, options });
  const foreign = Object.keys(loose.values).filter((k) => !(k in options));
  if (foreign.length > 0) throw new UsageError(`${name} does not take ${foreign.map((k) => `--${k}`).join(", ")} (cordon ${name} --help)`);
  const { values, positionals } = parseArgs({ args: argv.slice(1), allowPositionals: true, strict: true, options });
  if (values.help) {
    process.stdout.write(`${cmd.help}\n`);
    return 0;
  }
  const who = cliActor();
  if (values.by !== undefined) throw new UsageError(`--by is not taken: Cordon records the operating-system user running the command (${who})`);
  return cmd.run({ values, positionals, by: { principal: `os:${who}`, name: who, via: "cli" } });
}

/** The command being run, for the usage line of an error. */
let running: string | undefined;

// Output piped into `head` and the like: a closed pipe ends the command quietly.
process.stdout.on("error", (e: NodeJS.ErrnoException) => {
  if (e.code === "EPIPE") process.exit(0);
  throw e;
});

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    if (e instanceof UsageError || (e instanceof TypeError && (e as NodeJS.ErrnoException).code?.startsWith("ERR_PARSE_ARGS"))) {
      // One line: what is wrong, and where the usage is.
      const message = (e as Error).message;
      const help = running ? `cordon ${running} --help` : "cordon --help";
      process.stderr.write(`cordon: ${message}${message.includes("--help") ? "" : ` (${help})`}\n`);
      process.exitCode = 2;
      return;
    }
    process.stderr.write(`cordon: ${(e as Error).message}\n`);
    process.exitCode = 1;
  },
);
