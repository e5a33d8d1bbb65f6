import { type ChildProcess, spawn } from "node:child_process";
import { createSocket } from "node:dgram";
import { IPV4_FLOW_FIELDS, dataSet, ipfixMessage, ipv4Record, templateSet } from "../src/lab/netflow-export.js";
import { CLI } from "./helpers.js";

/** `cordon serve` as a process of its own, for the tests that talk to it. */

export interface Serving {
  child: ChildProcess;
  logs: Record<string, unknown>[];
  httpPort: number;
  netflowPort: number | undefined;
  exit: Promise<number | null>;
}

/** Starts `cordon serve` as a process of its own and reads its bound ports from its logs. */
export async function serve(args: string[], prefix: string[] = [], o: { cwd?: string } = {}): Promise<Serving> {
  const [cmd, ...rest] = [...prefix, process.execPath, CLI, "serve", "--http-port", "0", "--log-level", "debug", ...args];
  const child = spawn(cmd, rest, { stdio: ["ignore", "pipe", "pipe"], ...(o.cwd ? { cwd: o.cwd } : {}) });
  const logs: Record<string, unknown>[] = [];
  let stderr = "";
  child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  let buffered = "";
  child.stdout!.on("data", (d: Buffer) => {
    buffered += d.toString();
    const lines = buffered.split("\n");
    buffered = lines.pop() ?? "";
    for (const l of lines) if (l.startsWith("{")) logs.push(JSON.parse(l) as Record<string, unknown>);
  });
  const exit = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  for (let i = 0; i < 1500 && !logs.some((l) => l.msg === "http endpoint: /healthz, /metrics"); i++) {
    if (child.exitCode !== null) throw new Error(`serve exited ${child.exitCode}: ${stderr}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  const http = logs.find((l) => l.msg === "http endpoint: /healthz, /metrics");
  if (!http) throw new Error(`serve did not start: ${stderr}`);
  const nf = logs.find((l) => l.msg === "netflow listener bound");
  return { child, logs, httpPort: http.port as number, netflowPort: nf?.port as number | undefined, exit };
}

export async function metric(port: number, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith(name));
  return line ? Number(line.split(" ").pop()) : Number.NaN;
}

export async function waitFor(f: () => Promise<boolean>, what: string, seconds = 10): Promise<void> {
  for (let i = 0; i < seconds * 25; i++) {
    if (await f()) return;
    await new Promise((r) => setTimeout(r, 40));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** The export time of the records the tests send (seconds since the epoch). */
export const T0 = 1_790_000_000;

/** IPFIX messages from one exporter: `n` records, 20 per message, each a new flow. */
export function exportFlows(first: number, n: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < n; i += 20) {
    const recs = [];
    for (let k = i; k < Math.min(n, i + 20); k++) {
      const id = first + k;
      recs.push(ipv4Record(`10.1.${Math.floor(id / 250)}.${(id % 250) + 1}`, "10.2.0.1", 40000 + (id % 20000), 443, 6, 3, 180, T0 * 1000 + id, T0 * 1000 + id + 10));
    }
    out.push(ipfixMessage(T0, first + i, 1, [templateSet(true, 300, IPV4_FLOW_FIELDS), dataSet(300, recs)]));
  }
  return out;
}

export async function send(port: number, datagrams: Buffer[]): Promise<void> {
  const s = createSocket("udp4");
  for (const d of datagrams) await new Promise<void>((r) => s.send(d, port, "127.0.0.1", () => r()));
  s.close();
}
