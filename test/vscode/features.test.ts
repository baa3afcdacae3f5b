import assert from "node:assert/strict";
import * as vscode from "vscode";
import { expectedChatReply, expectedCompletion } from "../fixtures/gguf/deterministicModel";
import { DEFAULT_CONTEXT_EXCLUDE, excludeMatcher } from "../../src/core/context/exclude";
import { WorkspaceSearch } from "../../src/vscode/context/workspaceSearch";
import { api, openLines, waitFor } from "./helpers";

describe("features in the real extension host", function () {
  this.timeout(120_000);

  it("the configured completion model loads in the worker and completes exactly", async () => {
    const { engine, models, worker } = await api();
    const info = await models.ensureLoaded("completion");
    assert.equal(info.specialTokens.fimMiddle, true);
    const result = await engine.generate("completion", { kind: "complete", prompt: "const total = ", maxTokens: 16 });
    assert.equal(result.text, expectedCompletion("const total = ").text);
    const pid = worker()?.pid ?? null;
    assert.ok(pid !== null && pid !== process.pid, "the model runs in its own process");
  });

  it("the chat model answers through its chat template", async () => {
    const { engine, models } = await api();
    await models.ensureLoaded("chat");
    const result = await engine.generate("chat", {
      kind: "chat",
      messages: [{ role: "user", content: "hello" }],
      maxTokens: 16,
    });
    assert.equal(result.text, expectedChatReply().text);
  });

  it("an invalid model setting is reported by name and no model is guessed in its place", async () => {
    const { settings, models } = await api();
    const config = vscode.workspace.getConfiguration("localCode");
    const before = config.get<string>("chat.model");
    try {
      await config.update("chat.model", "relative/model.gguf", vscode.ConfigurationTarget.Global);
      assert.equal(vscode.workspace.getConfiguration("localCode").get("chat.model"), "relative/model.gguf");
      const current = await waitFor(() => settings().errors.length > 0 && settings(), 10_000, "the settings error");
      assert.ok(
        current.errors.some((e) => e.startsWith("localCode.chat.model:") && /absolute/.test(e)),
        current.errors.join("; "),
      );
      await assert.rejects(models.ensureLoaded("chat"), /localCode\.chat\.model is invalid/);
    } finally {
      await config.update("chat.model", before, vscode.ConfigurationTarget.Global);
    }
    await waitFor(() => settings().errors.length === 0, 10_000, "the settings error to clear");
    const info = await models.ensureLoaded("chat");
    assert.equal(info.modelPath, before);
  });
});

describe("inline completion while typing fast, in the real extension host", function () {
  this.timeout(240_000);

  it("200 fast keystrokes: every one lands, one generation runs at a time, stale ones are skipped unrun, and the last suggestion is right", async () => {
    const { engine, models } = await api();
    await models.ensureLoaded("completion");
    const folder = vscode.workspace.workspaceFolders?.[0];
    assert.ok(folder, "the test window has a workspace folder");
    const uri = vscode.Uri.joinPath(folder.uri, "src", "burst.js");
    await vscode.workspace.fs.writeFile(uri, new Uint8Array());
    const editor = await vscode.window.showTextDocument(uri);
    const before = (await engine.status()).lanes.completion;

    const burst = "let v = [1, 2, 3].map((n) => n * 2).filter(Boolean); ".repeat(4).slice(0, 199) + " ";
    for (const ch of burst) {
      await vscode.commands.executeCommand("type", { text: ch });
      await new Promise((r) => setTimeout(r, 5));
    }
    assert.equal(editor.document.getText(), burst, "every keystroke landed, in order");

    // The suggestion for the final text: the line ends in " ", which the fixture continues with "xyz".
    const ghost = expectedCompletion(burst).text;
    assert.equal(ghost, "xyz");
    await waitForAsync(
      async () => {
        await vscode.commands.executeCommand("editor.action.inlineSuggest.trigger");
        await new Promise((r) => setTimeout(r, 500));
        await vscode.commands.executeCommand("editor.action.inlineSuggest.commit");
        return editor.document.getText() !== burst;
      },
      120_000,
      "the final suggestion to be accepted",
    );
    assert.equal(editor.document.getText(), burst + ghost);

    const after = (await engine.status()).lanes.completion;
    const requests = after.requests - before.requests;
    const started = after.started - before.started;
    assert.ok(requests >= 1, "the provider asked the worker for suggestions");
    assert.equal(after.peakRunning, 1, "two completions ran at once");
    assert.ok(after.peakAhead <= 1, `a request waited behind ${after.peakAhead} live ones`);
    assert.ok(started < burst.length, `${started} generations for ${burst.length} keystrokes`);
    assert.equal(after.requests, after.started + after.skipped, "nothing is left queued once typing stops");
    console.log(
      `[burst] ${burst.length} keystrokes -> ${requests} worker requests, ${started} generations run, ${after.skipped - before.skipped} skipped unrun`,
    );
    await vscode.commands.executeCommand("workbench.action.revertAndCloseActiveEditor");
    await vscode.workspace.fs.delete(uri);
  });
});

