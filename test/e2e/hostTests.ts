// Runs the in-extension-host mocha suite (test/vscode/, compiled to out/test/vscode/) inside a
// real VS Code: a fresh code-server started with the smoke-test driver, opened in Chromium with
// the `payload` URL parameter (extensionDevelopmentPath + extensionTestsPath), the way
// @vscode/test-electron does it for desktop VS Code. The workbench reports the outcome through
// window.codeAutomationExit(code); test/vscode/index.ts writes per-test results to a JSON file.
//
//   node out/test/e2e/hostTests.js [--extension-dir <dir>] [--tests <index.js>] [--timeout <s>]
//
// --extension-dir: a folder with package.json + dist/ + node_modules (default: the repo root).
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { CodeServer } from "./lib/codeServer";
import { hostSuiteIndex, repoRoot, sampleWorkspaceDir } from "./lib/paths";
import { extensionTestSettings, launchChromium } from "./lib/session";

export interface HostTestOptions {
  extensionDir?: string;
  testsIndex?: string;
  timeoutMs?: number;
  resultsDir?: string;
}

interface Results {
  vscodeVersion?: string;
  passes: number;
  failures: number;
  pending: number;
  tests: { title: string; state: string; durationMs?: number; error?: string }[];
}

/** Runs the suite; resolves with the exit code (0 = all passed). */
export async function runHostTests(options: HostTestOptions = {}): Promise<number> {
  const extensionDir = path.resolve(options.extensionDir ?? repoRoot);
  const testsIndex = path.resolve(options.testsIndex ?? hostSuiteIndex);
  const resultsDir = options.resultsDir ?? path.join(repoRoot, "test-results", "vscode");
  const timeoutMs = options.timeoutMs ?? 300_000;
  for (const [what, p] of [
    ["extension package.json", path.join(extensionDir, "package.json")],
    ["compiled test suite", testsIndex],
  ]) {
    if (!fs.existsSync(p)) throw new Error(`${what} not found: ${p} (npm run build && npx tsc -p test/tsconfig.json)`);
  }
  fs.mkdirSync(resultsDir, { recursive: true });
  const resultsFile = path.join(resultsDir, "results.json");
  fs.rmSync(resultsFile, { force: true });

  const t0 = Date.now();
  const server = new CodeServer({
    smokeTestDriver: true,
    settings: extensionTestSettings(),
    env: { LCA_VSCODE_TEST_RESULTS: resultsFile, LCA_E2E: "1", ...llamaServerEnv() },
    logFile: path.join(resultsDir, "code-server.log"),
  });
  fs.rmSync(server.logFile, { force: true });
  const workspace = path.join(server.baseDir, "workspace");
  fs.cpSync(sampleWorkspaceDir, workspace, { recursive: true });

  await server.start();
  console.log(`[vscode-tests] code-server ${server.url} up in ${server.startupMs} ms`);
  const browser = await launchChromium().catch(async (e: unknown) => {
    await server.stop();
    throw e;
  });
  let code: number;
  try {
    const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
    const lines: string[] = [];
    page.on("console", (m) => lines.push(`[${m.type()}] ${m.text()}`));
    let settle: (code: number) => void = () => undefined;
    const exited = new Promise<number>((resolve) => (settle = resolve));
    // Must be in place before the workbench loads: it calls this when the suite is done.
    await page.exposeFunction("codeAutomationExit", (c: number) => settle(Number(c)));
    const remote = (p: string) => `vscode-remote://127.0.0.1:${server.port}${p.split(path.sep).join("/")}`;
    const payload = JSON.stringify([
      ["extensionDevelopmentPath", remote(extensionDir)],
      ["extensionTestsPath", remote(testsIndex)],
    ]);
    await page.goto(`${server.url}/?folder=${encodeURIComponent(workspace)}&payload=${encodeURIComponent(payload)}`);
    const timer = new Promise<number>((resolve) => setTimeout(() => resolve(-1), timeoutMs).unref());
    code = await Promise.race([exited, timer]);
    await page.screenshot({ path: path.join(resultsDir, "workbench.png") }).catch(() => undefined);
    fs.writeFileSync(path.join(resultsDir, "browser-console.log"), lines.join("\n") + "\n");
    if (code === -1)
      console.error(
        `[vscode-tests] no result after ${timeoutMs / 1000} s (see ${path.relative(process.cwd(), resultsDir)}/)`,
      );
  } finally {
    await browser.close().catch(() => undefined);
    await server.stop();
    server.cleanup();
  }

  let results: Results | undefined;
  try {
    results = JSON.parse(fs.readFileSync(resultsFile, "utf8")) as Results;
  } catch {
    console.error(
      `[vscode-tests] ${resultsFile} was not written: the suite did not load (see test-results/vscode/code-server.log and browser-console.log)`,
    );
  }
  if (results) {
    console.log(`[vscode-tests] VS Code ${results.vscodeVersion ?? "?"}`);
    for (const t of results.tests) {
      const mark = t.state === "passed" ? "✔" : t.state === "pending" ? "-" : "✗";
      console.log(`  ${mark} ${t.title}${t.durationMs !== undefined ? ` (${t.durationMs} ms)` : ""}`);
      if (t.error)
        console.log(
          t.error
            .split("\n")
            .map((l) => `      ${l}`)
            .join("\n"),
        );
    }
    console.log(
      `[vscode-tests] ${results.passes} passing, ${results.failures} failing, ${results.pending} pending (${((Date.now() - t0) / 1000).toFixed(1)} s)`,
    );
    if (results.tests.length === 0 && code === 0) {
      console.error("[vscode-tests] no tests ran");
      code = 1;
    }
    if (results.failures > 0 && code === 0) code = 1;
  } else if (code === 0) code = 1;
  return code === -1 ? 1 : code;
}

/**
 * The cached llama-server binary for the remote-backend host tests, found here: inside, code-server
 * points XDG_CACHE_HOME at its own folder, where the build script's cache is not.
 */
function llamaServerEnv(): Record<string, string> {
  if (process.env.LCA_LLAMA_SERVER_BIN) return { LCA_LLAMA_SERVER_BIN: process.env.LCA_LLAMA_SERVER_BIN };
  const check = spawnSync("bash", [path.join(repoRoot, "scripts/tools/build-llama-server.sh"), "--check"], {
    encoding: "utf8",
  });
  return check.status === 0 ? { LCA_LLAMA_SERVER_BIN: check.stdout.trim() } : {};
}

function parseArgs(argv: string[]): HostTestOptions {
  const opts: HostTestOptions = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = () => {
      const value = argv[++i];
      if (value === undefined) throw new Error(`${a} needs a value`);
      return value;
    };
    if (a === "--extension-dir") opts.extensionDir = v();
    else if (a === "--tests") opts.testsIndex = v();
    else if (a === "--timeout") opts.timeoutMs = Number(v()) * 1000;
    else throw new Error(`unknown argument ${a}`);
  }
  return opts;
}

if (require.main === module) {
  runHostTests(parseArgs(process.argv.slice(2))).then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error(`[vscode-tests] ERROR: ${err instanceof Error ? err.message : String(err)}`);
      process.exit(1);
    },
  );
}
