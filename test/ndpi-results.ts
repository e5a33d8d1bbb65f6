import { readFileSync } from "node:fs";

/** One flow line of an nDPI test result (`ndpiReader` output in tests/cfgs/default/result). */
export interface NdpiFlow {
  transport: string;
  a: string;
  b: string;
  /** nDPI's protocol name, master and application, such as "TLS.Amazon". */
  protocol: string;
  /** How nDPI decided: "DPI" (the payload), "Match by port", "Unknown" ... */
  confidence: string;
}

/**
 * Flow lines look like `\t1\tTCP 10.0.0.1:2074 <-> 10.0.0.2:502 [proto: 44/Modbus][...][Confidence: DPI]`;
 * a flow that never had an answer is written with `->`.
 */
export function parseNdpiResult(path: string): NdpiFlow[] {
  const out: NdpiFlow[] = [];
  for (const line of readFileSync(path, "utf8").split("\n")) {
    const m = /^\t\d+\t(\w+) (\S+) <?-> (\S+) .*?\[proto: [\d.]+\/([^\]]+)\](?:.*?\[Confidence: ([^\]]+)\])?/.exec(line);
    if (m) out.push({ transport: m[1], a: m[2], b: m[3], protocol: m[4], confidence: m[5] ?? "" });
  }
  return out;
}

/** "ip:port" or "[ipv6]:port" to a comparable endpoint string. */
export function endpoint(s: string): string {
  const v6 = /^\[(.+)\]:(\d+)$/.exec(s);
  if (v6) return `${v6[1]}|${v6[2]}`;
  const i = s.lastIndexOf(":");
  return i < 0 ? `${s}|0` : `${s.slice(0, i)}|${s.slice(i + 1)}`;
}