describe("completion warm-up at a new place, in the real extension host", function () {
  this.timeout(180_000);

  it("a pause at a new place warms its prompt up (counted in the worker's lanes), and a keystroke supersedes a warm-up in flight", async () => {
    const { engine, models } = await api();
    await models.ensureLoaded("completion");
    const lines = Array.from({ length: 60 }, (_, i) => `const value${i} = compute(${i});`);
    const { uri, editor } = await openLines("warmup.js", lines);
    const lanes = async () => (await engine.status()).lanes.completion;

    // 1. The cursor lands on a line no request was made for, and the user pauses: a warm-up runs to the end.
    const before = await lanes();
    // At the end of a line: text right of the cursor would skip requests there, warm-ups too.
    const end = (line: number) => new vscode.Selection(line, lines[line].length, line, lines[line].length);
    editor.selection = end(30);
    const warmed = await pollFor(
      async () => {
        const now = await lanes();
        return now.warmUpsCompleted > before.warmUpsCompleted && now;
      },
      60_000,
      "a warm-up to complete",
    );
    assert.equal(warmed.warmUpsAborted, before.warmUpsAborted);
    assert.ok(warmed.warmUpTokens > before.warmUpTokens, "the warm-up evaluated prompt tokens");

    // 2. A warm-up in flight: it waits in the worker behind a long generation on the completion lane
    // (started here through the test API, so the provider's scheduler is idle and the warm-up is sent).
    const long = engine
      .generate("completion", { kind: "complete", prompt: "0", maxTokens: 32_000 })
      .catch((e: unknown) => e);
    await pollFor(async () => (await engine.status()).busy, 30_000, "the long generation to run");
    const inFlight = await lanes();
    editor.selection = end(45);
    await pollFor(async () => (await lanes()).warmUps > inFlight.warmUps, 60_000, "the warm-up to reach the worker");
    // A keystroke there: its request supersedes the waiting warm-up (and the long generation).
    await vscode.commands.executeCommand("type", { text: " " });
    const after = await pollFor(
      async () => {
        const now = await lanes();
        return now.warmUpsAborted > inFlight.warmUpsAborted && now;
      },
      60_000,
      "the keystroke to supersede the warm-up",
    );
    assert.equal(after.warmUpsCompleted, inFlight.warmUpsCompleted, "the superseded warm-up never ran");
    const longOutcome = await long;
    assert.ok(longOutcome instanceof Error, "the keystroke's request superseded the long generation");
    assert.equal(after.peakRunning, 1, "a warm-up never ran beside a generation");
    console.log(
      `[warm-up] completed ${warmed.warmUpsCompleted - before.warmUpsCompleted} (${warmed.warmUpTokens - before.warmUpTokens} tokens), superseded ${after.warmUpsAborted - inFlight.warmUpsAborted}`,
    );
    await vscode.commands.executeCommand("workbench.action.revertAndCloseActiveEditor");
    await vscode.workspace.fs.delete(uri);
  });
});

