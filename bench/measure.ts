import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";

export interface Measurement {
  wallS: number;
  /** CPU time of the command, user plus system, all threads. */
  cpuS: number;
  maxRssMb: number;
  status: number;
}

/**
 * Runs a command and reports its wall time, CPU time and peak resident memory, read from the kernel's
 * rusage of the child (python3's getrusage, which every machine here has).
 */
export function measure(cmd: string[], env: Record<string, string> = {}): Measurement {
  const script = [
    "import resource, subprocess, sys, time",
    "t = time.monotonic()",
    "r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)",
    "w = time.monotonic() - t",
    "u = resource.getrusage(resource.RUSAGE_CHILDREN)",
    "print(w, u.ru_maxrss, r.returncode, u.ru_utime + u.ru_stime)",
  ].join("\n");
  const r = spawnSync("python3", ["-c", script, ...cmd], { encoding: "utf8", env: { ...process.env, ...env } });
  const [wall, rssKb, status, cpu] = r.stdout.trim().split(/\s+/).map(Number);
  return { wallS: wall, cpuS: cpu, maxRssMb: rssKb / 1024, status };
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function haveCommand(name: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${name}`]).status === 0;
}

const CLK_TCK = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim());

/** CPU seconds (user + system) a process has used, all its threads or one, from /proc. */
export function cpuSeconds(pid: number, tid?: number): number {
  const stat = readFileSync(tid === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${tid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}
