// npm run try, checked end to end (issue #12: "npm run try shows a real answer in the chat view"):
// node out/test/e2e/tryCheck.js [--port 8091] [--no-build]. Starts `node scripts/try.mjs` as a
// newcomer would, waits for its "running" line, opens the printed URL in Chromium, asks the chat a
// question and waits for a completed answer from the embedded default model. Screenshots go to
// test-results/e2e/npm-run-try. Exit 0 when the answer came, 1 otherwise; try.mjs is stopped either way.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import path from "node:path";
import { ChatView } from "./lib/chatView";
import { repoRoot, resultsDir } from "./lib/paths";
import { launchChromium } from "./lib/session";
import { Workbench } from "./lib/workbench";

const args = process.argv.slice(2);
const port = args.includes("--port") ? args[args.indexOf("--port") + 1]! : "8091";

async function main(): Promise<void> {
  const tryArgs = ["scripts/try.mjs", "--port", port, ...(args.includes("--no-build") ? ["--no-build"] : [])];
  const child = spawn(process.execPath, tryArgs, {
    cwd: repoRoot,
    stdio: ["ignore", "pipe", "inherit"],
    detached: true,
  });
  let out = "";
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.on("data", (data: Buffer) => {
      process.stdout.write(data);
      out += data.toString();
      const m = /running in VS Code at\s+(http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.on("exit", (code) => reject(new Error(`npm run try exited (${code}) before code-server ran`)));
  });
  const browser = await launchChromium();
  try {
    const context = await browser.newContext({ viewport: { width: 1600, height: 1000 } });
    const page = await context.newPage();
    const wb = new Workbench(page, context, { screenshotDir: path.join(resultsDir, "npm-run-try"), timeoutMs: 60_000 });
    await page.goto(url);
    await wb.step("workbench", () => wb.waitForReady());
    // The extension is up when its status bar item names the model try.mjs configured.
    await wb.step("status bar", () => wb.waitForStatusBarItem("SmolLM2-135M-Instruct", 120_000));
    const chat = await wb.step("open chat", () => ChatView.open(wb));
    const turn = await chat.ask("What is the capital of France?");
    await wb.step("answer", () => chat.waitForStatus(turn, "complete", 600_000));
    const answer = await chat.body(turn).innerText();
    console.log(`[try-check] answer: ${JSON.stringify(answer)}`);
    assert.match(answer, /Paris/, "the embedded default model answered without the fact");
    await chat.screenshot("answer");
  } finally {
    await browser.close();
    try {
      process.kill(-child.pid!, "SIGINT");
    } catch {
      /* gone */
    }
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(`[try-check] FAILED: ${error instanceof Error ? error.stack : String(error)}`);
    process.exit(1);
  },
);
