// Checks the packaged VSIX (npm run package): what must be inside, what must not, and its size.
//   npm run test:package            (packages first)
//   LCA_VSIX=<file> LCA_VSIX_TARGET=<target> npx mocha out/test/e2e/vsixContents.test.js
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { readManifest, repoRoot } from "./lib/paths";

type VsixModule = typeof import("../../scripts/tools/vsix.mjs", { with: { "resolution-mode": "import" } });

describe("packaged VSIX", function () {
  let vsix: VsixModule;
  let file: string;
  let target: string;
  let names: string[];
  let size: number;

  before(async function () {
    // A real dynamic import (module: node16 keeps it): vsix.mjs is ESM shared with scripts/package.mjs.
    vsix = (await import(pathToFileURL(path.join(repoRoot, "scripts", "tools", "vsix.mjs")).href)) as VsixModule;
    const t = process.env.LCA_VSIX_TARGET ?? vsix.currentTarget();
    assert.ok(t, `no node-llama-cpp target for ${process.platform}-${process.arch}; set LCA_VSIX_TARGET`);
    target = t;
    const m = readManifest();
    file = process.env.LCA_VSIX
      ? path.resolve(process.env.LCA_VSIX)
      : vsix.defaultVsixPath(repoRoot, target, m.name, m.version);
    assert.ok(
      fs.existsSync(file),
      `${file} not found: run npm run package${target ? ` -- --target ${target}` : ""} first`,
    );
    names = vsix.listZip(file).map((e) => e.name);
    size = fs.statSync(file).size;
    console.log(
      `      ${path.relative(process.cwd(), file)}: ${names.length} files, ${(size / 1024 / 1024).toFixed(1)} MB`,
    );
  });

  it("satisfies every packaging rule (scripts/tools/vsix.mjs)", () => {
    const failed = vsix
      .checkVsix(
        names.map((name) => ({ name })),
        size,
        target,
      )
      .filter((r) => !r.ok);
    assert.deepEqual(failed, []);
  });

  it("contains dist/extension.js and dist/worker.js", () => {
    assert.ok(names.includes("extension/dist/extension.js"));
    assert.ok(names.includes("extension/dist/worker.js"));
  });

  it("contains every built file of dist/ except source maps", function () {
    const dist = path.join(repoRoot, "dist");
    assert.ok(fs.existsSync(dist), "dist/ is missing: the VSIX was packaged from a build that is gone");
    const walk = (dir: string): string[] =>
      fs
        .readdirSync(dir, { withFileTypes: true })
        .flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)]));
    const built = walk(dist)
      .filter((f) => !f.endsWith(".map"))
      .map((f) => `extension/${path.relative(repoRoot, f).split(path.sep).join("/")}`);
    const missing = built.filter((f) => !names.includes(f));
    assert.deepEqual(missing, [], "run npm run package again after npm run build");
  });

  it("contains node-llama-cpp with the files it reads at run time", () => {
    for (const f of [
      "package.json",
      "dist/index.js",
      "llama/binariesGithubRelease.json",
      "llama/llama.cpp.info.json",
      "llama/package.json",
    ]) {
      assert.ok(names.includes(`extension/node_modules/node-llama-cpp/${f}`), `missing node-llama-cpp/${f}`);
    }
    assert.ok(!names.some((n) => n.endsWith("gitRelease.bundle")), "the 35 MB llama.cpp source bundle is in the VSIX");
  });

  it("contains this platform's prebuilt binaries (CPU and Vulkan)", () => {
    for (const pkg of vsix.TARGET_BINARY_PACKAGES[target]) {
      const addon = `extension/node_modules/@node-llama-cpp/${pkg}/bins/${pkg}/llama-addon.node`;
      assert.ok(names.includes(addon), `missing ${addon}`);
    }
  });

  it("contains no CUDA binaries", () => {
    assert.deepEqual(names.filter((n) => /@node-llama-cpp\/[^/]*cuda/.test(n)).slice(0, 5), []);
  });

  it("contains no other platform's binaries", () => {
    const ours = vsix.TARGET_BINARY_PACKAGES[target];
    const foreign = names.filter((n) => {
      const m = /^extension\/node_modules\/@node-llama-cpp\/([^/]+)\//.exec(n);
      return m !== null && !ours.includes(m[1]);
    });
    assert.deepEqual(foreign.slice(0, 5), []);
  });

  it("contains no TypeScript sources and no source maps", () => {
    assert.deepEqual(names.filter((n) => /\.(ts|mts|cts|tsx)$/.test(n)).slice(0, 5), [], ".ts files");
    assert.deepEqual(names.filter((n) => n.endsWith(".map")).slice(0, 5), [], ".map files");
  });

  it("contains no repository sources, tests or tool folders", () => {
    assert.deepEqual(
      names.filter((n) => /^extension\/(src|test|out|scripts|docs|\.tools|\.cache|test-results)\//.test(n)).slice(0, 5),
      [],
    );
  });

  it("is at most 60 MB", () => {
    assert.ok(size <= vsix.VSIX_BUDGET_BYTES, `${(size / 1024 / 1024).toFixed(1)} MB`);
  });
});