describe("completion warm-up after Enter, in the real extension host", function () {
  this.timeout(180_000);

  it("a suggestion at the end of a line, then a pause: the prompt after Enter is warmed, and Enter evaluates only its own tokens", async () => {
    const { engine, models, logWritten, logLinesSince } = await api();
    await models.ensureLoaded("completion");
    const lines = Array.from({ length: 48 }, (_, i) => `const total${i} = compute(${i});`);
    const { uri, editor } = await openLines("afterEnter.js", lines);
    try {
      // Line 31 (0-based): Enter moves to line 32, where the prompt's 16-line tail anchor moves, so
      // without the warm-up the new line would evaluate the whole suffix again.
      const line = 31;
      editor.selection = new vscode.Selection(line, lines[line].length, line, lines[line].length);
      const before = (await engine.status()).lanes.completion;
      const start = logWritten();
      await vscode.commands.executeCommand("editor.action.inlineSuggest.trigger");
      const warm = await waitFor(
        () =>
          logLinesSince(start).find((l) =>
            /completion warm-up after Enter: warmUp in \d+ ms, \d+ prompt tokens/.test(l),
          ),
        60_000,
        "the warm-up after Enter",
      );
      const warmed = Number(/, (\d+) prompt tokens/.exec(warm)![1]);
      assert.ok(warmed > 50, `the warm-up evaluated the suffix again after the anchor (${warmed} tokens)`);
      const lanes = (await engine.status()).lanes.completion;
      assert.ok(lanes.warmUpsCompleted > before.warmUpsCompleted, "counted in the worker's lanes");

      const enterAt = logWritten();
      await vscode.commands.executeCommand("type", { text: "\n" });
      assert.equal(editor.selection.active.line, line + 1);
      await vscode.commands.executeCommand("editor.action.inlineSuggest.trigger");
      const answered = await waitFor(
        () =>
          logLinesSince(enterAt).find((l) =>
            /\] completion: \w+ in \d+ ms, \d+ of \d+ prompt tokens evaluated/.test(l),
          ),
        60_000,
        "the request after Enter",
      );
      const evaluated = Number(/, (\d+) of \d+ prompt tokens evaluated/.exec(answered)![1]);
      assert.ok(evaluated <= 3, `Enter evaluated ${evaluated} prompt tokens: ${answered}`);
      console.log(`[after Enter] warm-up ${warmed} tokens in the pause; Enter then ${evaluated}`);
    } finally {
      await vscode.commands.executeCommand("workbench.action.revertAndCloseActiveEditor");
      await vscode.workspace.fs.delete(uri);
    }
  });
});

describe("promptTokens auto, in the real extension host", function () {
  this.timeout(180_000);

  it("a warm-up measures the model's prompt speed; the log and Show Hardware say which window auto chose and why", async () => {
    const { engine, models, settings, logLines } = await api();
    await models.ensureLoaded("completion");
    const config = vscode.workspace.getConfiguration("localCode");
    const previous = config.inspect("completion.promptTokens")?.globalValue;
    await config.update("completion.promptTokens", "auto", vscode.ConfigurationTarget.Global);
    const folder = vscode.workspace.workspaceFolders?.[0];
    assert.ok(folder);
    const uri = vscode.Uri.joinPath(folder.uri, "src", "autoWindow.js");
    try {
      await waitFor(() => settings().settings.completion.promptTokens === "auto", 30_000, "the setting to apply");
      const lines = Array.from({ length: 60 }, (_, i) => `const item${i} = measure(${i});`);
      await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(lines.join("\n") + "\n"));
      const editor = await vscode.window.showTextDocument(uri);
      const before = (await engine.status()).lanes.completion;
      // A pause at a new place: the warm-up evaluates its prompt (a measurement of the prompt speed,
      // unless earlier requests of this model already gave the samples auto keeps).
      editor.selection = new vscode.Selection(40, lines[40].length, 40, lines[40].length);
      await pollFor(
        async () => (await engine.status()).lanes.completion.warmUpsCompleted > before.warmUpsCompleted,
        60_000,
        "a warm-up to complete",
      );
      await waitFor(
        () =>
          logLines().find((l) =>
            /Inline completion prompt window: auto: \d+ tokens.*measured at \d+ tokens\/s/.test(l),
          ),
        30_000,
        "the log to say what auto chose from the measured speed",
      );
      await vscode.commands.executeCommand("localCode.showHardware");
      const doc = await waitFor(
        () =>
          vscode.workspace.textDocuments.find(
            (d) => d.uri.scheme === "localcode-report" && /- Prompt window: /.test(d.getText()),
          ),
        60_000,
        "the hardware report with the prompt window",
      );
      assert.match(
        doc.getText(),
        /^- Prompt window: \*\*\d+ tokens\*\*: auto: \d+ tokens.*Prompt evaluation measured at \d+ tokens\/s for the loaded model.*\(median of [1-3] measured requests?\)/m,
      );
    } finally {
      await config.update("completion.promptTokens", previous, vscode.ConfigurationTarget.Global);
      await vscode.commands.executeCommand("workbench.action.closeAllEditors");
      await vscode.workspace.fs.delete(uri);
    }
  });
});

