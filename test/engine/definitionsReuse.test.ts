import * as assert from "node:assert/strict";
import { ensureFixture } from "../fixtures/gguf/index";
import type { WorkerClient } from "../../src/client/workerClient";
import {
  CompletionSettingsSchema,
  completionPipeline,
  type DefinitionSnippet,
  type DocumentSnapshot,
} from "../../src/core/completion";
import type { GenerateRequestInput, ModelInfo } from "../../src/core/protocol/workerProtocol";
import { makeClient } from "./workerHarness";

/**
 * Definitions in the completion prompt and the KV cache, on the real engine, counted in tokens,
 * never in time (#15; the latencies are in docs/benchmarks.md, "Definitions in the prompt"): with
 * the definitions stable in the prompt's stable part, a typed character evaluates only its own
 * tokens, as it does without them; their arrival changes the prefix once.
 */
describe("definitions in the completion prompt on the real engine", function () {
  let client: WorkerClient;
  let info: ModelInfo;
  const settings = CompletionSettingsSchema.parse({ speculative: false });
  const body = Array.from({ length: 12 }, (_, i) => `    const value${i} = scale(input, ${i}) + offset;\n`).join("");
  const suffix = "\n    return total;\n}\n";
  const definitions: DefinitionSnippet[] = [
    {
      uri: "file:///work/src/math/scale.ts",
      path: "src/math/scale.ts",
      name: "scale",
      text: "/**\n * Multiplies every value of the input by the factor.\n * @param input the values\n * @param factor how much\n */\nexport function scale(input: readonly number[], factor: number): number[] {",
    },
    {
      uri: "file:///work/src/math/types.ts",
      path: "src/math/types.ts",
      name: "Offset",
      text: "/** A shift added to every value. */\nexport type Offset = number;",
    },
  ];

  before(async () => {
    client = makeClient();
    info = await client.load("completion", {
      modelPath: await ensureFixture("qwen2.5-coder-0.5b-shape-q8_0"),
      contextSize: 2048,
    });
  });
  after(() => client.stop());

  const complete = async (prefix: string, defs: readonly DefinitionSnippet[]) => {
    const document: DocumentSnapshot = {
      uri: "file:///work/src/total.js",
      path: "src/total.js",
      languageId: "javascript",
      eol: "\n",
      indent: { useTabs: false, size: 4 },
      prefix,
      suffix,
    };
    const r = await completionPipeline({
      document,
      settings,
      model: { specialTokens: info.specialTokens },
      // One token: only the prompt's evaluation is under test.
      generate: (slot, b, o) =>
        client.generate(slot, { ...b, maxTokens: 1, stop: [], timeBudgetMs: undefined } as GenerateRequestInput, o),
      definitions: defs,
    });
    assert.ok(r.generation, `no model call: ${r.reason} ${r.detail ?? ""}`);
    return {
      evaluated: r.generation.promptTokens - r.generation.reusedPromptTokens,
      promptTokens: r.generation.promptTokens,
      definitions: (r.context ?? []).filter((c) => c.source === "definition").map((c) => c.path),
    };
  };

  it("a typed character evaluates only its own tokens with definitions stable in the prompt", async () => {
    const start = "function total(input, offset) {\n" + body + "    const total = sca";
    const cold = await complete(start, []);
    assert.ok(cold.evaluated > 150, `cold evaluated ${cold.evaluated}`);
    const plain = await complete(start + "l", []);
    assert.ok(plain.evaluated <= 3, `without definitions a typed character evaluated ${plain.evaluated}`);

    // The lookup lands: the stable part changes once, everything after the definitions is evaluated again.
    const arrival = await complete(start + "le", definitions);
    assert.deepEqual(arrival.definitions, ["src/math/scale.ts", "src/math/types.ts"]);
    assert.ok(arrival.promptTokens > plain.promptTokens + 40, `${arrival.promptTokens} vs ${plain.promptTokens}`);
    assert.ok(arrival.evaluated > 150, `the definitions' arrival evaluated ${arrival.evaluated}`);

    const typed = await complete(start + "le(", definitions);
    assert.deepEqual(typed.definitions, arrival.definitions);
    assert.ok(
      typed.evaluated <= 3,
      `with definitions a typed character evaluated ${typed.evaluated} of ${typed.promptTokens} prompt tokens`,
    );
  });
});
