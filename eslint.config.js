import js from "@eslint/js";
import tseslint from "typescript-eslint";
import { LAYERS } from "./eslint.layers.js";

/** An import pattern naming a folder (or a file at the top of src/). */
const pattern = (name) => (name.endsWith(".ts") ? `**/${name.replace(/\.ts$/, ".js")}` : `**/${name}/*`);

/** no-restricted-imports for one folder of the layer at `rank`: every layer above it is off limits. */
function layerRule(rank, name) {
  const above = LAYERS.slice(rank + 1).flat();
  const faces = LAYERS[LAYERS.length - 1];
  const peers = LAYERS[rank].filter((x) => x !== name && faces.includes(name) && faces.includes(x));
  const groups = [...above, ...peers].map((x) => ({
    group: [pattern(x)],
    message: faces.includes(x)
      ? `${x} is a face: put what you need from it in src/app/ (or lower) and import that instead`
      : `${x} is a layer above ${name} (the order is in eslint.layers.js): arrows point down the pipeline`,
  }));
  return groups.length === 0 ? {} : { "no-restricted-imports": ["error", { patterns: groups }] };
}

const files = (name) => (name.endsWith(".ts") ? [`src/${name}`] : [`src/${name}/**/*.ts`]);

export default tseslint.config(
  { ignores: ["dist/", "node_modules/", "bench/out/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "no-control-regex": "off",
      "@typescript-eslint/no-non-null-assertion": "off",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_" }],
    },
  },
  ...LAYERS.flatMap((layer, rank) => layer.map((name) => ({ files: files(name), rules: layerRule(rank, name) }))),
  // The CLI starts serve from one place: its serve command (`cordon serve`).
  { files: ["src/cli/commands/serve.ts"], rules: layerRule(LAYERS.length - 1, "serve") },
);
