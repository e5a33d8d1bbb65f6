import js from "@eslint/js";
import tseslint from "typescript-eslint";

/** The faces (the CLI and serve) call the application layer; nothing calls a face. */
const notIntoFaces = (faces) => ({
  "no-restricted-imports": ["error", {
    patterns: faces.map((face) => ({
      group: [`**/${face}/*`],
      message: `${face}/ is a face: put what you need from it in src/app/ (or lower) and import that instead`,
    })),
  }],
});

export default tseslint.config(
  { ignores: ["dist/", "node_modules/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "no-control-regex": "off",
      "@typescript-eslint/no-non-null-assertion": "off",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_" }],
    },
  },
  // Below the faces: no import of either.
  { files: ["src/**/*.ts"], ignores: ["src/cli/**", "src/serve/**"], rules: notIntoFaces(["cli", "serve"]) },
  // serve does not use the CLI; the CLI starts serve only from its entry point (`cordon serve`).
  { files: ["src/serve/**/*.ts"], rules: notIntoFaces(["cli"]) },
  { files: ["src/cli/**/*.ts"], ignores: ["src/cli/main.ts"], rules: notIntoFaces(["serve"]) },
);
