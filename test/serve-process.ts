import { type ChildProcess, spawn } from "node:child_process";
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
export async function serve(args: string[], prefix: string[] = []): Promise<Serving> {
  const [cmd, ...rest] = [...prefix, process.execPath, CLI, "serve", "--http-port", "0", "--log-level", "debug", ...args];
  const child = spawn(cmd, rest, { stdio: ["ignore", "pipe", "pipe"] });
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
  for (let i = 0; i < 300 && !logs.some((l) => l.msg === "http endpoint: /healthz, /metrics"); i++) {
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

