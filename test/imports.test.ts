import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath, pathToFileURL } from "node:url";

/** src/ as the repository has it (the tests run from dist/test/). */
const SRC = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "src");

/** Every relative import and re-export of every source file, type-only ones too: file → files. */
function importGraph(): Map<string, Set<string>> {
  const graph = new Map<string, Set<string>>();
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, e.name);
      if (e.isDirectory()) walk(path);
      else if (e.name.endsWith(".ts")) {
        const from = relative(SRC, path);
        const to = new Set<string>();
        for (const m of readFileSync(path, "utf8").matchAll(/^(?:import|export)\b[^;]*?\bfrom\s+"(\.{1,2}\/[^"]+)"/gms)) {
          to.add(relative(SRC, normalize(join(dir, m[1].replace(/\.js$/, ".ts")))));
        }
        graph.set(from, to);
      }
    }
  };
  walk(SRC);
  return graph;
}

const folder = (file: string): string => (file.includes("/") ? file.slice(0, file.indexOf("/")) : ".");

describe("import boundaries", () => {
  const graph = importGraph();

  it("reads the whole source tree", () => {
    assert.ok(graph.size > 150, `${graph.size} files`);
    assert.ok(graph.get("pipeline.ts")?.has("flows/table.ts"), "relative imports are resolved to files");
  });

  it("no file imports itself through others", () => {
    const state = new Map<string, 1 | 2>();
    const cycles: string[] = [];
    const visit = (f: string, path: string[]): void => {
      state.set(f, 1);
      for (const t of graph.get(f) ?? []) {
        if (state.get(t) === 1) cycles.push([...path.slice(path.indexOf(t)), t].join(" -> "));
        else if (!state.has(t)) visit(t, [...path, t]);
      }
      state.set(f, 2);
    };
    for (const f of graph.keys()) if (!state.has(f)) visit(f, [f]);
    assert.deepEqual(cycles, []);
  });

  it("folders import each other one way only", () => {
    const arrows = new Set<string>();
    for (const [f, to] of graph) for (const t of to) if (folder(f) !== folder(t)) arrows.add(`${folder(f)} -> ${folder(t)}`);
    const loops = [...arrows].filter((a) => {
      const [x, y] = a.split(" -> ");
      return x < y && arrows.has(`${y} -> ${x}`);
    }).sort();
    assert.deepEqual(loops, []);
  });

  it("every arrow points down the layers of eslint.layers.js, and every part of src/ has a layer", async () => {
    const { LAYERS } = (await import(pathToFileURL(join(SRC, "..", "eslint.layers.js")).href)) as { LAYERS: string[][] };
    const rank = new Map(LAYERS.flatMap((names, i) => names.map((n) => [n, i] as const)));
    const part = (file: string): string => (file.includes("/") ? folder(file) : file);
    const homeless = [...new Set([...graph.keys()].map(part))].filter((p) => !rank.has(p));
    assert.deepEqual(homeless, [], "a new folder needs its place in eslint.layers.js");
    const up: string[] = [];
    for (const [f, to] of graph) {
      for (const t of to) if (rank.get(part(t))! > rank.get(part(f))!) up.push(`${f} -> ${t}`);
    }
    assert.deepEqual(up, []);
  });

  it("the faces are on top: nothing below imports cli/ or serve/, and serve does not import the CLI", () => {
    const wrong: string[] = [];
    for (const [f, to] of graph) {
      for (const t of to) {
        const into = folder(t);
        if ((into === "cli" || into === "serve") && folder(f) !== into && !(f === "cli/commands/serve.ts" && into === "serve")) wrong.push(`${f} -> ${t}`);
      }
    }
    assert.deepEqual(wrong, []);
  });
});
