/**
 * `npm run bench` (trust part): the trust graph of a 10,000-device lab site with about a
 * million flows (the API bench's site, bench/lab-site.ts). Measured in this process: building
 * the graph from the store (every flow read and summed per pair; then again with the pairs
 * already folded, as serve's reader rebuilds it),
 * the blast radius of one node (median and p95 over the management planes and a sample of
 * devices), the amplifiers of the site and the paths from the internet to the strict tier,
 * each on the flat network and under a learned policy. Targets: blast radius < 200 ms,
 * amplifiers < 10 s. Beside them the peer and the floor: NetworkX's `descendants` (plain
 * reachability, no semantics) over the same control and inheritance edges, from the same
 * nodes, and a bare breadth-first search over the same edges in this process.
 */
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Store } from "../src/store/store.js";
import { FlowPairs } from "../src/store/flow-pairs.js";
import { trustGraph } from "../src/app/trust.js";
import { learnFromStore } from "../src/app/policy-learning.js";
import { movePolicy, proposePolicy } from "../src/app/policies.js";
import { TrustAnalysis } from "../src/trust/analyze.js";
import { flatReach, policyReach } from "../src/trust/reach.js";
import { familyOf } from "../src/trust/model.js";
import { labDatabase } from "./lab-site.js";
import { median } from "./measure.js";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const apiOut = join(root, "bench", "out", "api");
const out = join(root, "bench", "out", "trust");
mkdirSync(apiOut, { recursive: true });
mkdirSync(out, { recursive: true });
const cli = join(root, "dist", "src", "cli", "main.js");
const LAB_DURATION = Number(process.env.BENCH_API_LAB_DURATION ?? 2900);
const SAMPLE = Number(process.env.BENCH_TRUST_SAMPLE ?? 200);

const ms = (t0: number): number => performance.now() - t0;
const p95 = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(0.95 * xs.length))];
const rssMb = (): number => process.memoryUsage().rss / 1048576;

const lab = labDatabase(apiOut, cli, LAB_DURATION);
const db = join(out, "trust.db");
for (const s of ["", "-wal", "-shm"]) rmSync(db + s, { force: true });
copyFileSync(lab, db);

const store = new Store(db);
const flows = Number(store.sql.column<number>("SELECT sum(count) FROM flow_chunks")[0]);
let t = performance.now();
const whole = new FlowPairs();
store.foldFlowPairs(whole, "default");
console.log(`trust bench: ${store.devices("default").length} devices, ${flows} flows in ${whole.pairs("default").length} pairs (folded in ${(ms(t) / 1000).toFixed(2)} s)`);

const builds: number[] = [];
let graph = trustGraph(store, "default");
for (let i = 0; i < 3; i++) {
  t = performance.now();
  graph = trustGraph(store, "default");
  builds.push(ms(t));
}
console.log(`  graph built from the store, every flow read: ${graph.nodes.size} nodes, ${graph.edges.length} edges   median ${(median(builds) / 1000).toFixed(2)} s (runs ${builds.map((b) => (b / 1000).toFixed(2)).join(", ")}), RSS ${rssMb().toFixed(0)} MB`);
const again: number[] = [];
for (let i = 0; i < 3; i++) {
  t = performance.now();
  trustGraph(store, "default", { pairs: whole });
  again.push(ms(t));
}
console.log(`  built again with the pairs already folded (serve's reader: only new flows are read)   median ${(median(again) / 1000).toFixed(2)} s`);

/** The nodes blast radius is asked of: every management plane, then devices spread over the inventory. */
function sample(a: TrustAnalysis): string[] {
  const planes = a.devices.filter((n) => n.plane).map((n) => n.id);
  const step = Math.max(1, Math.floor(a.devices.length / SAMPLE));
  return [...new Set([...planes, ...a.devices.filter((_, i) => i % step === 0).map((n) => n.id)])].slice(0, SAMPLE + planes.length);
}

