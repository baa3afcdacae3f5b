/**
 * Gemma 3 270M (Q4_K_M) through the worker and the CLI, greedy. This file is the BASE model
 * (google/gemma-3-270m, not -it): its GGUF has no tokenizer.chat_template, and node-llama-cpp's
 * resolver picks its Gemma wrapper from the architecture. It has no system role: the wrapper folds
 * the system prompt into the first user turn ("<system>\n\n---\n\n<user>"). A base model does not
 * answer questions (it continues the text), so the chat assertions here are the ones that hold for
 * any model: the template renders, nothing leaks. See docs/real-models.md.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import type { WorkerClient } from "../../src/client/workerClient";
import { DEFAULT_CHAT_SYSTEM_PROMPT } from "../../src/core/chat/settings";
import { estimateTokens } from "../../src/core/util/tokenEstimate";
import { EngineError } from "../../src/core/engine/engine";
import { realModelPath } from "../fixtures/real/index";
import { repoRoot } from "../engine/workerHarness";
import { assertNoLeak, cli, cliJson, realClient } from "./realHarness";
import { ESTIMATE_BOUNDS, ESTIMATE_FILES } from "./smollm2.test";

const CONTEXT = 2048;

describe("real: Gemma 3 270M Q4_K_M (base model, no chat template)", function () {
  let model: string;
  let client: WorkerClient;

  before(async () => {
    model = realModelPath("gemma3-270m");
    client = realClient();
    const info = await client.load("chat", { modelPath: model, contextSize: CONTEXT });
    assert.equal(info.architecture, "gemma3");
    assert.equal(info.hasChatTemplate, false, "the file has no chat template (base model)");
  });
  after(async () => {
    await client?.stop();
  });

  it("chat: the system prompt is folded into the first user turn (Gemma has no system role); no special-token text leaks", async () => {
    const user = "What is the capital of France?";
    const withSystem = await client.generate("chat", {
      kind: "chat",
      messages: [
        { role: "system", content: DEFAULT_CHAT_SYSTEM_PROMPT },
        { role: "user", content: user },
      ],
      maxTokens: 24,
      temperature: 0,
    });
    const without = await client.generate("chat", {
      kind: "chat",
      messages: [{ role: "user", content: user }],
      maxTokens: 1,
      temperature: 0,
    });
    // "<system>\n\n---\n\n" more in the same user turn: the system tokens plus the separator, no extra turn markers.
    const systemTokens = await client.countTokens("chat", `${DEFAULT_CHAT_SYSTEM_PROMPT}\n\n---\n\n`);
    const extra = withSystem.promptTokens - without.promptTokens;
    assert.ok(
      extra >= systemTokens - 2 && extra <= systemTokens + 2,
      `the system prompt added ${extra} prompt tokens, expected about ${systemTokens}`,
    );
    // Not asserted: that it stops. The base model echoes the prompt, then writes the next turn
    // itself; the special tokens it emits there detokenize to nothing but "model\n" stays
    // ("...France?payments\npaymentsmodel\nYou are a helpful..."): an open finding, docs/real-models.md.
    assertNoLeak(withSystem.text);
  });

  it("plain completion of a code prefix gives code", async () => {
    const r = await client.generate("chat", {
      kind: "complete",
      prompt: "def add(a, b):\n    return",
      maxTokens: 8,
      temperature: 0,
    });
    assert.match(r.text, /^\s*a\s*\+\s*b/, JSON.stringify(r.text));
  });

  it("inline completion (FIM): the clear fimUnsupported error (Gemma 3 has no FIM tokens)", async () => {
    const info = client.modelInfo("chat")!;
    assert.deepEqual(
      [info.specialTokens.fimPrefix, info.specialTokens.fimSuffix, info.specialTokens.fimMiddle],
      [false, false, false],
    );
    await assert.rejects(
      client.generate("chat", {
        kind: "segments",
        segments: [
          { special: "fimPrefix" },
          { text: "x = " },
          { special: "fimSuffix" },
          { text: "\n" },
          { special: "fimMiddle" },
        ],
        maxTokens: 4,
      }),
      (e: unknown) => e instanceof EngineError && e.code === "fimUnsupported" && /fill-in-the-middle/.test(e.message),
    );
  });

  for (const [kind, file] of ESTIMATE_FILES)
    it(`token counts: the estimate vs the real 262k-vocabulary tokenizer on ${kind} is within ${ESTIMATE_BOUNDS.min}..${ESTIMATE_BOUNDS.max}x`, async () => {
      const text = fs.readFileSync(path.join(repoRoot, file), "utf8");
      const real = await client.countTokens("chat", text);
      const ratio = estimateTokens(text) / real;
      assert.ok(
        ratio >= ESTIMATE_BOUNDS.min && ratio <= ESTIMATE_BOUNDS.max,
        `estimate ${estimateTokens(text)} vs real ${real} (x${ratio.toFixed(3)})`,
      );
    });

  it("CLI: complete --json gives code", async () => {
    const out = cliJson(
      await cli("complete", "--model", model, "--prompt", "def add(a, b):\n    return", "--max-tokens", "8", "--json"),
    );
    assert.match(String(out.text), /^\s*a\s*\+\s*b/);
  });
});
