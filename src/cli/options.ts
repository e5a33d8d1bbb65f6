import { type BehaviourModel, DEFAULT_MODEL_PATH, loadModel } from "../classify/model.js";
import { UsageError } from "./output.js";

/** The end of every command's help. */
export const COMMON = `Options for every command:
  --db PATH|URL    SQLite database file (default ./cordon.db, or $CORDON_DB), or a
                   postgres://user:password@host/database URL
  -h, --help       this help
Tables fit 120 columns, the most useful columns first, long cells cut with "…"; --wide
prints every column whole. JSON keys are snake_case.`;

/** --db, else $CORDON_DB, else ./cordon.db. */
export function dbPath(v: string | undefined): string {
  return v ?? process.env.CORDON_DB ?? "./cordon.db";
}

/** The --model option: a file, 'none', or the shipped model when absent. */
export function modelOption(v: string | undefined): BehaviourModel | undefined {
  if (v === "none") return undefined;
  try {
    const m = loadModel(v ?? DEFAULT_MODEL_PATH);
    if (!m && v !== undefined) throw new UsageError(`${v}: no such model file`);
    return m;
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError((e as Error).message);
  }
}

/** A detector that threw, told on stderr; the run goes on and counts it as `detector.failed`. */
export function detectorFailed(name: string, e: Error, count: number): void {
  process.stderr.write(`cordon: detector ${name} failed (${count} so far): ${e.message}\n`);
}
