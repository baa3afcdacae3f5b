import * as assert from "node:assert/strict";
import {
  CODE_REPLY,
  ENDLESS_REPLY,
  HOSTILE_REPLY,
  HOSTILE_TAIL_LINE,
  IM_END,
  bigramVocab,
  chatScriptChain,
  ensureFixture,
  expectedChatReply,
  expectedScriptedChatReply,
  fencedBlocks,
  validateChatScript,
  type ChatScript,
  type FixtureName,
} from "../fixtures/gguf/index";
import { EngineError } from "../../src/core/engine/engine";
import type { WorkerClient } from "../../src/client/workerClient";
import type { ChatMessage } from "../../src/core/protocol/workerProtocol";
import { makeClient } from "./workerHarness";

const CONVERSATION: ChatMessage[] = [
  { role: "system", content: "You are a helpful coding assistant." },
  { role: "user", content: "Write a function." },
];

describe("scripted chat replies (helpers)", () => {
  it("follow the declared chain, ending the turn or cycling", () => {
    assert.deepEqual(chatScriptChain({ pieces: ["ab", "cd"] }), ["\n", "ab", "cd", IM_END]);
    assert.deepEqual(expectedScriptedChatReply({ pieces: ["ab", "cd"] }), {
      text: "abcd",
      tokens: ["ab", "cd"],
      stopReason: "eogToken",
    });
    // Into a byte token: the shared table goes on from there ("x" -> "yz", then EOS).
    assert.equal(expectedScriptedChatReply({ pieces: ["ab"], then: "x" }).text, "abxyz");
    assert.deepEqual(expectedScriptedChatReply({ pieces: ["ab", "cd"], then: "ab" }, 5).tokens, [
      "ab",
      "cd",
      "ab",
      "cd",
      "ab",
    ]);
    assert.throws(() => expectedScriptedChatReply({ pieces: ["ab"], then: "ab" }), /never ends/);
    // The default table is untouched: the plain fixtures still answer "HI!".
    assert.equal(expectedChatReply().text, "HI!");
  });

  it("reject pieces that could not be tokens of their own", () => {
    assert.throws(() => validateChatScript({ pieces: [] }), /at least one/);
    assert.throws(() => validateChatScript({ pieces: ["a"] }), /one byte/);
    assert.throws(() => validateChatScript({ pieces: [IM_END] }), /already a token/);
    assert.throws(() => validateChatScript({ pieces: ["ab", "ab"] }), /twice/);
    assert.throws(() => validateChatScript({ pieces: ["ab"], then: "nope" }), /not a token/);
    for (const script of [CODE_REPLY, ENDLESS_REPLY, HOSTILE_REPLY]) validateChatScript(script);
  });

  it("the scripted vocabularies add one token per piece after the shared ones", () => {
    const base = bigramVocab().names.length;
    const vocab = bigramVocab(true, CODE_REPLY);
    assert.equal(vocab.names.length, base + CODE_REPLY.pieces.length);
    assert.equal(vocab.idOf.get(CODE_REPLY.pieces[0]!), base);
  });

  it("finds the fenced code blocks of a reply", () => {
    assert.deepEqual(fencedBlocks(expectedScriptedChatReply(CODE_REPLY).text), [
      { language: "js", code: "function add(a, b) {\n  return a + b;\n}\n" },
    ]);
    assert.deepEqual(fencedBlocks("```\nx\n```"), [{ language: null, code: "x\n" }]);
    assert.deepEqual(fencedBlocks("```js\nnever closed\n"), []);
  });
});

describe("scripted chat fixtures through the worker's chat path", function () {
  let client: WorkerClient;

  before(() => {
    client = makeClient();
  });
  after(() => client.stop());

  async function load(name: FixtureName): Promise<void> {
    await client.load("chat", { modelPath: await ensureFixture(name), contextSize: 8192 });
  }

  async function chat(maxTokens: number, chunks?: string[]): Promise<Awaited<ReturnType<WorkerClient["generate"]>>> {
    return client.generate(
      "chat",
      { kind: "chat", messages: CONVERSATION, maxTokens },
      { onChunk: (c) => chunks?.push(c) },
    );
  }

  function check(
    result: { text: string; stopReason: string; generatedTokens: number },
    script: ChatScript,
    maxTokens: number,
  ): void {
    const expected = expectedScriptedChatReply(script, maxTokens);
    assert.equal(result.text, expected.text);
    assert.equal(result.stopReason, expected.stopReason);
    assert.equal(result.generatedTokens, expected.tokens.length);
  }

  it("bigram-chat-code answers its markdown with the code block, piece by piece, then ends the turn", async () => {
    await load("bigram-chat-code");
    const chunks: string[] = [];
    const result = await chat(256, chunks);
    check(result, CODE_REPLY, 256);
    assert.equal(result.stopReason, "eogToken");
    assert.deepEqual(
      chunks.filter((c) => c.length > 0),
      [...CODE_REPLY.pieces],
      "each piece streams as one chunk",
    );
    assert.equal(fencedBlocks(result.text).length, 1);
    // Plain text still tokenizes one byte per token: the pieces are reachable only by generation.
    assert.equal(await client.countTokens("chat", CODE_REPLY.pieces[2]!), Buffer.byteLength(CODE_REPLY.pieces[2]!));
    // A follow-up question (history with the previous answer, re-tokenized as bytes) gets the same answer.
    const again = await client.generate("chat", {
      kind: "chat",
      messages: [...CONVERSATION, { role: "assistant", content: result.text }, { role: "user", content: "Again?" }],
      maxTokens: 256,
    });
    check(again, CODE_REPLY, 256);
  });

  it("bigram-chat-endless never ends: maxTokens stops it, and a stop mid-stream frees the worker", async () => {
    await load("bigram-chat-endless");
    check(await chat(300), ENDLESS_REPLY, 300);

    const controller = new AbortController();
    const chunks: string[] = [];
    const pending = client.generate(
      "chat",
      { kind: "chat", messages: CONVERSATION, maxTokens: 20_000 },
      {
        signal: controller.signal,
        onChunk: (c) => {
          chunks.push(c);
          if (chunks.length === 40) controller.abort();
        },
      },
    );
    await assert.rejects(pending, (e: unknown) => e instanceof EngineError && e.code === "cancelled");
    const streamed = chunks.join("");
    assert.ok(
      expectedScriptedChatReply(ENDLESS_REPLY, 100).text.startsWith(streamed),
      "the partial answer is a prefix of the exact one",
    );
    let status = await client.status();
    const started = Date.now();
    while (status.busy && Date.now() - started < 10_000) status = await client.status();
    assert.equal(status.busy, false, "the worker is still generating after the stop");
    check(await chat(50), ENDLESS_REPLY, 50);
  });

  it("bigram-chat-hostile writes its hostile pieces, then a huge never-ending code fence", async () => {
    await load("bigram-chat-hostile");
    const maxTokens = 2500;
    const result = await chat(maxTokens);
    check(result, HOSTILE_REPLY, maxTokens);
    assert.equal(result.stopReason, "maxTokens");
    assert.ok(result.text.length > 200_000, `only ${result.text.length} characters`);
    for (const needle of ["<script>", "onerror=", "<iframe", "javascript:", "![tracking pixel](http://127.0.0.1:"])
      assert.ok(result.text.includes(needle), needle);
    assert.equal(fencedBlocks(result.text).length, 0, "the code fence never closes");
    assert.ok(result.text.endsWith(HOSTILE_TAIL_LINE));
  });
});
