// One esbuild script for every bundle: extension (CJS, vscode external), worker, CLI, webviews.
// node-llama-cpp stays external: it is ESM with top-level await and ships in node_modules.
import * as esbuild from "esbuild";
import { copyFileSync, existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";

const watch = process.argv.includes("--watch");
const production = process.argv.includes("--production");

const nodeCommon = {
  bundle: true,
  platform: "node",
  target: "node20",
  format: "cjs",
  sourcemap: !production,
  minify: production,
  external: ["vscode", "node-llama-cpp"],
  logLevel: "warning",
  metafile: true,
};

const builds = [
  { ...nodeCommon, entryPoints: { extension: "src/vscode/extension.ts" }, outdir: "dist" },
  { ...nodeCommon, entryPoints: { worker: "src/worker/main.ts" }, outdir: "dist" },
  { ...nodeCommon, entryPoints: { cli: "src/cli/main.ts" }, outdir: "dist", banner: { js: "#!/usr/bin/env node" } },
];
const webviewEntries = { chat: "media/chat/main.ts" };
const presentWebviews = Object.fromEntries(Object.entries(webviewEntries).filter(([, file]) => existsSync(file)));
if (Object.keys(presentWebviews).length > 0)
  builds.push({
    bundle: true,
    platform: "browser",
    format: "iife",
    target: "es2022",
    sourcemap: !production,
    minify: production,
    entryPoints: presentWebviews,
    outdir: "dist/webview",
    logLevel: "warning",
    metafile: true,
    loader: { ".css": "css", ".ttf": "file" },
  });

// A clean output folder: stale maps or deleted entries must not linger next to new bundles.
if (!watch) rmSync("dist", { recursive: true, force: true });
mkdirSync("dist/webview", { recursive: true });
// Codicons are loaded by the webview as a stylesheet + font from dist/ (bundling the package
// into node_modules of the VSIX would ship 2,000 files for two).
for (const file of ["codicon.css", "codicon.ttf"])
  copyFileSync(`node_modules/@vscode/codicons/dist/${file}`, `dist/webview/${file}`);
if (watch) {
  for (const options of builds) await (await esbuild.context(options)).watch();
  console.log("watching for changes...");
} else {
  const results = await Promise.all(builds.map((options) => esbuild.build(options)));
  const sizes = {};
  for (const result of results)
    for (const [file, info] of Object.entries(result.metafile.outputs))
      if (!file.endsWith(".map")) sizes[file] = info.bytes;
  // Bundle sizes, to watch them grow (outside dist/, which ships as is).
  mkdirSync(".cache", { recursive: true });
  writeFileSync(".cache/bundle-sizes.json", JSON.stringify(sizes, null, 2));
  for (const [file, bytes] of Object.entries(sizes)) console.log(`${file.padEnd(32)} ${(bytes / 1024).toFixed(1)} KiB`);
}
