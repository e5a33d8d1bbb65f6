/**
 * Input a use case cannot act on (a file that does not parse, an unknown id, a missing
 * required value): the faces show its message to the person and, on the CLI, exit 2.
 */
export class InputError extends Error {}
