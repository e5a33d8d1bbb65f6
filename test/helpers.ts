import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { isPrivateIp } from "../src/net/addr.js";
import type { AppDissector, DissectContext } from "../src/dissect/context.js";
import { newPacket } from "../src/dissect/packet.js";
import type { Device } from "../src/inventory/device.js";
import { createPipeline } from "../src/pipeline.js";
import { readCapture } from "../src/sources/capture.js";

const here = dirname(fileURLToPath(import.meta.url));
/** Repository root (tests run from dist/test). */
export const ROOT = resolve(here, "..", "..");
/** The corpus of real captures and reference data: CORDON_CORPUS, else shared/corpus beside the clone. */
export const CORPUS = resolve(process.env.CORDON_CORPUS || resolve(ROOT, "..", "shared", "corpus"));
export const HAVE_CORPUS = existsSync(join(CORPUS, "CAPTURES.tsv"));
export const NO_CORPUS = HAVE_CORPUS ? false : `corpus absent: ${CORPUS} not found (tests on real data skipped; CORDON_CORPUS names another place)`;
export const CLI = join(ROOT, "dist", "src", "cli", "main.js");

export function corpus(rel: string): string {
  return join(CORPUS, rel);
}

export function haveTool(name: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${name}`], { encoding: "utf8" }).status === 0;
}

export const NO_TSHARK = haveTool("tshark") ? false : "tshark not installed (run .ci/run, which installs it)";

export function tmpDir(prefix = "cordon-test-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export interface CaptureRow {
  path: string;
  bytes: number;
  packets: number;
  linktype: string;
  protocols: string[];
}

export function captureRows(): CaptureRow[] {
  const lines = readFileSync(join(CORPUS, "CAPTURES.tsv"), "utf8").trim().split("\n").slice(1);
  return lines.map((l) => {
    const c = l.split("\t");
    return { path: c[0], bytes: Number(c[1]), packets: Number(c[2]), linktype: c[4], protocols: (c[6] ?? "").split(",").filter(Boolean) };
  });
}

/** tshark -T fields over a capture; one array of field values per frame that has any. */
export function tsharkFields(file: string, filter: string, fields: string[], options: string[] = []): string[][] {
  const out = execFileSync("tshark", ["-r", file, ...options, "-Y", filter, "-T", "fields", "-E", "separator=\t", "-E", "occurrence=a", "-E", "aggregator=,",
    ...fields.flatMap((f) => ["-e", f])], { encoding: "utf8", maxBuffer: 256 * 1024 * 1024, stdio: ["ignore", "pipe", "ignore"] });
  return out.split("\n").filter((l) => l.length > 0).map((l) => l.split("\t"));
}

export function runCli(args: string[], input?: Buffer, env: Record<string, string> = {}): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    input, encoding: "utf8", maxBuffer: 256 * 1024 * 1024, cwd: tmpDir(), env: { ...process.env, ...env },
  });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** The inventory one capture builds, straight from the pipeline (no store). */
export async function inventoryOf(file: string): Promise<Device[]> {
  // Corpus captures recorded on simulators' loopback (127.0.0.1, all-zero MACs) are read as a
  // network, as `analyze --loopback` reads them.
  const p = createPipeline({ flows: () => undefined }, { loopback: true });
  p.beginSource(file, "default");
  await readCapture(file, p.push);
  p.flush();
  return [...p.inventory.devices.values()];
}

/**
 * A learned policy's drops that it did not make on purpose: internet flows of
 * life-safety/physical-process devices (thermostats among them) are listed for review, not
 * allowed, so those drops are the policy working.
 */
export function unreviewedDrops<D extends { src_mac?: string | null; dst_ip: string }>(drops: readonly D[], review: readonly string[]): D[] {
  const strict = new Set(review.filter((r) => r.includes("no internet rule is learned for life-safety")).map((r) => r.split(" ")[0]));
  return drops.filter((d) => !(d.src_mac && strict.has(d.src_mac) && !isPrivateIp(d.dst_ip)));
}

/** One payload through one dissector: the facts it stated ("kind=value", "error KIND"), the operations it recorded, and whether it took the payload. */
export function runDissector(d: AppDissector, b: Buffer): { facts: string[]; ops: string[]; ok: boolean } {
  const facts: string[] = [];
  const ops: string[] = [];
  const ctx: DissectContext = {
    pkt: newPacket(),
    emit: (kind, _s, value) => facts.push(`${kind}=${value}`),
    operation: (op, detail) => ops.push(detail ? `${op} (${detail})` : op),
    error: (k) => facts.push(`error ${k}`),
  };
  const ok = d.dissect(b, 0, b.length, ctx);
  return { facts, ops, ok };
}