function analyses(label: string, a: TrustAnalysis): string[] {
  const nodes = sample(a);
  const times: number[] = [];
  let largest = 0;
  for (const id of nodes) {
    const t0 = performance.now();
    const b = a.blast(id);
    times.push(ms(t0));
    largest = Math.max(largest, b.devices);
  }
  t = performance.now();
  const amps = a.amplifiers(20);
  const ampMs = ms(t);
  t = performance.now();
  const paths = a.paths("internet", (n) => n.criticality === "life-safety/physical-process");
  const pathMs = ms(t);
  console.log(`  ${label}`);
  console.log(`    blast radius of one node (${nodes.length} nodes, up to ${largest} devices)   median ${median(times).toFixed(1)} ms, p95 ${p95(times).toFixed(1)} ms, max ${Math.max(...times).toFixed(1)} ms (target < 200 ms)`);
  console.log(`    amplifiers of the site (${a.candidates().length} candidates; top: ${amps[0]?.label ?? "none"}, weight ${amps[0]?.weight ?? 0})   ${(ampMs / 1000).toFixed(2)} s (target < 10 s)`);
  console.log(`    paths from the internet to the strict tier (${paths.targets} targets, ${paths.entries} entry points)   ${pathMs.toFixed(0)} ms`);
  return nodes;
}

const sampled = analyses("flat network (no policy in force)", new TrustAnalysis(graph, flatReach()));

const learned = learnFromStore(store, "default");
const by = { principal: "bench", name: "bench", via: "cli" as const, role: "admin" };
const p = proposePolicy(store, learned, by);
movePolicy(store, String(p.id), "approved", { ...by, name: "bench-approver" });
analyses(`under the learned policy (${learned.resolved.rules.length} rules)`, new TrustAnalysis(graph, policyReach(learned.resolved, "learned")));

// The floor and the peer: plain reachability over the same control and inheritance edges.
const edges = graph.edges.filter((e) => !e.stale && (familyOf(e.kind) === "control" || familyOf(e.kind) === "inheritance"));
const ids = new Map<string, number>();
const idOf = (s: string): number => ids.get(s) ?? (ids.set(s, ids.size), ids.size - 1);
const from = edges.map((e) => idOf(e.from));
const to = edges.map((e) => idOf(e.to));
const start = new Int32Array(ids.size + 1);
for (const f of from) start[f + 1]++;
for (let i = 0; i < ids.size; i++) start[i + 1] += start[i];
const next = new Int32Array(edges.length);
const fill = start.slice();
from.forEach((f, i) => { next[fill[f]++] = to[i]; });
const floorTimes: number[] = [];
for (const id of sampled) {
  const t0 = performance.now();
  const seen = new Uint8Array(ids.size);
  const queue = [idOf(id)];
  seen[queue[0]] = 1;
  for (let i = 0; i < queue.length; i++) for (let k = start[queue[i]]; k < start[queue[i] + 1]; k++) if (!seen[next[k]]) { seen[next[k]] = 1; queue.push(next[k]); }
  floorTimes.push(ms(t0));
}
console.log(`  floor: bare breadth-first search over the ${edges.length} control and inheritance edges, same nodes   median ${median(floorTimes).toFixed(3)} ms, p95 ${p95(floorTimes).toFixed(3)} ms`);

const edgeFile = join(out, "edges.tsv");
writeFileSync(edgeFile, edges.map((e) => `${e.from}\t${e.to}`).join("\n"));
writeFileSync(join(out, "nodes.json"), JSON.stringify(sampled));
const py = `import json, sys, time, statistics
import networkx as nx
g = nx.DiGraph()
for line in open(sys.argv[1]):
    a, b = line.rstrip("\\n").split("\\t")
    g.add_edge(a, b)
times = []
for n in json.load(open(sys.argv[2])):
    t = time.perf_counter()
    if n in g: nx.descendants(g, n)
    times.append((time.perf_counter() - t) * 1000)
times.sort()
print(f"{statistics.median(times):.3f} {times[min(len(times) - 1, int(0.95 * len(times)))]:.3f} {nx.__version__}")
`;
try {
  const [med, p, version] = execFileSync("python3", ["-c", py, edgeFile, join(out, "nodes.json")], { encoding: "utf8" }).trim().split(" ");
  console.log(`  peer: NetworkX ${version} descendants over the same edges, same nodes   median ${med} ms, p95 ${p} ms`);
} catch (e) {
  console.log(`  peer: NetworkX not available (${(e as Error).message.split("\n")[0]}); bench/install.sh installs python3-networkx`);
}
console.log(`  peak RSS of this process ${rssMb().toFixed(0)} MB`);
store.close();
