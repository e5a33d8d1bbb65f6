/**
 * A capture format parser: consumes whole records from `buf[start, end)` and returns how
 * many bytes it consumed. It stops before a record that is not complete yet; the reader
 * calls it again with more bytes. `fatal` is set when the rest of the input cannot be read.
 */
export interface CaptureFormatParser {
  parse(buf: Buffer, start: number, end: number): number;
  fatal: string | undefined;
  /** Largest record the parser will wait for; bigger ones are errors. */
  readonly maxRecord: number;
  /** Called when the input ends with `remaining` unconsumed bytes. */
  finish(remaining: number): void;
}