describe("extra context for inline completion, in the real extension host", function () {
  this.timeout(60_000);

  it("copies become context in the desktop app; a browser-hosted VS Code never reads the clipboard (it would show a permission error)", async () => {
    const { extraContext } = await api();
    const folder = vscode.workspace.workspaceFolders?.[0];
    assert.ok(folder);
    const uri = vscode.Uri.joinPath(folder.uri, "src", "copied.ts");
    const lines = Array.from({ length: 80 }, (_, i) => `export const value${i} = ${i} * 3;`);
    await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(lines.join("\n")));
    await vscode.workspace.openTextDocument(uri);
    await vscode.env.clipboard.writeText(lines.slice(40, 43).join("\n"));
    if (vscode.env.uiKind === vscode.UIKind.Desktop) {
      // Read while idle (about 1.5 s), queued, then promoted into the ring on a later idle tick.
      const chunk = await waitFor(
        () => extraContext.chunks.find((c) => c.source === "copy"),
        30_000,
        "a chunk from the copy",
      );
      assert.equal(chunk.path, "src/copied.ts");
      assert.ok(chunk.text.includes(lines[41]), "the chunk holds the copied lines");
      assert.equal(chunk.text.split("\n").length, 64, "with the lines around them");
    } else {
      // Several idle ticks pass; the clipboard (readable here) is never turned into a chunk.
      await new Promise((r) => setTimeout(r, 5_000));
      assert.equal(extraContext.chunks.find((c) => c.source === "copy") ?? null, null);
    }
    await vscode.workspace.fs.delete(uri);
  });
});

/** Polls `probe` every 50 ms until it returns something truthy, and returns that. */
async function pollFor<T>(
  probe: () => Promise<T | false | null | undefined>,
  timeoutMs: number,
  what: string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function waitForAsync(probe: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
  }
}

