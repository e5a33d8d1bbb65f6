import { fileURLToPath } from "node:url";
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// The console is built into dist/console, which `cordon serve` serves under /. Everything it
// needs is bundled: no CDN, works offline.
export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  plugins: [react()],
  build: { outDir: fileURLToPath(new URL("../dist/console", import.meta.url)), emptyOutDir: true, sourcemap: false },
  logLevel: "warn",
});
