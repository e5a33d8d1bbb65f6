import { FieldError } from "../model/values.js";

/**
 * Input a use case cannot act on (a file that does not parse, an unknown id, a missing
 * required value): the faces show its message to the person and, on the CLI, exit 2.
 */
export class InputError extends Error {}

/** Runs a parse of a person's value: a field error becomes an InputError with its message. */
export function inputField<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof FieldError) throw new InputError(e.message);
    throw e;
  }
}
