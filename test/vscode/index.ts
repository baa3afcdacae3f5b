// Mocha inside the real VS Code extension host. Both runners load this file as the
// "extensionTestsPath": @vscode/test-electron (scripts/test-vscode.mjs) and code-server's smoke-test
// driver (test/e2e/hostTests.ts). It runs every out/test/vscode/**/*.test.js and writes the results
// as JSON (the console output reaches the runner unformatted): to $LCA_VSCODE_TEST_RESULTS, else
// <repo>/test-results/vscode/results.json.
import fs from "node:fs";
import path from "node:path";
import Mocha from "mocha";

export interface HostTestResult {
  title: string;
  state: "passed" | "failed" | "pending";
  durationMs?: number;
  error?: string;
}

export interface HostTestResults {
  startedAt: string;
  finishedAt?: string;
  vscodeVersion?: string;
  passes: number;
  failures: number;
  pending: number;
  tests: HostTestResult[];
}

function repoRoot(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const manifest = path.join(dir, "package.json");
    if (
      fs.existsSync(manifest) &&
      (JSON.parse(fs.readFileSync(manifest, "utf8")) as { name?: string }).name === "local-code-assistant"
    )
      return dir;
    if (path.dirname(dir) === dir) return path.resolve(__dirname, "..", "..", "..");
  }
}

export function resultsFile(): string {
  return process.env.LCA_VSCODE_TEST_RESULTS ?? path.join(repoRoot(), "test-results", "vscode", "results.json");
}

function findTests(dir: string): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...findTests(full));
    else if (entry.name.endsWith(".test.js")) out.push(full);
  }
  return out.sort();
}

export async function run(): Promise<void> {
  const file = resultsFile();
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const results: HostTestResults = {
    startedAt: new Date().toISOString(),
    passes: 0,
    failures: 0,
    pending: 0,
    tests: [],
  };
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    results.vscodeVersion = (require("vscode") as typeof import("vscode")).version;
  } catch {
    /* not in an extension host */
  }
  const write = () => fs.writeFileSync(file, JSON.stringify(results, null, 2) + "\n");
  write();

  const grep = process.env.LCA_VSCODE_TEST_GREP;
  const mocha = new Mocha({
    ui: "bdd",
    color: false,
    timeout: Number(process.env.LCA_VSCODE_TEST_TIMEOUT ?? 60_000),
    ...(grep ? { grep } : {}),
  });
  for (const f of findTests(__dirname)) mocha.addFile(f);

  await new Promise<void>((resolve, reject) => {
    try {
      const runner = mocha.run((failures) => {
        results.finishedAt = new Date().toISOString();
        write();
        if (failures > 0) reject(new Error(`${failures} extension-host test(s) failed; details in ${file}`));
        else resolve();
      });
      const record = (test: Mocha.Test, state: HostTestResult["state"], err?: Error) => {
        results.tests.push({
          title: test.fullTitle(),
          state,
          ...(test.duration !== undefined ? { durationMs: test.duration } : {}),
          ...(err ? { error: err.stack ?? String(err) } : {}),
        });
        write();
      };
      runner.on("pass", (t) => {
        results.passes++;
        record(t, "passed");
      });
      runner.on("fail", (t, err: Error) => {
        results.failures++;
        // A failing hook is reported as a "test" too: keep it.
        record(t as Mocha.Test, "failed", err);
      });
      runner.on("pending", (t) => {
        results.pending++;
        record(t, "pending");
      });
    } catch (err) {
      results.failures++;
      results.tests.push({
        title: "(loading the suite)",
        state: "failed",
        error: err instanceof Error ? err.stack : String(err),
      });
      write();
      reject(err instanceof Error ? err : new Error(String(err)));
    }
  });
}