describe("context from other files in the completion prompt, in the real extension host", function () {
  this.timeout(180_000);

  it("a call to a function defined in another file puts that function's signature and doc comment in the prompt", async () => {
    const { models, definitions, lastCompletionContext, logWritten, logLinesSince } = await api();
    await models.ensureLoaded("completion");
    const folder = vscode.workspace.workspaceFolders?.[0];
    assert.ok(folder);
    const geometry = vscode.Uri.joinPath(folder.uri, "src", "geometry.ts");
    const caller = vscode.Uri.joinPath(folder.uri, "src", "useGeometry.ts");
    const signature = "export function rectangleArea(width: number, height: number): number {";
    const encode = (text: string) => new TextEncoder().encode(text);
    await vscode.workspace.fs.writeFile(
      geometry,
      encode(`/** Area of a rectangle, in square metres. */\n${signature}\n  return width * height;\n}\n`),
    );
    const callerText = 'import { rectangleArea } from "./geometry";\n\nexport const floor = rectangleArea(';
    await vscode.workspace.fs.writeFile(caller, encode(callerText));
    try {
      const editor = await vscode.window.showTextDocument(caller);
      const end = editor.document.positionAt(callerText.length);
      // TypeScript's server starts on the first .ts file: until it answers, each pause asks again.
      const start = logWritten();
      const found = await pollFor(
        async () => {
          editor.selection = new vscode.Selection(end, end);
          await definitions.idle();
          return definitions.definitionsFor(caller.toString()).find((d) => d.name === "rectangleArea");
        },
        120_000,
        "the definition of rectangleArea from the TypeScript language features",
      );
      assert.equal(found.path, "src/geometry.ts");
      assert.equal(found.text, `/** Area of a rectangle, in square metres. */\n${signature}`);
      // Their arrival made the prompt here stale: the pause warms it up with them, so the next
      // keystroke does not pay for the new definitions' tokens.
      const since = logLinesSince(start);
      const landed = since.findIndex((l) => /definitions: rectangleArea \(src\/geometry\.ts\)/.test(l));
      assert.ok(landed >= 0, "the lookup logged what it found");
      const landedMark = logWritten() - (since.length - landed);
      await waitFor(
        () => logLinesSince(landedMark).find((l) => /completion warm-up( after Enter)?: warmUp in/.test(l)),
        60_000,
        "a warm-up after the definitions landed",
      );
      assert.ok(
        lastCompletionContext()?.some((c) => c.source === "definition" && c.text.includes(signature)),
        "the warmed prompt holds the definition",
      );
      // The completion prompt built at this place carries it (ring chunks first, then definitions).
      const context = await pollFor(
        async () => {
          await vscode.commands.executeCommand("editor.action.inlineSuggest.trigger");
          return waitForValue(
            () => lastCompletionContext()?.find((c) => c.source === "definition" && c.text.includes(signature)),
            5_000,
          );
        },
        60_000,
        "a completion prompt with the definition",
      );
      assert.equal(context.path, "src/geometry.ts");
    } finally {
      await vscode.commands.executeCommand("workbench.action.closeAllEditors");
      await vscode.workspace.fs.delete(geometry);
      await vscode.workspace.fs.delete(caller);
    }
  });

  it("a file matching localCode.context.exclude (.env) never enters the ring, while the files around it do", async () => {
    const { extraContext } = await api();
    const folder = vscode.workspace.workspaceFolders?.[0];
    assert.ok(folder);
    const lines = (name: string) => Array.from({ length: 12 }, (_, i) => `${name}_${i}=value-${i}`).join("\n");
    const env = vscode.Uri.joinPath(folder.uri, ".env");
    const before = vscode.Uri.joinPath(folder.uri, "src", "beforeEnv.js");
    const after = vscode.Uri.joinPath(folder.uri, "src", "afterEnv.js");
    const last = vscode.Uri.joinPath(folder.uri, "src", "lastOpened.js");
    for (const [uri, text] of [
      [env, lines("API_KEY")],
      [before, lines("const before")],
      [after, lines("const after")],
      [last, lines("const last")],
    ] as const)
      await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(text));
    try {
      // Leaving a file queues the lines around its cursor; the queue is promoted in order while idle.
      for (const uri of [before, env, after, last]) await vscode.window.showTextDocument(uri);
      await waitFor(
        () => extraContext.chunks.some((c) => c.path === "src/afterEnv.js"),
        30_000,
        "the file opened after .env in the ring",
      );
      assert.ok(extraContext.chunks.some((c) => c.path === "src/beforeEnv.js"));
      assert.deepEqual(
        extraContext.chunks.filter((c) => c.path === ".env" || c.text.includes("API_KEY")),
        [],
      );
    } finally {
      await vscode.commands.executeCommand("workbench.action.closeAllEditors");
      for (const uri of [env, before, after, last]) await vscode.workspace.fs.delete(uri);
    }
  });
});

