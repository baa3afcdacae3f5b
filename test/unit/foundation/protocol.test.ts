import * as assert from "node:assert/strict";
import {
  GenerateRequestBodySchema,
  ResultSchemas,
  WorkerMessageSchema,
  WorkerRequestSchema,
} from "../../../src/core/protocol/workerProtocol";

describe("worker protocol schemas", () => {
  it("accepts a segments generate request and fills defaults", () => {
    const parsed = WorkerRequestSchema.parse({
      type: "generate",
      id: 7,
      slot: "completion",
      body: {
        kind: "segments",
        segments: [{ special: "fimPrefix" }, { text: "a" }, { special: "fimMiddle" }],
        maxTokens: 8,
      },
    });
    assert.equal(parsed.type, "generate");
    if (parsed.type !== "generate") return;
    assert.equal(parsed.supersede, false);
    assert.equal(parsed.body.temperature, 0);
    assert.equal(parsed.body.stream, true);
  });

  it("rejects unknown special tokens, BOS included (the engine adds BOS itself)", () => {
    for (const special of ["bos", "fim_pre", "<|fim_prefix|>"])
      assert.equal(
        GenerateRequestBodySchema.safeParse({ kind: "segments", segments: [{ special }], maxTokens: 1 }).success,
        false,
        special,
      );
  });

  it("rejects a segment that mixes text and a special token", () => {
    const result = GenerateRequestBodySchema.safeParse({
      kind: "segments",
      segments: [{ text: "a", special: "eos" }],
      maxTokens: 1,
    });
    assert.equal(result.success, false);
  });

  it("rejects out-of-range generation options", () => {
    const base = { kind: "complete", prompt: "x" };
    assert.equal(GenerateRequestBodySchema.safeParse({ ...base, maxTokens: 0 }).success, false);
    assert.equal(GenerateRequestBodySchema.safeParse({ ...base, maxTokens: 4, temperature: 3 }).success, false);
    assert.equal(GenerateRequestBodySchema.safeParse({ ...base, maxTokens: 1.5 }).success, false);
  });

  it("rejects requests without an id or with an unknown type", () => {
    assert.equal(WorkerRequestSchema.safeParse({ type: "status" }).success, false);
    assert.equal(WorkerRequestSchema.safeParse({ type: "explode", id: 1 }).success, false);
  });

  it("validates worker messages and generate results", () => {
    assert.equal(WorkerMessageSchema.safeParse({ type: "chunk", id: 1, text: "x" }).success, true);
    assert.equal(WorkerMessageSchema.safeParse({ type: "error", id: 1, code: "nope", message: "x" }).success, false);
    const ok = {
      text: "bc",
      stopReason: "maxTokens",
      promptTokens: 2,
      reusedPromptTokens: 0,
      generatedTokens: 2,
      firstTokenMs: 3,
      ms: 5,
    };
    assert.equal(ResultSchemas.generate.safeParse(ok).success, true);
    assert.equal(ResultSchemas.generate.safeParse({ ...ok, stopReason: "done" }).success, false);
  });
});
