import type { ParseArgsConfig, parseArgs } from "node:util";
import type { Actor } from "../app/actor.js";

/** The options a command declares, in node:util parseArgs' own shape. */
export type Options = NonNullable<ParseArgsConfig["options"]>;

/** What parseArgs gives for options `O`: strings, booleans and lists, each typed. */
export type Values<O extends Options> = ReturnType<typeof parseArgs<{ options: O; allowPositionals: true; strict: true }>>["values"];

/** What a command's run function is given: its options and words, parsed, and who runs it. */
export interface Invocation<O extends Options> {
  values: Values<O>;
  positionals: string[];
  /** The operating-system user running the command: the use cases record it as who acted on every change. */
  by: Actor;
}

/**
 * One `cordon` command: its line in the command list, its help, the options it takes (anything
 * else is refused, named) and what it does, returning the exit code. Each lives in
 * `cli/commands/<name>.ts`.
 */
export interface CommandSpec<O extends Options> {
  name: string;
  /** One line for `cordon --help`. */
  summary: string;
  /** `cordon NAME --help`. */
  help: string;
  options: O;
  run(i: Invocation<O>): Promise<number>;
}

/** A command as `main` holds it, whatever its options. */
export interface Command {
  readonly name: string;
  readonly summary: string;
  readonly help: string;
  readonly options: Options;
  run(i: { values: Record<string, unknown>; positionals: string[]; by: Actor }): Promise<number>;
}

/** A command whose run function sees its own options typed. */
export function command<const O extends Options>(spec: CommandSpec<O>): Command {
  return { ...spec, run: (i) => spec.run(i as Invocation<O>) };
}
