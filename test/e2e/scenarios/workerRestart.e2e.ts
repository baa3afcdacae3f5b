import assert from "node:assert/strict";
import { expectedCompletion } from "../../fixtures/gguf/index";
import { workerPids } from "../lib/processes";
import { scenario } from "../lib/scenario";

scenario("model worker restart", { waitForStatus: /Local Code: bigram/ }, (s) => {
  it("a killed worker is restarted, the user is told, and the next completion works", async () => {
    await s.wb.openFile("src/empty.js");
    await s.wb.typeInEditor("let a = ", 40);
    assert.equal(await s.wb.waitForGhostText({ timeoutMs: 60_000 }), expectedCompletion("let a = ").text);
    const pids = workerPids(s.session.server.extensionsDir);
    assert.equal(pids.length, 1, `expected one worker, found ${pids.join(", ")}`);
    process.kill(pids[0], "SIGKILL");
    const message = await s.wb.step("restart shown", () =>
      s.wb.waitForStatusBarItem(/model worker restarted after it stopped \(signal SIGKILL\)/, 60_000),
    );
    assert.match(message, /restarted/);
    const after = workerPids(s.session.server.extensionsDir);
    assert.equal(after.length, 1);
    assert.notEqual(after[0], pids[0]);
    await s.wb.page.keyboard.press("Escape");
    await s.wb.typeInEditor("\nlet b = ", 40);
    assert.equal(await s.wb.waitForGhostText({ timeoutMs: 60_000 }), expectedCompletion("let b = ").text);
    await s.wb.screenshot("completion after restart");
  });
});
