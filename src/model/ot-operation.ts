/**
 * An operation on an OT device as a fact value: "who did what to whom". The acting host's
 * `ot.operation` is "s7.download-block to 10.0.0.5 (DB1)", the target's
 * `ot.operation_received` is "s7.download-block from 10.0.0.9 (DB1)". The format and its
 * parser are here side by side; nothing else builds or splits the text.
 */
export interface OtOperation {
  /** The protocol's operation: "s7.stop", "modbus.write-register". */
  op: string;
  /** "to" on the actor's fact, "from" on the target's. */
  direction: "to" | "from";
  /** The other host, by address (or MAC for link-layer protocols). */
  peer: string;
  /** What it named (register, value, block), when the protocol said. */
  detail?: string;
}

export function formatOtOperation(o: OtOperation): string {
  return `${o.op} ${o.direction} ${o.peer}${o.detail ? ` (${o.detail})` : ""}`;
}

/** An operation value read back; undefined for text not of that form. */
export function parseOtOperation(value: string): OtOperation | undefined {
  const m = /^(\S+) (to|from) (\S+)(?: \((.*)\))?$/s.exec(value);
  if (!m) return undefined;
  return { op: m[1], direction: m[2] as OtOperation["direction"], peer: m[3], ...(m[4] ? { detail: m[4] } : {}) };
}

/** "op to target" of an operation value, without what it named: the same operation on the same device. */
export function operationTarget(value: string): string {
  const o = parseOtOperation(value);
  return o ? formatOtOperation({ op: o.op, direction: o.direction, peer: o.peer }) : value;
}
