#!/usr/bin/env node
// npm run test:e2e — end-to-end tests in a real VS Code (code-server + Chromium + Playwright).
//
//   node scripts/e2e.mjs [--ui] [--host] [--no-build] [--no-package] [--vsix <file>] [--grep <re>]
//
//   --ui          the UI scenarios (test/e2e/scenarios/*.e2e.ts) against the packaged VSIX (default)
//   --host        the mocha suite inside the extension host (test/vscode/), extension loaded from
//                 the repo root as extensionDevelopmentPath (npm run test:vscode:server)
//   --no-build    skip the build (package.mjs builds with --production; otherwise `npm run build`)
//   --no-package  skip `npm run package` (use the VSIX already there, or --vsix / LCA_VSIX)
//   --vsix <file> install this VSIX instead of packaging one
//   --grep <re>   only the scenarios / host tests whose title matches
//
// Steps: install the tools (scripts/tools/install.sh: instant when cached), build, package,
// compile the tests (tsc -p test/tsconfig.json), run. Screenshots, logs and timings land in
// test-results/e2e/ (UI) and test-results/vscode/ (host suite).
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const flag = (name) => args.includes(name);
const option = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const known = new Set(["--ui", "--host", "--no-build", "--no-package", "--vsix", "--grep"]);
for (let i = 0; i < args.length; i++) {
  if (!known.has(args[i])) {
    console.error(`[e2e] unknown argument ${args[i]}`);
    process.exit(2);
  }
  if (args[i] === "--vsix" || args[i] === "--grep") i++;
}
const runHost = flag("--host");
const runUi = flag("--ui") || !runHost;
const vsix = option("--vsix") ?? process.env.LCA_VSIX;
const grep = option("--grep");

const timings = {};
function step(name, cmd, cmdArgs, env = {}) {
  const t0 = Date.now();
  console.log(`\n[e2e] ${name}: ${cmd} ${cmdArgs.join(" ")}`);
  const r = spawnSync(cmd, cmdArgs, { cwd: repoRoot, stdio: "inherit", env: { ...process.env, ...env } });
  timings[name] = Date.now() - t0;
  if (r.error) throw new Error(`${name}: ${r.error.message}`);
  return r.status ?? 1;
}
function must(name, cmd, cmdArgs, env) {
  const status = step(name, cmd, cmdArgs, env);
  if (status !== 0) {
    console.error(`\n[e2e] ${name} failed (exit ${status})`);
    process.exit(status);
  }
}

must("tools", "bash", [path.join("scripts", "tools", "install.sh")]);
const packaging = runUi && !vsix && !flag("--no-package");
if (packaging) {
  // package.mjs runs the production build itself (the host suite then uses that dist/ too).
  must("package", process.execPath, ["scripts/package.mjs", ...(flag("--no-build") ? ["--no-build"] : [])]);
} else if (!flag("--no-build")) {
  must("build", "npm", ["run", "build"]);
}
// Stale output of deleted test files would still run: clear this suite's compiled folders first.
for (const dir of ["e2e", "vscode"])
  fs.rmSync(path.join(repoRoot, "out", "test", dir), { recursive: true, force: true });
must("compile tests", process.execPath, [
  path.join("node_modules", "typescript", "bin", "tsc"),
  "-p",
  "test/e2e/tsconfig.json",
]);

// The deterministic fixture model every feature scenario points the extension at.
if (!process.env.LCA_E2E_MODEL) {
  const { ensureFixture } = createRequire(import.meta.url)(path.join(repoRoot, "out/test/fixtures/gguf/index.js"));
  process.env.LCA_E2E_MODEL = await ensureFixture("bigram-q8_0");
}
console.log(`[e2e] model: ${process.env.LCA_E2E_MODEL}`);

// Counts of every suite run here, summed into $MOCHA_COUNTS_FILE for `npm test`'s closing line.
const totals = { passes: 0, failures: 0, pending: 0 };
const countsDir = fs.mkdtempSync(path.join(repoRoot, "out", "e2e-counts-"));
function addCounts(file) {
  if (!fs.existsSync(file)) return false;
  const counts = JSON.parse(fs.readFileSync(file, "utf8"));
  for (const key of Object.keys(totals)) totals[key] += counts[key] ?? 0;
  return true;
}
const mocha = path.join("node_modules", "mocha", "bin", "mocha.js");
const reporter = ["--reporter", "test/support/countingReporter.js"];

let failed = 0;
if (packaging) {
  const countsFile = path.join(countsDir, "vsix.json");
  if (
    step(
      "vsix contents",
      process.execPath,
      [mocha, "--timeout", "30000", ...reporter, "out/test/e2e/vsixContents.test.js"],
      { MOCHA_COUNTS_FILE: countsFile },
    ) !== 0
  )
    failed++;
  addCounts(countsFile);
}
if (runUi) {
  fs.rmSync(path.join(repoRoot, "test-results", "e2e"), { recursive: true, force: true });
  const countsFile = path.join(countsDir, "ui.json");
  const mochaArgs = [mocha, "--config", "test/e2e/.mocharc.json", ...reporter, ...(grep ? ["--grep", grep] : [])];
  if (
    step("ui scenarios", process.execPath, mochaArgs, {
      MOCHA_COUNTS_FILE: countsFile,
      ...(vsix ? { LCA_VSIX: path.resolve(vsix) } : {}),
    }) !== 0
  )
    failed++;
  if (!addCounts(countsFile)) totals.failures++;
}
if (runHost) {
  fs.rmSync(path.join(repoRoot, "test-results", "vscode"), { recursive: true, force: true });
  if (
    step(
      "extension-host suite",
      process.execPath,
      ["out/test/e2e/hostTests.js"],
      grep ? { LCA_VSCODE_TEST_GREP: grep } : {},
    ) !== 0
  )
    failed++;
  if (!addCounts(path.join(repoRoot, "test-results", "vscode", "results.json"))) totals.failures++;
}
fs.rmSync(countsDir, { recursive: true, force: true });
if (process.env.MOCHA_COUNTS_FILE) fs.writeFileSync(process.env.MOCHA_COUNTS_FILE, JSON.stringify(totals));
console.log(`\n[e2e] ${totals.passes} passing, ${totals.failures} failing, ${totals.pending} pending`);
console.log(
  `\n[e2e] timings (s): ${Object.entries(timings)
    .map(([k, v]) => `${k} ${(v / 1000).toFixed(1)}`)
    .join(", ")}`,
);
if (failed) {
  console.error(
    `[e2e] FAILED — screenshots and logs: test-results/${runUi ? "e2e/" : ""}${runUi && runHost ? " and test-results/" : ""}${runHost ? "vscode/" : ""}`,
  );
  process.exit(1);
}
console.log("[e2e] passed");
