// `npm run bench [-- suite ...] [--rounds N]`: runs the benchmark suites side by side and writes
// JSON to bench-results/. Suites live in test/bench/*.bench.ts (compiled to out/).
import { mkdirSync, writeFileSync, readdirSync } from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";

const require = createRequire(import.meta.url);
const args = process.argv.slice(2);
const roundsAt = args.indexOf("--rounds");
const rounds = roundsAt === -1 ? 5 : Number(args[roundsAt + 1]);
const wanted = args.filter((a, i) => !a.startsWith("--") && args[i - 1] !== "--rounds");

const dir = path.resolve("out/test/bench");
const suites = readdirSync(dir)
  .filter((f) => f.endsWith(".bench.js"))
  .map((f) => f.replace(/\.bench\.js$/, ""));
const selected = wanted.length ? suites.filter((s) => wanted.includes(s)) : suites;
if (selected.length === 0) {
  console.error(`No benchmark suite matches ${wanted.join(", ")}. Suites: ${suites.join(", ")}`);
  process.exit(2);
}
mkdirSync("bench-results", { recursive: true });
const { defaultThreads } = require(path.join(dir, "workerVsDirect.bench.js"));
for (const suite of selected) {
  const mod = require(path.join(dir, `${suite}.bench.js`));
  const result = await mod.run({ rounds, maxTokens: 32, threads: defaultThreads() });
  const file = path.join("bench-results", `${suite}.json`);
  writeFileSync(
    file,
    JSON.stringify(
      { date: new Date().toISOString(), command: `npm run bench -- ${suite} --rounds ${rounds}`, ...result },
      null,
      2,
    ),
  );
  console.log(`wrote ${file}`);
}
