#!/usr/bin/env node
// npm run test:vscode — the in-extension-host mocha suite (test/vscode/) in desktop VS Code via
// @vscode/test-electron, for machines that can download VS Code (or have one: set
// LCA_VSCODE_EXECUTABLE to its executable). The same suite runs in code-server with
// `npm run test:vscode:server` (scripts/e2e.mjs --host), which needs no download.
//
// Expects `npm run build` and `tsc -p test/e2e/tsconfig.json` to have run (the npm script does both).
// Environment: LCA_VSCODE_VERSION (default "stable"), LCA_VSCODE_EXECUTABLE, LCA_VSCODE_TEST_GREP,
// LCA_E2E_MODEL (a GGUF for the extension's model settings).
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const testsIndex = path.join(repoRoot, "out", "test", "vscode", "index.js");
const resultsFile = path.join(repoRoot, "test-results", "vscode", "results.json");

function fail(message, code = 1) {
  console.error(`\n[test:vscode] ${message}\n`);
  process.exit(code);
}

const manifest = JSON.parse(fs.readFileSync(path.join(repoRoot, "package.json"), "utf8"));
if (!fs.existsSync(path.join(repoRoot, manifest.main ?? "dist/extension.js")))
  fail(`${manifest.main} is missing: run npm run build`);
if (!fs.existsSync(testsIndex))
  fail(`${path.relative(repoRoot, testsIndex)} is missing: run npx tsc -p test/e2e/tsconfig.json`);

const { runTests, downloadAndUnzipVSCode } = await import("@vscode/test-electron");

let vscodeExecutablePath = process.env.LCA_VSCODE_EXECUTABLE;
if (vscodeExecutablePath && !fs.existsSync(vscodeExecutablePath))
  fail(`LCA_VSCODE_EXECUTABLE=${vscodeExecutablePath} does not exist`);
if (!vscodeExecutablePath) {
  const version = process.env.LCA_VSCODE_VERSION ?? "stable";
  try {
    vscodeExecutablePath = await downloadAndUnzipVSCode({
      version,
      cachePath: path.join(repoRoot, ".cache", "vscode-test"),
      timeout: 30_000,
    });
  } catch (err) {
    fail(
      `Could not download VS Code ${version} (${err instanceof Error ? err.message : String(err)}).\n` +
        `This machine probably cannot reach update.code.visualstudio.com. Options:\n` +
        `  - run the same suite in code-server instead:   npm run test:vscode:server\n` +
        `  - point at an installed VS Code:                LCA_VSCODE_EXECUTABLE=/path/to/code npm run test:vscode`,
      2,
    );
  }
}

// A throwaway copy of the sample workspace, and a fresh user-data dir so no settings leak in.
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "lca-test-electron-"));
const workspace = path.join(tmp, "workspace");
fs.cpSync(path.join(repoRoot, "test", "e2e", "fixtures", "workspace"), workspace, { recursive: true });
const userData = path.join(tmp, "user-data");
fs.mkdirSync(path.join(userData, "User"), { recursive: true });
const settings = {
  "localCode.threads": 1,
  "workbench.startupEditor": "none",
  "chat.disableAIFeatures": true,
  "telemetry.telemetryLevel": "off",
};
if (process.env.LCA_E2E_MODEL) {
  settings["localCode.completion.model"] = path.resolve(process.env.LCA_E2E_MODEL);
  settings["localCode.chat.model"] = path.resolve(process.env.LCA_E2E_MODEL);
}
fs.writeFileSync(path.join(userData, "User", "settings.json"), JSON.stringify(settings, null, 4));
fs.rmSync(resultsFile, { force: true });

let exitCode = 0;
try {
  exitCode = await runTests({
    vscodeExecutablePath,
    extensionDevelopmentPath: repoRoot,
    extensionTestsPath: testsIndex,
    extensionTestsEnv: { LCA_VSCODE_TEST_RESULTS: resultsFile, LCA_E2E: "1" },
    launchArgs: [
      workspace,
      "--disable-extensions",
      "--disable-workspace-trust",
      "--skip-welcome",
      "--skip-release-notes",
      `--user-data-dir=${userData}`,
    ],
  });
} catch (err) {
  console.error(`[test:vscode] VS Code exited with an error: ${err instanceof Error ? err.message : String(err)}`);
  exitCode = 1;
} finally {
  fs.rmSync(tmp, { recursive: true, force: true });
}
if (fs.existsSync(resultsFile)) {
  const r = JSON.parse(fs.readFileSync(resultsFile, "utf8"));
  console.log(
    `[test:vscode] VS Code ${r.vscodeVersion ?? "?"}: ${r.passes} passing, ${r.failures} failing, ${r.pending} pending (${path.relative(repoRoot, resultsFile)})`,
  );
  for (const t of r.tests.filter((t) => t.state === "failed"))
    console.log(`  ✗ ${t.title}\n${(t.error ?? "").replace(/^/gm, "      ")}`);
}
process.exit(exitCode);