describe("@workspace search in the chat, in the real extension host", function () {
  this.timeout(120_000);

  it("VS Code's ripgrep finds a definition, its snippet reaches the chat prompt, and no .env file is read into it", async () => {
    const { chat, engine, models, searchWorkspace, logLines } = await api();
    const folder = vscode.workspace.workspaceFolders?.[0];
    assert.ok(folder);
    const secret = "sk-host-do-not-read-5151";
    const files = {
      triangle: vscode.Uri.joinPath(folder.uri, "src", "triangle.ts"),
      env: vscode.Uri.joinPath(folder.uri, ".env"),
      prodEnv: vscode.Uri.joinPath(folder.uri, "deploy", "prod.env"),
    };
    const definition = "export function hypotenuseLength(a: number, b: number): number {";
    const write = (uri: vscode.Uri, text: string) => vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(text));
    await write(files.triangle, `// Right triangles.\n\n${definition}\n  return Math.sqrt(a * a + b * b);\n}\n`);
    await write(files.env, `hypotenuseLength=${secret}\n`);
    await write(files.prodEnv, `hypotenuseLength=${secret}\n`);
    const generate = engine.generate;
    const prompts: string[] = [];
    try {
      const source = new vscode.CancellationTokenSource();
      const outcome = await searchWorkspace("Where is hypotenuseLength defined?", source.token);
      source.dispose();
      assert.ok(outcome.input, "a chip");
      assert.ok(
        logLines().some((l) => /workspace search: ripgrep at .*rg$/.test(l)),
        "VS Code's own ripgrep ran (not the fallback scanner)",
      );
      assert.equal(outcome.input.label, "workspace: Where is hypotenuseLength defined?");
      assert.match(outcome.input.content, /^--- src\/triangle\.ts \(lines 1-5\) ---\n/);
      assert.ok(outcome.input.content.includes(definition));
      assert.ok(!outcome.input.content.includes(secret), "no secret in the chip");
      assert.doesNotMatch(outcome.input.path ?? "", /\.env/);

      // What the chat sends to the model carries the snippet (recorded on its way to the engine).
      await models.ensureLoaded("chat");
      engine.generate = (slot, body, options) => {
        if (body.kind === "chat") prompts.push(JSON.stringify(body.messages));
        return generate.call(engine, slot, body, options);
      };
      await chat.controller.addContext(outcome.input);
      const answer = await chat.controller.ask("Where is it defined?");
      assert.equal(answer.status, "complete");
      assert.equal(prompts.length, 1);
      assert.ok(prompts[0].includes(JSON.stringify(definition).slice(1, -1)), "the definition is in the prompt");
      assert.ok(prompts[0].includes("src/triangle.ts (lines 1-5)"));
      assert.ok(!prompts[0].includes(secret), "no secret in the prompt");
    } finally {
      engine.generate = generate;
      for (const uri of Object.values(files)) await vscode.workspace.fs.delete(uri);
    }
  });
});

describe("@workspace search without ripgrep (the fallback scanner), in the real extension host", function () {
  this.timeout(60_000);

  it("findFiles and a line scan find the definition; the exclude rule is asked about the secret files, none reaches the chip", async () => {
    const folder = vscode.workspace.workspaceFolders?.[0];
    assert.ok(folder);
    const secret = "sk-host-fallback-6262";
    const files = {
      circle: vscode.Uri.joinPath(folder.uri, "src", "circle.ts"),
      env: vscode.Uri.joinPath(folder.uri, ".env"),
      prodEnv: vscode.Uri.joinPath(folder.uri, "deploy", "prod.env"),
    };
    const definition = "export function circumferenceOfCircle(radius: number): number {";
    const write = (uri: vscode.Uri, text: string) => vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(text));
    await write(files.circle, `${definition}\n  return 2 * Math.PI * radius;\n}\n`);
    await write(files.env, `circumferenceOfCircle=${secret}\n`);
    await write(files.prodEnv, `circumferenceOfCircle=${secret}\n`);
    const { matches } = excludeMatcher(DEFAULT_CONTEXT_EXCLUDE);
    const asked: string[] = [];
    const search = new WorkspaceSearch({
      ripgrep: null,
      isExcluded: (uri) => {
        const path = vscode.workspace.asRelativePath(uri, false);
        asked.push(path);
        return matches(path);
      },
      isExcludedPath: matches,
      excludeGlobs: () => DEFAULT_CONTEXT_EXCLUDE,
      budgetTokens: () => 1536,
      log: { info: () => undefined, warn: () => undefined },
    });
    try {
      const source = new vscode.CancellationTokenSource();
      const outcome = await search.run("circumferenceOfCircle", source.token);
      source.dispose();
      assert.ok(outcome.input, "a chip");
      assert.match(outcome.input.content, /^--- src\/circle\.ts \(lines 1-3\) ---\n/);
      assert.ok(!outcome.input.content.includes(secret));
      assert.ok(asked.includes(".env") && asked.includes("deploy/prod.env"), "the exclude rule was asked for them");
    } finally {
      for (const uri of Object.values(files)) await vscode.workspace.fs.delete(uri);
    }
  });
});

/** Polls `probe` until truthy; undefined after `timeoutMs` (the caller retries). */
async function waitForValue<T>(probe: () => T | undefined | null | false, timeoutMs: number): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > deadline) return undefined;
    await new Promise((r) => setTimeout(r, 50));
  }
}
