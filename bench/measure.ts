import { spawnSync } from "node:child_process";

export interface Measurement {
  wallS: number;
  maxRssMb: number;
  status: number;
}

/**
 * Runs a command and reports its wall time and peak resident memory, read from the kernel's
 * rusage of the child (python3's getrusage, which every machine here has).
 */
export function measure(cmd: string[], env: Record<string, string> = {}): Measurement {
  const script = [
    "import resource, subprocess, sys, time",
    "t = time.monotonic()",
    "r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)",
    "w = time.monotonic() - t",
    "print(w, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, r.returncode)",
  ].join("\n");
  const r = spawnSync("python3", ["-c", script, ...cmd], { encoding: "utf8", env: { ...process.env, ...env } });
  const [wall, rssKb, status] = r.stdout.trim().split(/\s+/).map(Number);
  return { wallS: wall, maxRssMb: rssKb / 1024, status };
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function haveCommand(name: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${name}`]).status === 0;
}
